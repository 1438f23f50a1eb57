import { tf } from '../tf.js';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { checkPair, gray, toMap, tidyLoss, planeMean } from './common.js';
import { conv3x3 } from './kernels.js';
import { hostFilterSamples } from './filter-host.js';
import type { Image, LossDefinition, LossResult } from './types.js';

// NectarGAN Laplacian's single 4-neighbour kernel.
const K = [0, 1, 0, 1, -4, 1, 0, 1, 0];

/**
 * Laplacian texture loss: lap(x) = conv(gray x, k); map = |lap(fake) - lap(real)|, loss = mean(map).
 * Filtered maps for figures are |lap(real)| and |lap(fake)| (the Laplacian is signed).
 */
export const laplacian = tidyLoss(function laplacian(real: Image, fake: Image): LossResult {
  const single = checkPair(real, fake);
  const lr = conv3x3(gray(real), 'laplacian', [K]),
    lf = conv3x3(gray(fake), 'laplacian', [K]);
  const d = tf.abs(tf.sub(lf, lr)) as Tensor4D;
  return {
    map: toMap(d, single),
    mean: planeMean(d),
    filtered: { real: toMap(tf.abs(lr), single), fake: toMap(tf.abs(lf), single) },
  };
});

export const laplacianLoss: LossDefinition = {
  name: 'laplacian',
  title: 'Laplacian',
  filterLabel: 'laplacian',
  zeroWhenEqual: true,
  halo: 1,
  grayOnly: true,
  // Not shift-tolerant (k > 0): the engine's ops then.
  fromSamples: (r, f, range, k) => (k ? undefined : hostFilterSamples(r, f, range, 'laplacian')),
  compute: laplacian,
  shift: {
    filter: (x) => conv3x3(gray(x), 'laplacian', [K]),
    power: 1,
    shown: (f) => tf.abs(f),
    filterLabel: 'laplacian',
  },
};
