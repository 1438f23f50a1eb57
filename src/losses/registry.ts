import type { LossDefinition } from './types.js';

/**
 * Every loss the CLI offers, by name, each loaded on first use (so `--help` and `backends` load no
 * TensorFlow.js). A new loss is one file plus one line here.
 */
const LOADERS: Readonly<Record<string, () => Promise<LossDefinition>>> = {
  sobel: async () => (await import('./sobel.js')).sobelLoss,
  laplacian: async () => (await import('./laplacian.js')).laplacianLoss,
  vgg: async () => (await import('./vgg.js')).vggLoss,
  l1: async () => (await import('./l1.js')).l1Loss,
  l2: async () => (await import('./l2.js')).l2Loss,
};

export const LOSS_NAMES = Object.keys(LOADERS);

export function isLoss(name: string): boolean {
  return Object.hasOwn(LOADERS, name);
}

export async function loadLoss(name: string): Promise<LossDefinition | undefined> {
  return isLoss(name) ? LOADERS[name]!() : undefined;
}

/** All losses, by name. */
export async function loadLosses(): Promise<Record<string, LossDefinition>> {
  return Object.fromEntries(await Promise.all(LOSS_NAMES.map(async (n) => [n, (await loadLoss(n))!] as const)));
}
