import type { LossDefinition } from './types.js';

/**
 * Every loss the CLI offers, by name, each loaded on first use (so `--help`, `backends` and the batch
 * command's main thread load no TensorFlow.js). A new loss is one file plus one line here; `requires`
 * repeats the definition's own, so that weights can be located before any loss is loaded.
 */
const LOSSES: Readonly<Record<string, { load: () => Promise<LossDefinition>; requires?: LossDefinition['requires'] }>> = {
  sobel: { load: async () => (await import('./sobel.js')).sobelLoss },
  laplacian: { load: async () => (await import('./laplacian.js')).laplacianLoss },
  vgg: { load: async () => (await import('./vgg.js')).vggLoss, requires: 'vgg19' },
  l1: { load: async () => (await import('./l1.js')).l1Loss },
  l2: { load: async () => (await import('./l2.js')).l2Loss },
};

export const LOSS_NAMES = Object.keys(LOSSES);

export function isLoss(name: string): boolean {
  return Object.hasOwn(LOSSES, name);
}

/** What a loss needs besides the two images (without loading it). */
export function lossRequires(name: string): LossDefinition['requires'] {
  return isLoss(name) ? LOSSES[name]!.requires : undefined;
}

export async function loadLoss(name: string): Promise<LossDefinition | undefined> {
  return isLoss(name) ? LOSSES[name]!.load() : undefined;
}

/** All losses, by name. */
export async function loadLosses(): Promise<Record<string, LossDefinition>> {
  return Object.fromEntries(await Promise.all(LOSS_NAMES.map(async (n) => [n, (await loadLoss(n))!] as const)));
}
