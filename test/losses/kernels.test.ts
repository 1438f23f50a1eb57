import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../src/engine/backend.js';
import { conv3x3, keptKernels, releaseKernels } from '../../src/losses/kernels.js';
import { maxAbsDiff } from '../helpers.js';

const KX = [1, 0, -1, 2, 0, -2, 1, 0, -1];
const KY = [1, 2, 1, 0, 0, 0, -1, -2, -1];
const KL = [0, 1, 0, 1, -4, 1, 0, 1, 0];

/** The plain convolution the folded one must equal: tf.conv2d with a [3,3,1,c] kernel, 'same' padding. */
function plain(g: tf.Tensor4D, taps: number[][]): tf.Tensor4D {
  const k = tf.tensor4d(Array.from({ length: 9 }, (_, t) => taps.map((x) => x[t])).flat(), [
    3,
    3,
    1,
    taps.length,
  ]);
  return tf.conv2d(g, k, 1, 'same');
}

for (const backend of ['wasm', 'cpu'] as const) {
  test(`conv3x3 on ${backend} (columns folded into channels where W allows) equals tf.conv2d, every width 1..13 and a batch`, async (t) => {
    try {
      await useBackend(backend);
    } catch (err) {
      t.skip(`${backend} backend absent: ${(err as Error).message}`);
      return;
    }
    for (let w = 1; w <= 13; w++) {
      for (const [name, taps] of [
        ['sobel', [KX, KY]],
        ['laplacian', [KL]],
      ] as const) {
        tf.tidy(() => {
          const g = tf.randomUniform([2, 5, w, 1], -1, 1, 'float32', w) as tf.Tensor4D;
          const got = conv3x3(g, name, taps);
          assert.deepEqual(got.shape, [2, 5, w, taps.length]);
          const d = maxAbsDiff(got.dataSync(), plain(g, taps as unknown as number[][]).dataSync());
          assert.ok(d <= 1e-6, `${name} width ${w}: differs by ${d}`);
        });
      }
    }
  });
}

test('kernels are kept once per backend and fold, and released on demand', async () => {
  await useBackend('cpu');
  releaseKernels();
  const before = tf.memory().numTensors;
  tf.tidy(() => void conv3x3(tf.zeros([1, 4, 4, 1]), 'laplacian', [KL]));
  tf.tidy(() => void conv3x3(tf.zeros([1, 4, 4, 1]), 'laplacian', [KL]));
  assert.equal(keptKernels(), 1);
  assert.equal(tf.memory().numTensors, before + 1, 'one kept kernel, nothing else');
  releaseKernels();
  assert.equal(keptKernels(), 0);
  assert.equal(tf.memory().numTensors, before);
});
