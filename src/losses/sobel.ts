import { tf } from '../tf.js';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { channelSum, checkPair, gray, toMap, tidyLoss, planeMean } from './common.js';
import { conv3x3 } from './kernels.js';
import { hostFilterSamples } from './filter-host.js';
import type { Image, LossDefinition, LossResult } from './types.js';

// NectarGAN Sobel.__init__ registers 'x' then 'y' in this order.
const KX = [1, 0, -1, 2, 0, -2, 1, 0, -1];
const KY = [1, 2, 1, 0, 0, 0, -1, -2, -1];
// KernelLoss.eval_kernels_sqrt's epsilon, added under the square root.
const EPS = 1e-6;

/**
 * mag(g) = sqrt(conv(g, kx)^2 + conv(g, ky)^2 + 1e-6) for a gray batch g. Both kernels run as one
 * two-channel convolution; the channel sum of squares is gx^2 + gy^2.
 */
function magnitude(g: Tensor4D): Tensor4D {
  return tf.sqrt(tf.add(channelSum(tf.square(conv3x3(g, 'sobel', [KX, KY]))), EPS)) as Tensor4D;
}

/** Sobel structure loss: map = |mag(fake) - mag(real)|, loss = mean(map) = F.l1_loss(mag fake, mag real). */
export const sobel = tidyLoss(function sobel(real: Image, fake: Image): LossResult {
  const single = checkPair(real, fake);
  // Real and fake are convolved separately: batching them (concat, then split) measured slower on wasm,
  // where the split copies both maps.
  const mr = magnitude(gray(real)),
    mf = magnitude(gray(fake));
  const d = tf.abs(tf.sub(mf, mr)) as Tensor4D;
  return {
    map: toMap(d, single),
    mean: planeMean(d),
    filtered: { real: toMap(mr, single), fake: toMap(mf, single) },
  };
});

export const sobelLoss: LossDefinition = {
  name: 'sobel',
  title: 'Sobel',
  filterLabel: 'sobel',
  zeroWhenEqual: true,
  halo: 1,
  grayOnly: true,
  // Not shift-tolerant (k > 0): the engine's ops then.
  fromSamples: (r, f, range, k) => (k ? undefined : hostFilterSamples(r, f, range, 'sobel')),
  compute: sobel,
  shift: { filter: (x) => magnitude(gray(x)), power: 1, filterLabel: 'sobel' },
};
