import { tf } from '../tf.js';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { channelMean, checkPair, toMap, tidyLoss, planeMean } from './common.js';
import type { Image, LossResult, ShiftSpec } from './types.js';
import { MAX_SHIFT } from '../model.js';

export { MAX_SHIFT } from '../model.js';

/**
 * Shift-tolerant form of a per-pixel loss (not NectarGAN's training loss: a snapshot-testing aid):
 *   map(p) = min over d, |dx| <= k, |dy| <= k, p + d inside the image, of mean_c |F(fake)(p + d) -
 * F(real)(p)|^power with F the loss's filtered image (sobel: mag; laplacian: the signed lap; l1, l2: the RGB
 * image) and power 1 (2 for l2); loss = mean(map). Offsets that leave the image are excluded by padding
 * F(fake) with +Infinity. real, fake: [H,W,C] or [N,H,W,C]; k: 0..3 (0 gives the loss's own map). map: [H,W]
 * or [N,H,W].
 */
export const shiftTolerant = tidyLoss(function shiftTolerant(
  spec: ShiftSpec,
  real: Image,
  fake: Image,
  k: number,
): LossResult {
  const single = checkPair(real, fake);
  if (!Number.isInteger(k) || k < 0 || k > MAX_SHIFT)
    throw new Error(`shift tolerance must be a whole number 0..${MAX_SHIFT}, got ${k}`);
  const fr = spec.filter(real),
    ff = spec.filter(fake);
  const [n, h, w, c] = ff.shape;
  const padded = tf.pad(
    ff,
    [
      [0, 0],
      [k, k],
      [k, k],
      [0, 0],
    ],
    Infinity,
  );
  let best: Tensor4D | undefined;
  for (let dy = -k; dy <= k; dy++) {
    for (let dx = -k; dx <= k; dx++) {
      const d = tf.sub(tf.slice(padded, [0, k + dy, k + dx, 0], [n, h, w, c]), fr);
      const m = channelMean((spec.power === 2 ? tf.square(d) : tf.abs(d)) as Tensor4D);
      best = best ? (tf.minimum(best, m) as Tensor4D) : m;
    }
  }
  const shown = spec.shown ?? ((x: Tensor4D) => x);
  return {
    map: toMap(best!, single),
    mean: planeMean(best!),
    ...(spec.filterLabel
      ? { filtered: { real: toMap(shown(fr), single), fake: toMap(shown(ff), single) } }
      : {}),
  };
});
