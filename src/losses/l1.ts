import { tf } from '../tf.js';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { channelMean, checkPair, rgb4d, tidyLoss, toMap, planeMean } from './common.js';
import type { Image, LossDefinition, LossResult } from './types.js';

/** L1: map = channel mean of |fake - real|; mean(map) equals F.l1_loss(fake, real) over N, C, H, W. */
export const l1 = tidyLoss(function l1(real: Image, fake: Image): LossResult {
  const single = checkPair(real, fake);
  const d = tf.abs(tf.sub(rgb4d(fake), rgb4d(real)));
  const map = toMap(channelMean(d as Tensor4D), single);
  return { map, mean: planeMean(map) };
});

export const l1Loss: LossDefinition = {
  name: 'l1',
  title: 'L1',
  halo: 0,
  compute: l1,
  shift: { filter: rgb4d, power: 1 },
};
