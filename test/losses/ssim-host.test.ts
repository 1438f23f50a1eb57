import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../src/engine/backend.js';
import { gaussianTaps } from '../../src/losses/gaussian.js';
import { hostSsimMeanMap, setHostKernels } from '../../src/losses/ssim-host.js';
import { maxAbsDiff } from '../helpers.js';

/**
 * The reference the WebAssembly kernel must equal: SSIM written out from its definition in float64, a 2-D
 * 11x11 Gaussian window (the outer product of scipy's taps) with scipy's 'reflect' border, per channel,
 * then averaged over channels. No code shared with the kernel or the tfjs ops.
 */
function naiveMeanMap(
  x: Float32Array,
  y: Float32Array,
  [n, h, w, c]: number[],
  c1: number,
  c2: number,
): Float64Array {
  const g = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / 4.5));
  const total = g.reduce((a, b) => a + b, 0);
  const k = g.map((v) => v / total);
  const refl = (i: number, m: number) => (i < 0 ? -i - 1 : i >= m ? 2 * m - i - 1 : i);
  const out = new Float64Array(n * h * w);
  for (let b = 0; b < n; b++)
    for (let r = 0; r < h; r++)
      for (let col = 0; col < w; col++)
        for (let ch = 0; ch < c; ch++) {
          let mx = 0,
            my = 0,
            xx = 0,
            yy = 0,
            xy = 0;
          for (let i = -5; i <= 5; i++)
            for (let j = -5; j <= 5; j++) {
              const wt = k[i + 5] * k[j + 5],
                at = ((b * h + refl(r + i, h)) * w + refl(col + j, w)) * c + ch;
              const a = x[at],
                v = y[at];
              mx += wt * a;
              my += wt * v;
              xx += wt * a * a;
              yy += wt * v * v;
              xy += wt * a * v;
            }
          const s =
            ((2 * mx * my + c1) * (2 * (xy - mx * my) + c2)) /
            ((mx * mx + my * my + c1) * (xx - mx * mx + yy - my * my + c2));
          out[(b * h + r) * w + col] += s / c;
        }
  return out;
}

test('the SSIM kernel (WebAssembly SIMD) equals SSIM from its definition: every width 5..13, odd sizes, batches, 1..4 channels, both ranges', async () => {
  await useBackend('wasm');
  const taps = gaussianTaps(1.5, 3.5);
  const shapes: [number, number, number, number][] = [
    ...Array.from({ length: 9 }, (_, i): [number, number, number, number] => [1, 7, 5 + i, 3]),
    [2, 23, 37, 3],
    [1, 5, 5, 1],
    [1, 12, 9, 4],
    [1, 40, 33, 2],
  ];
  for (const [i, shape] of shapes.entries()) {
    for (const L of [1, 2]) {
      const x = tf.randomUniform(shape, 0, L, 'float32', 2 * i) as tf.Tensor4D;
      // y correlated with x, so S spans the formula's range rather than sitting near 0.
      const y = tf.tidy(() =>
        tf.add(tf.mul(x, 0.6), tf.randomUniform(shape, 0, 0.4 * L, 'float32', 2 * i + 1)),
      ) as tf.Tensor4D;
      const [c1, c2] = [(0.01 * L) ** 2, (0.03 * L) ** 2];
      const got = hostSsimMeanMap(x, y, taps, c1, c2);
      assert.ok(got, `kernel used for [${shape}]`);
      assert.deepEqual(got.shape, [shape[0], shape[1], shape[2], 1]);
      const want = naiveMeanMap(x.dataSync() as Float32Array, y.dataSync() as Float32Array, shape, c1, c2);
      const d = maxAbsDiff(got.dataSync(), want);
      assert.ok(d <= 2e-5, `[${shape}] L=${L}: differs from the definition by ${d}`);
      tf.dispose([x, y, got]);
    }
  }
});

test('the SSIM kernel declines what it does not cover: a side under 5 px, a backend without host kernels', async () => {
  await useBackend('wasm');
  const taps = gaussianTaps(1.5, 3.5);
  const small = tf.zeros([1, 4, 9, 3]) as tf.Tensor4D,
    ok = tf.zeros([1, 9, 9, 3]) as tf.Tensor4D;
  assert.equal(hostSsimMeanMap(small, small, taps, 1e-4, 9e-4), undefined);
  setHostKernels('wasm', false);
  try {
    assert.equal(hostSsimMeanMap(ok, ok, taps, 1e-4, 9e-4), undefined);
  } finally {
    setHostKernels('wasm', true);
  }
  const s = hostSsimMeanMap(ok, ok, taps, 1e-4, 9e-4)!;
  assert.deepEqual([...new Set(s.dataSync())], [1], 'identical images: S = 1 everywhere');
  tf.dispose([small, ok, s]);
});
