import { tf } from '../tf.js';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { meanHW } from './common.js';

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

const K1 = 0.01,
  K2 = 0.03;

/**
 * SSIM's stabilising constants for data range L (Wang et al. 2004): C1 = (K1 L)², C2 = (K2 L)², K1 0.01, K2
 * 0.03.
 */
export function ssimConstants(L: number): { c1: number; c2: number } {
  return { c1: (K1 * L) ** 2, c2: (K2 * L) ** 2 };
}

/**
 * The Gaussian moments SSIM is built from, per channel, with `blur` the window (padded or 'valid'):
 * mu = G*x, var = G*(x²) - mu², cov = G*(xy) - mu_x mu_y. Computed on x and y less their plane means
 * (c_x, c_y: var and cov do not change, mu = G*(x - c_x) + c_x as the window sums to 1), so that in
 * float32 G*(x²) - mu² no longer cancels the mean's square: for a bright, nearly uniform 0.8 that square
 * is 0.64, and its rounding swamped variances near C2 = 9e-4 on tfjs-wasm (issue 20).
 */
export function gaussianMoments(
  x: Tensor4D,
  y: Tensor4D,
  blur: (t: Tensor4D) => Tensor4D,
): { mx: Tensor4D; my: Tensor4D; vx: Tensor4D; vy: Tensor4D; cov: Tensor4D } {
  const [n, , , c] = x.shape;
  const [cx, cy] = [x, y].map((t) => tf.reshape(meanHW(t), [n, 1, 1, c]));
  const [dx, dy] = [tf.sub(x, cx!) as Tensor4D, tf.sub(y, cy!) as Tensor4D];
  const [ex, ey] = [blur(dx), blur(dy)];
  const vx = tf.sub(blur(tf.mul(dx, dx)), tf.mul(ex, ex)) as Tensor4D;
  const vy = tf.sub(blur(tf.mul(dy, dy)), tf.mul(ey, ey)) as Tensor4D;
  const cov = tf.sub(blur(tf.mul(dx, dy)), tf.mul(ex, ey)) as Tensor4D;
  return { mx: tf.add(ex, cx!), my: tf.add(ey, cy!), vx, vy, cov };
}
