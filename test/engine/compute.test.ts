import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../src/engine/backend.js';
import { unitTensor } from '../../src/engine/compute.js';

for (const backend of ['wasm', 'cpu'] as const) {
  test(`unitTensor on ${backend}: x = v / max in float32, and each tensor keeps its own values (wasm reuses one conversion buffer)`, async (t) => {
    try {
      await useBackend(backend);
    } catch (err) {
      t.skip(`${backend} backend absent: ${(err as Error).message}`);
      return;
    }
    const img = (seed: number, max: 255 | 65535) => {
      const samples = max === 255 ? new Uint8Array(4 * 5 * 3) : new Uint16Array(4 * 5 * 3);
      for (let i = 0; i < samples.length; i++) samples[i] = (i * seed * 7919) % (max + 1);
      return { width: 5, height: 4, samples, max };
    };
    const a = img(3, 255),
      b = img(5, 65535);
    const ta = unitTensor(a, 0, 4),
      tb = unitTensor(b, 1, 3);
    // Made after ta from the same buffer on wasm: ta must not have changed.
    const expect = (x: ReturnType<typeof img>, y0: number, y1: number) =>
      Array.from(x.samples.subarray(y0 * 15, y1 * 15), (v) => Math.fround(v / x.max));
    assert.deepEqual(Array.from(ta.dataSync()), expect(a, 0, 4));
    assert.deepEqual(Array.from(tb.dataSync()), expect(b, 1, 3));
    assert.deepEqual(tb.shape, [2, 5, 3]);
    tf.dispose([ta, tb]);
  });
}
