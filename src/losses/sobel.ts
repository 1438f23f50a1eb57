import * as tf from '@tensorflow/tfjs-core';
import { checkPair, conv3x3, gray, toMap } from './common.js';
import type { Image, LossDefinition, LossResult } from './types.js';

// NectarGAN Sobel.__init__ registers 'x' then 'y' in this order.
const KX = [[1, 0, -1], [2, 0, -2], [1, 0, -1]];
const KY = [[1, 2, 1], [0, 0, 0], [-1, -2, -1]];
// KernelLoss.eval_kernels_sqrt's epsilon, added under the square root.
const EPS = 1e-6;

/** mag(x) = sqrt(conv(gray x, kx)^2 + conv(gray x, ky)^2 + 1e-6). */
function magnitude(x: Image): tf.Tensor4D {
  const g = gray(x);
  return tf.sqrt(tf.add(tf.add(tf.square(conv3x3(g, KX)), tf.square(conv3x3(g, KY))), EPS)) as tf.Tensor4D;
}

/** Sobel structure loss: map = |mag(fake) - mag(real)|, loss = mean(map) = F.l1_loss(mag fake, mag real). */
export function sobel(real: Image, fake: Image): LossResult {
  const single = checkPair(real, fake);
  const mr = magnitude(real);
  const mf = magnitude(fake);
  const d = tf.abs(tf.sub(mf, mr)) as tf.Tensor4D;
  return { map: toMap(d, single), mean: tf.mean(d), filtered: { real: toMap(mr, single), fake: toMap(mf, single) } };
}

export const sobelLoss: LossDefinition = { name: 'sobel', title: 'Sobel', filterLabel: 'sobel', compute: sobel };
