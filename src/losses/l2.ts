import { tf } from '../tf.js';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { channelMean, checkPair, rgb4d, tidyLoss, toMap, planeMean } from './common.js';
import type { Image, LossDefinition, LossResult } from './types.js';

/** L2: map = channel mean of (fake - real)^2; mean(map) equals F.mse_loss(fake, real). */
export const l2 = tidyLoss(function l2(real: Image, fake: Image): LossResult {
  const single = checkPair(real, fake);
  const d = tf.squaredDifference(rgb4d(fake), rgb4d(real));
  const map = toMap(channelMean(d as Tensor4D), single);
  return { map, mean: planeMean(map) };
});

export const l2Loss: LossDefinition = {
  name: 'l2',
  title: 'L2',
  halo: 0,
  compute: l2,
  shift: { filter: rgb4d, power: 2 },
};
