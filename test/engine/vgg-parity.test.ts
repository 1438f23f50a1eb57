import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { computePair } from '../../src/engine/compute.js';
import { useBackend } from '../../src/engine/backend.js';
import { decodeImage } from '../../src/io/decode.js';
import { decodeNpy } from '../../src/io/npy.js';
import { loadVgg19 } from '../../src/io/weights/vgg19.js';
import { vgg19Weights, vggLoss } from '../../src/losses/vgg.js';
import { RANGES } from '../../src/losses/range.js';
import { fixture, maxAbsDiff, relErr } from '../helpers.js';

/** Values from fixtures/make_vgg_fixtures.py: torchvision's vgg19 features with the fixture weights. */
const REF = JSON.parse(readFileSync(fixture('fixtures/reference/vgg.json'), 'utf8')) as {
  cases: Record<
    string,
    { real: string; fake: string; vgg: Record<'unit' | 'signed', { mean: number; map?: string }> }
  >;
};

async function pair(name: string) {
  const c = REF.cases[name];
  return [
    await decodeImage(readFileSync(fixture(c.real)), { label: 'real' }),
    await decodeImage(readFileSync(fixture(c.fake)), { label: 'fake' }),
  ] as const;
}

async function check(
  t: { test: (n: string, f: () => Promise<void>) => Promise<void> },
  layout: string,
  cases: string[],
  withMap = false,
) {
  const w = vgg19Weights(await loadVgg19(fixture(`fixtures/weights/${layout}`)));
  try {
    for (const name of cases) {
      const [real, fake] = await pair(name);
      for (const range of RANGES) {
        const ref = REF.cases[name].vgg[range];
        await t.test(`${layout} ${name} ${range}`, async () => {
          const before = tf.memory().numTensors;
          const res = await computePair(vggLoss, real, fake, range, { vgg19: w });
          assert.equal(tf.memory().numTensors, before, 'leaked tensors');
          assert.ok(relErr(res.value, ref.mean) <= 1e-4, `mean ${res.value} vs torch ${ref.mean}`);
          if (withMap && ref.map) {
            const d = maxAbsDiff(res.map, decodeNpy(readFileSync(fixture(ref.map))).data);
            assert.ok(d <= 1e-4, `map differs by ${d}`);
          }
        });
      }
    }
  } finally {
    w.dispose();
  }
}

test('VGG parity with PyTorch: every weights layout, both ranges (wasm)', async (t) => {
  try {
    await useBackend('wasm');
  } catch (err) {
    t.skip(`wasm backend absent: ${(err as Error).message}`);
    return;
  }
  await check(t, 'vgg19-zip.pth', ['gray8', 'rgb8'], true);
  for (const layout of ['vgg19-legacy.pth', 'vgg19-legacy-v1.pth', 'vgg19.safetensors'])
    await check(t, layout, ['gray8']);
});

test('VGG parity with PyTorch on the cpu backend', async (t) => {
  await useBackend('cpu');
  await check(t, 'vgg19-legacy.pth', ['gray8']);
});

test('VGG parity on the tensorflow backend', async (t) => {
  try {
    await useBackend('tensorflow');
  } catch (err) {
    t.skip(`tensorflow backend absent: ${(err as Error).message}`);
    return;
  }
  await check(t, 'vgg19-zip.pth', ['gray8', 'rgb8'], true);
});

test('VGG embedded on worker threads (as the single command does) gives the same numbers', async () => {
  const { Embedder } = await import('../../src/engine/embedder.js');
  const { compareEmbedded } = await import('../../src/engine/compute.js');
  await useBackend('wasm');
  const [real, fake] = await pair('rgb8');
  // Two threads, each loading the weights once, serving both ranges.
  const embedder = new Embedder(2, {
    backend: 'wasm',
    losses: ['vgg'],
    weights: { vgg19: fixture('fixtures/weights/vgg19-legacy.pth') },
  });
  after(() => embedder.close());
  for (const range of RANGES) {
    const ref = REF.cases.rgb8.vgg[range];
    const [rf, ff] = await Promise.all([
      embedder.features('vgg', real, range),
      embedder.features('vgg', fake, range),
    ]);
    const res = await compareEmbedded(vggLoss, rf, ff, real.height, real.width);
    assert.ok(relErr(res.value, ref.mean) <= 1e-4, `mean ${res.value} vs torch ${ref.mean}`);
    const d = maxAbsDiff(res.map, decodeNpy(readFileSync(fixture(ref.map!))).data);
    assert.ok(d <= 1e-4, `map differs by ${d}`);
  }
});
