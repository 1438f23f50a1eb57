import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// As a training script has them: tfjs's gradient functions (for tf.grad).
import '@tensorflow/tfjs';
import { useBackend } from '../../src/engine/backend.js';
import { computePair } from '../../src/engine/compute.js';
import { decodeImage } from '../../src/io/decode.js';
import { decodeNpy } from '../../src/io/npy.js';
import { flipHalo } from '../../src/losses/flip.js';
import { flipSamplesRows } from '../../src/losses/flip-host.js';
import { setHostKernels } from '../../src/losses/host.js';
import { loadLoss } from '../../src/losses/registry.js';
import type { DecodedImage } from '../../src/model.js';
import { DEFAULT_PPD } from '../../src/model.js';
import { fixture, liveTensors, maxAbsDiff, relErr } from '../helpers.js';
import type { FlipCase } from './flip.test.js';

/** Written by fixtures/make_flip_fixtures.py with NVIDIA's FLIP (its C++ tool): the reference. */
const FLIP_REF = JSON.parse(readFileSync(fixture('fixtures/reference/flip/flip.json'), 'utf8')) as {
  cases: Record<string, FlipCase>;
};

/**
 * The FLIP kernel (asm/flip.ts through losses/flip-host.ts): its map against the C++ tool's (2e-5) on
 * every fixture, directly from the samples (no tensor), on both host backends; in bands; with a mask; and
 * the tfjs ops where it must step aside (tf.grad, a backend without host kernels, as webgpu).
 */

async function decodePair(c: FlipCase): Promise<[DecodedImage, DecodedImage]> {
  return Promise.all([
    decodeImage(fixture(c.real), { label: 'r' }),
    decodeImage(fixture(c.fake), { label: 'f' }),
  ]);
}

/** The largest difference from FLIP's map (whole, or its stored rows). */
function diffFromFlip(c: FlipCase, map: Float32Array): number {
  let d = c.map ? maxAbsDiff(map, decodeNpy(readFileSync(fixture(c.map))).data) : 0;
  for (const r of c.rows ?? [])
    d = Math.max(
      d,
      maxAbsDiff(
        map.subarray(r.from * c.width, r.to * c.width),
        decodeNpy(readFileSync(fixture(r.map))).data,
      ),
    );
  return d;
}

for (const backend of ['wasm', 'cpu'] as const) {
  test(`flip kernel on ${backend}: every fixture (odd size, gray, RGBA, palette, identical, ppd 30 and 37, the 1920x1080 pair's rows) within 2e-5 of FLIP's map`, async (t) => {
    await useBackend(backend);
    const flip = (await loadLoss('flip'))!;
    let worst = 0;
    for (const [name, c] of Object.entries(FLIP_REF.cases)) {
      const [real, fake] = await decodePair(c);
      const before = liveTensors();
      const map = flip.fromSamples!(real, fake, 'unit', 0, { ppd: c.ppd });
      assert.ok(map, `${name}: the kernel applies on ${backend}`);
      assert.equal(liveTensors(), before, `${name}: no tensor made`);
      assert.equal(map.length, c.width * c.height);
      const d = diffFromFlip(c, map);
      assert.ok(d <= 2e-5, `${name}: ${d}`);
      if (name === 'identical') assert.ok(map.every((v) => v === 0));
      worst = Math.max(worst, d);
    }
    t.diagnostic(`largest difference from FLIP's map: ${worst.toExponential(2)}`);
  });
}

test('flip kernel: bands of rows (with their halo, samples from a later row) give the whole map bit for bit', async () => {
  await useBackend('wasm');
  const c = FLIP_REF.cases.rgb8!;
  const [real, fake] = await decodePair(c);
  const { width: W, height: H } = real;
  for (const ppd of [DEFAULT_PPD, 200]) {
    const whole = flipSamplesRows(real, fake, ppd, 0, H)!;
    const halo = flipHalo(ppd);
    for (const split of [1, 37, 100, H - 1]) {
      const from = Math.max(0, split - halo);
      const tail = (x: DecodedImage) => ({ ...x, samples: x.samples.slice(from * W * 3) });
      const top = flipSamplesRows(real, fake, ppd, 0, split)!;
      const bottom = flipSamplesRows(tail(real), tail(fake), ppd, split, H, from)!;
      assert.deepEqual(top, whole.subarray(0, split * W), `ppd ${ppd}: rows above ${split}`);
      assert.deepEqual(bottom, whole.subarray(split * W), `ppd ${ppd}: rows from ${split}`);
    }
  }
});

test("flip on the 1920x1080 pair (two bands, one on a worker thread): the one-thread kernel's map bit for bit, FLIP's mean", async () => {
  await useBackend('wasm');
  const flip = (await loadLoss('flip'))!;
  const c = FLIP_REF.cases.large!;
  const [real, fake] = await decodePair(c);
  const res = await computePair(flip, real, fake, 'unit');
  assert.deepEqual(res.map, flipSamplesRows(real, fake, DEFAULT_PPD, 0, c.height));
  assert.ok(relErr(res.value, c.mean32) <= 5e-5, `${res.value} vs ${c.mean32}`);
});

test('flip kernel with a mask: the mean over the compared pixels of FLIP’s map (float32 pooling)', async () => {
  await useBackend('wasm');
  const flip = (await loadLoss('flip'))!;
  const c = FLIP_REF.cases.rgb8!;
  const [real, fake] = await decodePair(c);
  const mask = new Uint8Array(c.width * c.height).map((_, i) => (i % c.width < 150 && i % 7 !== 0 ? 1 : 0));
  const ref = decodeNpy(readFileSync(fixture(c.map!))).data;
  let sum = 0,
    n = 0;
  for (let i = 0; i < mask.length; i++)
    if (mask[i]) {
      sum += ref[i]!;
      n++;
    }
  const res = await computePair(flip, real, fake, 'unit', undefined, { mask });
  assert.ok(relErr(res.value, sum / n) <= 5e-5, `${res.value} vs ${sum / n}`);
  assert.ok(diffFromFlip(c, res.map) <= 2e-5);
});

test('flip kernel on 16-bit samples: the tfjs ops’ map within 2e-5 (its 65536-entry table)', async () => {
  await useBackend('wasm');
  const flip = (await loadLoss('flip'))!;
  const [real, fake] = await Promise.all(
    ['real', 'fake'].map((s) => decodeImage(fixture(`fixtures/images/rgb16_96x80_${s}.png`), { label: s })),
  );
  assert.equal(real!.max, 65535);
  const kernel = flip.fromSamples!(real!, fake!, 'unit', 0, {})!;
  const ops = tf.tidy(() => {
    const x = (d: DecodedImage) =>
      tf.div<tf.Tensor3D>(tf.tensor3d(Float32Array.from(d.samples), [80, 96, 3]), 65535);
    return flip.compute(x(real!), x(fake!)).map.dataSync() as Float32Array;
  });
  assert.ok(maxAbsDiff(kernel, ops) <= 2e-5, `${maxAbsDiff(kernel, ops)}`);
});

test('flip kernel steps aside inside tf.grad and on a backend without host kernels (as webgpu): the ops run', async () => {
  await useBackend('cpu');
  const flip = (await loadLoss('flip'))!;
  const c = FLIP_REF.cases.gray8!;
  const [real, fake] = await decodePair(c);
  assert.ok(flip.fromSamples!(real, fake, 'unit', 0, {}));
  const x = tf.zeros([2, 2, 3]);
  let inside: Float32Array | undefined | 'not run' = 'not run';
  const g = tf.grad((t: tf.Tensor) => {
    inside = flip.fromSamples!(real, fake, 'unit', 0, {});
    return tf.sum(t);
  })(x);
  assert.equal(inside, undefined, 'no kernel while the tape records');
  tf.dispose([x, g]);
  setHostKernels('cpu', false);
  try {
    assert.equal(flip.fromSamples!(real, fake, 'unit', 0, {}), undefined);
    const res = await computePair(flip, real, fake, 'unit', undefined, { ppd: c.ppd });
    assert.ok(diffFromFlip(c, res.map) <= 2e-5, 'the ops give FLIP’s map');
  } finally {
    setHostKernels('cpu', true);
  }
});
