import { tf } from '../tf.js';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { channelMean, checkPair, rgb4d, tidyLoss, toMap, planeMean } from './common.js';
import { hostShiftMin, hostShiftMinSamples } from './shift-host.js';
import type { Image, LossDefinition, LossResult } from './types.js';

/** L2: map = channel mean of (fake - real)^2; mean(map) equals F.mse_loss(fake, real). */
export const l2 = tidyLoss(function l2(real: Image, fake: Image): LossResult {
  const single = checkPair(real, fake);
  // On host-memory backends a WebAssembly kernel (shift-host.ts at k = 0): the same float32 operations.
  const m =
    hostShiftMin(rgb4d(real), rgb4d(fake), 0, 2) ??
    channelMean(tf.squaredDifference(rgb4d(fake), rgb4d(real)) as Tensor4D);
  const map = toMap(m, single);
  return { map, mean: planeMean(map) };
});

export const l2Loss: LossDefinition = {
  name: 'l2',
  title: 'L2',
  zeroWhenEqual: true,
  halo: 0,
  fromSamples: (r, f, range, k) => hostShiftMinSamples(r, f, range, k, 2),
  compute: l2,
  shift: { filter: rgb4d, power: 2 },
};
