import { option, said, UserError } from '../errors.js';
import { LOSS_NAMES, lossTraits } from '../losses/registry.js';

const MASKS = option('mask, ignore', '--mask, --ignore, --masks');
const SHIFT = option('shiftTolerance', '--shift-tolerance');

/**
 * Options that only some losses take, checked before any work: a mask restricts the mean of a per-pixel
 * map, so losses whose value is not one (vgg) refuse it; shift tolerance exists for sobel, laplacian, l1, l2.
 * The CLI and the in-process API (session.ts) share it.
 */
export function checkLossTraits(losses: readonly string[], masked: boolean, shift: number): void {
  for (const l of losses) {
    const t = lossTraits(l);
    if (masked && !t.maskable)
      throw new UserError(
        said`${l} does not take a mask (${MASKS}): its value is not the mean of a per-pixel map, so pixels cannot be left out of it`,
        'BAD_OPTION',
      );
    if (shift > 0 && !t.shift)
      throw new UserError(
        said`${l} does not take ${SHIFT}: it is defined for ${LOSS_NAMES.filter((n) => lossTraits(n).shift).join(', ')} only`,
        'BAD_OPTION',
      );
  }
}
