import { tf } from '../tf.js';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { channelMean, checkPair, rgb4d, tidyLoss, toMap, planeMean } from './common.js';
import { hostShiftMin, hostShiftMinSamples } from './shift-host.js';
import type { Image, LossDefinition, LossResult } from './types.js';

/** L1: map = channel mean of |fake - real|; mean(map) equals F.l1_loss(fake, real) over N, C, H, W. */
export const l1 = tidyLoss(function l1(real: Image, fake: Image): LossResult {
  const single = checkPair(real, fake);
  // On host-memory backends a WebAssembly kernel (shift-host.ts at k = 0): the same float32 operations.
  const m =
    hostShiftMin(rgb4d(real), rgb4d(fake), 0, 1) ??
    channelMean(tf.abs(tf.sub(rgb4d(fake), rgb4d(real))) as Tensor4D);
  const map = toMap(m, single);
  return { map, mean: planeMean(map) };
});

export const l1Loss: LossDefinition = {
  name: 'l1',
  title: 'L1',
  zeroWhenEqual: true,
  halo: 0,
  fromSamples: (r, f, range, k) => hostShiftMinSamples(r, f, range, k, 1),
  compute: l1,
  shift: { filter: rgb4d, power: 1 },
};
