import { tf } from '../tf.js';
import type { Scalar, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import { checkPair, meanHW, rgb4d, tidyLoss } from './common.js';
import { blurValid, gaussianMoments, gaussianTaps, ssimConstants } from './gaussian.js';
import type { Image, LossDefinition, LossResult } from './types.js';

/** pytorch_msssim's scale weights, finest first. */
const WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];
/**
 * Images must be larger than this on their shorter side: (11 - 1) * 2^4, four halvings of an 11-tap window.
 */
export const MS_SSIM_MIN_SIDE = 160;

/**
 * Per channel [N,C]: the mean SSIM and the mean contrast-structure term, 'valid' Gaussian (no padding), the
 * means summed in blocks (common.ts meanHW: float32 sums over a whole plane drift on tfjs-wasm).
 */
function scale(x: Tensor4D, y: Tensor4D, L: number): { ssim: Tensor2D; cs: Tensor2D } {
  const taps = gaussianTaps(1.5, 3.5); // 11 taps, as _fspecial_gauss_1d(11, 1.5)
  const { mx, my, vx, vy, cov } = gaussianMoments(x, y, (t) => blurValid(t, taps));
  const { c1, c2 } = ssimConstants(L);
  const cs = tf.div(tf.add(tf.mul(cov, 2), c2), tf.add(tf.add(vx, vy), c2));
  const lum = tf.div(
    tf.add(tf.mul(tf.mul(mx, my), 2), c1),
    tf.add(tf.add(tf.mul(mx, mx), tf.mul(my, my)), c1),
  );
  return { ssim: meanHW(tf.mul(lum, cs) as Tensor4D), cs: meanHW(cs as Tensor4D) };
}

/**
 * 2x2 average pooling, odd sizes padded with a zero row/column on both sides and counted (count_include_pad).
 */
function halve(x: Tensor4D): Tensor4D {
  const [, h, w] = x.shape;
  const p = tf.pad(x, [
    [0, 0],
    [h % 2, h % 2],
    [w % 2, w % 2],
    [0, 0],
  ]);
  return tf.avgPool(p, 2, 2, 'valid');
}

/**
 * MS-SSIM of real and fake ([H,W,C] or [N,H,W,C], C >= 3, shorter side > 160) in data range L, as
 * pytorch_msssim.ms_ssim(X, Y, data_range=L): at 5 scales (halved by halve()), the contrast-structure means
 * cs_1..cs_4 (ReLU'd) and the SSIM mean of the coarsest scale, combined as prod_i v_i^w_i per channel, then
 * averaged over channels and images. Value only: `map` is a scalar-sized placeholder (no per-pixel map).
 */
export const msSsim = tidyLoss(function msSsim(real: Image, fake: Image, L: number = 1): LossResult {
  checkPair(real, fake);
  let [x, y] = [rgb4d(real), rgb4d(fake)];
  const side = Math.min(x.shape[1], x.shape[2]);
  if (side <= MS_SSIM_MIN_SIDE)
    throw new Error(`MS-SSIM needs images whose shorter side is over ${MS_SSIM_MIN_SIDE} px, got ${side}`);
  const terms: Tensor2D[] = [];
  for (let i = 0; i < WEIGHTS.length; i++) {
    const s = scale(x, y, L);
    if (i < WEIGHTS.length - 1) {
      terms.push(tf.relu(s.cs));
      [x, y] = [halve(x), halve(y)];
    } else terms.push(tf.relu(s.ssim));
  }
  const prod = terms.reduce(
    (acc, t, i) => tf.mul(acc, tf.pow(t, WEIGHTS[i])) as Tensor2D,
    tf.onesLike(terms[0]),
  );
  const mean = tf.mean(prod) as Scalar;
  return { map: tf.reshape(mean, [1]), mean };
});

export const msSsimLoss: LossDefinition = {
  name: 'ms-ssim',
  title: 'MS-SSIM',
  higherIsBetter: true,
  mapless: true,
  minSide: MS_SSIM_MIN_SIDE + 1,
  compute: (real, fake, ctx) => msSsim(real, fake, ctx?.dataRange ?? 1),
};
