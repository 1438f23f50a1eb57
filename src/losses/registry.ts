import { l1Loss } from './l1.js';
import { l2Loss } from './l2.js';
import { laplacianLoss } from './laplacian.js';
import { sobelLoss } from './sobel.js';
import type { LossDefinition } from './types.js';
import { vggLoss } from './vgg.js';

/** Every loss the CLI offers, by name. A new loss is one file plus one line here. */
export const LOSSES: Readonly<Record<string, LossDefinition>> = {
  sobel: sobelLoss,
  laplacian: laplacianLoss,
  l1: l1Loss,
  l2: l2Loss,
  vgg: vggLoss,
};

export const LOSS_NAMES = Object.keys(LOSSES);

export function getLoss(name: string): LossDefinition | undefined {
  return Object.hasOwn(LOSSES, name) ? LOSSES[name] : undefined;
}
