import { tf } from '../tf.js';
import type { Scalar, Tensor4D } from '@tensorflow/tfjs-core';
import { channelMean, checkPair, planeMean, rgb4d, tidyLoss } from './common.js';
import { blurValid, gaussianMoments, gaussianTaps, ssimConstants } from './gaussian.js';
import { hostSsimMeanMap, hostSsimSamples } from './ssim-host.js';
import { hostKernelsActive } from './host.js';
import type { Image, LossDefinition, LossResult } from './types.js';

/** The window's reach: 5 pixels on each side (11 taps). */
export const SSIM_RADIUS = 5;

/**
 * The SSIM map S [N,H,W,C] of two images in a data range L, per channel (Wang et al. 2004, as scikit-image's
 * structural_similarity computes it with gaussian_weights=True, sigma=1.5, use_sample_covariance=False):
 *   mu = G*x, var = G*(x²) - mu², cov = G*(xy) - mu_x mu_y, C1 = (K1 L)², C2 = (K2 L)²,
 *   S = (2 mu_x mu_y + C1)(2 cov + C2) / ((mu_x² + mu_y² + C1)(var_x + var_y + C2))
 * with G the 11-tap Gaussian (sigma 1.5, truncate 3.5) and scipy's 'reflect' border (the edge sample
 * repeated: mirrorPad 'symmetric'), so S has the input's size.
 */
export function ssimMap(x: Tensor4D, y: Tensor4D, L: number): Tensor4D {
  const taps = gaussianTaps(1.5, 3.5);
  const r = (taps.length - 1) / 2;
  const pad = (t: Tensor4D) =>
    tf.mirrorPad(
      t,
      [
        [0, 0],
        [r, r],
        [r, r],
        [0, 0],
      ],
      'symmetric',
    );
  const { mx, my, vx, vy, cov } = gaussianMoments(x, y, (t) => blurValid(pad(t), taps));
  const { c1, c2 } = ssimConstants(L);
  const a = tf.mul(tf.add(tf.mul(tf.mul(mx, my), 2), c1), tf.add(tf.mul(cov, 2), c2));
  const b = tf.mul(tf.add(tf.add(tf.mul(mx, mx), tf.mul(my, my)), c1), tf.add(tf.add(vx, vy), c2));
  return tf.div(a, b) as Tensor4D;
}

/**
 * SSIM of real and fake ([H,W,C] or [N,H,W,C], C >= 3) in data range L (1 for [0,1], 2 for [-1,1]).
 * map = 1 - S averaged over channels ([H,W] or [N,H,W]: bright = differs); mean = the SSIM index, the mean
 * of S over the interior (5 pixels cropped on each side) and the channels (1 = identical; NaN when an
 * image is 10 px or less on a side). On host-memory backends the channel mean of S comes from the WebAssembly
 * kernel (ssim-host.ts: the same formula, ~17x faster on wasm); on others, and inside tf.grad, from ssimMap.
 */
export const ssim = tidyLoss(function ssim(real: Image, fake: Image, L: number = 1): LossResult {
  const single = checkPair(real, fake);
  const [x, y] = [rgb4d(real), rgb4d(fake)];
  const { c1, c2 } = ssimConstants(L);
  const s = tf.squeeze(
    hostSsimMeanMap(x, y, gaussianTaps(1.5, 3.5), c1, c2) ?? channelMean(ssimMap(x, y, L)),
    [3],
  );
  const [, h, w] = s.shape;
  const map = tf.sub(1, s);
  // No interior in images of 10 px or less on a side: the index is then NaN (the engine refuses them).
  const inner =
    h > 2 * SSIM_RADIUS && w > 2 * SSIM_RADIUS
      ? planeMean(tf.slice(s, [0, SSIM_RADIUS, SSIM_RADIUS], [-1, h - 2 * SSIM_RADIUS, w - 2 * SSIM_RADIUS]))
      : tf.scalar(NaN);
  return { map: single ? tf.squeeze(map, [0]) : map, mean: inner as Scalar };
});

export const ssimLoss: LossDefinition = {
  name: 'ssim',
  title: 'SSIM',
  mapTitle: '1 − SSIM',
  halo: SSIM_RADIUS,
  // The kernel's S of equal images is 1 exactly (numerator and denominator are the same float32 products)
  // and so is its channel mean; the ops' reductions give no such promise.
  zeroWhenEqual: () => hostKernelsActive(),
  minSide: 2 * SSIM_RADIUS + 1,
  higherIsBetter: true,
  value: { crop: SSIM_RADIUS, fromMean: (m) => 1 - m },
  compute: (real, fake, ctx) => ssim(real, fake, ctx?.dataRange ?? 1),
  fromSamples: (r, f, range) => {
    const { c1, c2 } = ssimConstants(range === 'signed' ? 2 : 1);
    return hostSsimSamples(r, f, range === 'signed', gaussianTaps(1.5, 3.5), c1, c2);
  },
};
