import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// Registers tfjs's gradient functions, as a training script's import of the bundle does.
import '@tensorflow/tfjs';
import { useBackend } from '../../src/engine/backend.js';
import { l1 } from '../../src/losses/l1.js';
import { l2 } from '../../src/losses/l2.js';
import { setPointwiseKernels as setHostKernels } from '../../src/losses/host.js';
import { hostShiftMin } from '../../src/losses/shift-host.js';
import { shiftTolerant } from '../../src/losses/shift.js';
import { sobelLoss } from '../../src/losses/sobel.js';

const f = Math.fround;

/**
 * The reference the kernel must equal bit for bit: the shift-tolerant map written out from its definition,
 * every operation rounded to float32 in the order the tfjs ops take (fake - real, |.| or its square, the
 * channel sum from 0 in channel order, divided by C, the minimum over the offsets inside the image). No
 * code shared with the kernel or the tfjs ops.
 */
function naive(r: Float32Array, q: Float32Array, [n, h, w, c]: number[], k: number, power: 1 | 2) {
  const out = new Float32Array(n! * h! * w!);
  for (let b = 0; b < n!; b++)
    for (let y = 0; y < h!; y++)
      for (let x = 0; x < w!; x++) {
        let best = Infinity;
        for (let dy = -k; dy <= k; dy++)
          for (let dx = -k; dx <= k; dx++) {
            if (y + dy < 0 || y + dy >= h! || x + dx < 0 || x + dx >= w!) continue;
            let s = 0;
            for (let ch = 0; ch < c!; ch++) {
              const d = f(
                q[((b * h! + y + dy) * w! + x + dx) * c! + ch]! - r[((b * h! + y) * w! + x) * c! + ch]!,
              );
              s = f(s + (power === 2 ? f(d * d) : Math.abs(d)));
            }
            best = Math.min(best, f(s / c!));
          }
        out[(b * h! + y) * w! + x] = best;
      }
  return out;
}

const shapes: [number, number, number, number][] = [
  [1, 1, 1, 3],
  [1, 5, 7, 3],
  [2, 9, 13, 3],
  [1, 17, 6, 1],
  [1, 8, 11, 4],
];

test('the shift kernel (WebAssembly SIMD) equals the definition in float32, bit for bit: k 0..3, l1 and l2 powers, odd widths, batches, 1..4 channels', async () => {
  await useBackend('wasm');
  for (const [i, shape] of shapes.entries())
    for (const k of [0, 1, 2, 3])
      for (const power of [1, 2] as const) {
        const r = tf.randomUniform(shape, -1, 1, 'float32', 3 * i) as tf.Tensor4D;
        const q = tf.randomUniform(shape, -1, 1, 'float32', 3 * i + 1) as tf.Tensor4D;
        const got = hostShiftMin(r, q, k, power)!;
        assert.deepEqual(got.shape, [shape[0], shape[1], shape[2], 1]);
        const want = naive(r.dataSync() as Float32Array, q.dataSync() as Float32Array, shape, k, power);
        assert.deepEqual(got.dataSync(), want, `[${shape}] k=${k} power ${power}`);
        tf.dispose([r, q, got]);
      }
});

/** A loss's map with the kernels off (the tfjs ops) and on. */
function bothWays(f: () => tf.Tensor): [Float32Array, Float32Array] {
  setHostKernels('wasm', false);
  let ops: tf.Tensor;
  try {
    ops = tf.tidy(f);
  } finally {
    setHostKernels('wasm', true);
  }
  const kernel = tf.tidy(f);
  const out: [Float32Array, Float32Array] = [
    ops.dataSync() as Float32Array,
    kernel.dataSync() as Float32Array,
  ];
  tf.dispose([ops, kernel]);
  return out;
}

test('on tfjs-wasm, l1, l2 and the shift-tolerant maps are the same bit for bit with the kernel as with the tfjs ops', async () => {
  await useBackend('wasm');
  const r = tf.randomUniform([1, 31, 45, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  // 8-bit-like values and exact ties, as screenshots give.
  const q = tf.tidy(() =>
    tf.div(tf.round(tf.mul(tf.randomUniform([1, 31, 45, 3], 0, 1, 'float32', 8), 255)), 255),
  ) as tf.Tensor4D;
  const cases: [string, () => tf.Tensor][] = [
    ['l1', () => l1(r, q).map],
    ['l2', () => l2(r, q).map],
    ['l1 k=0', () => shiftTolerant({ filter: (x) => x as tf.Tensor4D, power: 1 }, r, q, 0).map],
    ['l1 k=2', () => shiftTolerant({ filter: (x) => x as tf.Tensor4D, power: 1 }, r, q, 2).map],
    ['l2 k=3', () => shiftTolerant({ filter: (x) => x as tf.Tensor4D, power: 2 }, r, q, 3).map],
    ['sobel k=1', () => shiftTolerant(sobelLoss.shift!, r, q, 1).map],
  ];
  for (const [label, f] of cases) {
    const [ops, kernel] = bothWays(f);
    assert.deepEqual(kernel, ops, label);
  }
  tf.dispose([r, q]);
});

test('the shift kernel declines inside tf.grad and on a backend without host kernels', async () => {
  await useBackend('wasm');
  const x = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
  setHostKernels('wasm', false);
  try {
    assert.equal(hostShiftMin(x, x, 1, 1), undefined);
  } finally {
    setHostKernels('wasm', true);
  }
  let inside: unknown = 'not run';
  tf.grad((t: tf.Tensor) => {
    inside = hostShiftMin(t as tf.Tensor4D, x, 1, 1);
    return tf.sum(t);
  })(x);
  assert.equal(inside, undefined);
  tf.dispose(x);
});

test('from stored samples (8- and 16-bit, unit and signed range; pairs unlike and mostly equal), the engine gives l1, l2, psnr and the shift-tolerant maps bit for bit as the tensor path does', async () => {
  const { computeLosses } = await import('../../src/engine/compute.js');
  const { loadLoss } = await import('../../src/losses/registry.js');
  await useBackend('wasm');
  const W = 23,
    H = 17;
  let s = 11;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (const [max, Arr] of [
    [255, Uint8Array],
    [65535, Uint16Array],
  ] as const) {
    const img = () => ({
      width: W,
      height: H,
      max,
      samples: new Arr(W * H * 3).map(() => rnd() * (max + 1)),
    });
    const [a, b0] = [img(), img()];
    // A screenshot pair: most pixels equal (the kernel skips them), a few changed in one channel or all.
    const near = {
      ...a,
      samples: a.samples.map((v, i) => (rnd() < 0.1 ? (v + 1 + (i % 3)) % (max + 1) : v)),
    };
    const mask = Uint8Array.from({ length: W * H }, (_, i) => (i % 5 ? 1 : 0));
    for (const [label0, b] of [
      ['unlike', b0],
      ['mostly equal', near],
    ] as const)
      for (const name of ['l1', 'l2', 'psnr'])
        for (const range of ['unit', 'signed'] as const)
          for (const shift of name === 'psnr' ? [0] : [0, 1, 3])
            for (const m of [undefined, mask]) {
              const loss = (await loadLoss(name))!;
              const run = () => computeLosses([loss], a, b, range, {}, { shift, mask: m });
              setHostKernels('wasm', false);
              let ops;
              try {
                ops = (await run())[0]!;
              } finally {
                setHostKernels('wasm', true);
              }
              const direct = (await run())[0]!;
              const label = `${label0} ${name} ${max} ${range} shift ${shift}${m ? ' masked' : ''}`;
              assert.deepEqual(direct.map, ops.map, label);
              assert.equal(direct.value, ops.value, label);
            }
  }
});
