import type { LossDefinition } from './types.js';

/** What the CLI must know of a loss before loading it (a test checks each against the definition). */
export interface LossTraits {
  /** Weights it needs: the definition's `requires`. */
  requires?: LossDefinition['requires'];
  /** Its value is the mean of its per-pixel map (it has a `halo`), so a mask can restrict it. */
  maskable?: true;
  /** --shift-tolerance applies: the definition has `shift`. */
  shift?: true;
  /** Its value grows with similarity (ssim, psnr): gated with --min; its map still shows dissimilarity. */
  higherIsBetter?: true;
  /** It has no per-pixel map (ms-ssim): no files are drawn for it. */
  mapless?: true;
  /**
   * A higher-is-better value's scale, so that `calibrate` can widen a gate by a margin of dissimilarity:
   * 'unit' when 1 means identical (dissimilarity 1 - v), 'decibel' for 10 log10(peak² / error) (psnr:
   * dissimilarity 10^(-v/10), the error over peak²).
   */
  similarity?: 'unit' | 'decibel';
  /** A similarity's map, in table headers: `ssim.p99 (1−S) ↓` (the map shows dissimilarity). */
  mapLabel?: string;
}

/**
 * Every loss the CLI offers, by name, each loaded on first use (so `--help`, `backends` and the batch
 * command's main thread load no TensorFlow.js). A new loss is one file plus one line here; the traits
 * repeat the definition's own, so that options can be checked and weights located before any loss loads.
 */
const LOSSES: Readonly<Record<string, { load: () => Promise<LossDefinition> } & LossTraits>> = {
  sobel: { load: async () => (await import('./sobel.js')).sobelLoss, maskable: true, shift: true },
  laplacian: {
    load: async () => (await import('./laplacian.js')).laplacianLoss,
    maskable: true,
    shift: true,
  },
  vgg: { load: async () => (await import('./vgg.js')).vggLoss, requires: 'vgg19' },
  l1: { load: async () => (await import('./l1.js')).l1Loss, maskable: true, shift: true },
  l2: { load: async () => (await import('./l2.js')).l2Loss, maskable: true, shift: true },
  ssim: {
    load: async () => (await import('./ssim.js')).ssimLoss,
    maskable: true,
    higherIsBetter: true,
    similarity: 'unit',
    mapLabel: '1−S',
  },
  'ms-ssim': {
    load: async () => (await import('./ms-ssim.js')).msSsimLoss,
    higherIsBetter: true,
    mapless: true,
    similarity: 'unit',
  },
  psnr: {
    load: async () => (await import('./psnr.js')).psnrLoss,
    maskable: true,
    higherIsBetter: true,
    similarity: 'decibel',
    mapLabel: 'err²',
  },
  flip: { load: async () => (await import('./flip.js')).flipLoss, maskable: true },
  lpips: { load: async () => (await import('./lpips.js')).lpipsAlexLoss, requires: 'lpips-alex' },
  'lpips-vgg': { load: async () => (await import('./lpips.js')).lpipsVggLoss, requires: 'lpips-vgg' },
};

export const LOSS_NAMES = Object.keys(LOSSES);

export function isLoss(name: string): boolean {
  return Object.hasOwn(LOSSES, name);
}

/** What a loss needs besides the two images (without loading it). */
export function lossRequires(name: string): LossDefinition['requires'] {
  return lossTraits(name).requires;
}

/** A loss's traits, without loading it ({} for an unknown name). */
export function lossTraits(name: string): LossTraits {
  return isLoss(name) ? LOSSES[name] : {};
}

export async function loadLoss(name: string): Promise<LossDefinition | undefined> {
  return isLoss(name) ? LOSSES[name].load() : undefined;
}

/** All losses, by name. */
export async function loadLosses(): Promise<Record<string, LossDefinition>> {
  return Object.fromEntries(
    await Promise.all(LOSS_NAMES.map(async (n) => [n, (await loadLoss(n))!] as const)),
  );
}
