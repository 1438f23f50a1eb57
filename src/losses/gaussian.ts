import { tf } from '../tf.js';
import type { Tensor4D } from '@tensorflow/tfjs-core';

/**
 * The SSIM window: a normalised 1-D Gaussian of 2r + 1 taps, r = floor(truncate * sigma + 0.5), weights
 * exp(-x² / (2 sigma²)) / sum (scipy.ndimage.gaussian_filter's, and pytorch_msssim's for size 11, sigma 1.5).
 * Computed in float64, then rounded to float32.
 */
export function gaussianTaps(sigma = 1.5, truncate = 3.5): number[] {
  const r = Math.floor(truncate * sigma + 0.5);
  const w = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
}

/**
 * Separable Gaussian blur of each channel of x [N,H,W,C]: along rows then columns, 'valid' (the output
 * is 2r smaller in each dimension; pad first for a same-size result).
 */
export function blurValid(x: Tensor4D, taps: readonly number[]): Tensor4D {
  const c = x.shape[3];
  const k = taps.length;
  const col = tf.tile(tf.tensor4d([...taps], [k, 1, 1, 1], 'float32'), [1, 1, c, 1]) as Tensor4D;
  const row = tf.reshape(col, [1, k, c, 1]) as Tensor4D;
  return tf.depthwiseConv2d(tf.depthwiseConv2d(x, col, 1, 'valid'), row, 1, 'valid');
}
