import { tf } from '../tf.js';
import { channelMean, checkPair, rgb4d, tidyLoss, toMap, planeMean } from './common.js';
import { hostShiftMinSamples } from './shift-host.js';
import type { Image, LossDefinition, LossResult } from './types.js';

/**
 * PSNR of real and fake ([H,W,C] or [N,H,W,C], C >= 3) in data range L, as scikit-image's
 * peak_signal_noise_ratio(real, fake, data_range=L): 10 log10(L² / MSE), MSE over all pixels and channels.
 * map = the per-pixel squared error, channel mean ([H,W] or [N,H,W]); mean = the PSNR in dB (Infinity for
 * identical images).
 */
export const psnr = tidyLoss(function psnr(real: Image, fake: Image, L: number = 1): LossResult {
  const single = checkPair(real, fake);
  const map = toMap(channelMean(tf.squaredDifference(rgb4d(fake), rgb4d(real))), single);
  return { map, mean: tf.mul(tf.log(tf.div(L * L, planeMean(map))), 10 / Math.LN10) };
});

/** 10 log10(L² / mse) in float64; identical images (mse 0) give Infinity. */
export function psnrFromMse(mse: number, L: number): number {
  return 10 * Math.log10((L * L) / mse);
}

export const psnrLoss: LossDefinition = {
  name: 'psnr',
  title: 'PSNR',
  mapTitle: 'squared error',
  unit: 'dB',
  // White at a pixel error of a tenth of the range (a per-pixel PSNR of 20 dB): at scale 1 the map of a
  // 24 dB pair (mean 0.0036) was nearly black.
  heatScale: (L) => 0.01 * L * L,
  halo: 0,
  fromSamples: (r, f, range, k) => hostShiftMinSamples(r, f, range, k, 2),
  higherIsBetter: true,
  value: { fromMean: (mse, L) => psnrFromMse(mse, L) },
  compute: (real, fake, ctx) => psnr(real, fake, ctx?.dataRange ?? 1),
};
