import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { useBackend } from '../../src/engine/backend.js';
import { runPair } from '../../src/engine/pair.js';
import { LossResources } from '../../src/engine/resources.js';
import { DEFAULTS } from '../../src/model.js';
import { fixture, liveTensors } from '../helpers.js';

test('1000 pairs in one process: tf.memory().numTensors, less the kept filter kernels, back to its baseline after every pair', async () => {
  await useBackend('wasm').catch(() => useBackend('cpu'));
  const png = async (seed: number) => {
    const raw = Buffer.from(Array.from({ length: 12 * 10 * 3 }, (_, i) => (i * seed * 37) % 256));
    return sharp(raw, { raw: { width: 12, height: 10, channels: 3 } })
      .png()
      .toBuffer();
  };
  const [a, b] = [await png(3), await png(5)];
  const res = new LossResources();
  const base = liveTensors();
  const rss0 = process.memoryUsage().rss;
  for (let i = 0; i < 1000; i++) {
    await runPair(
      { bytes: a, label: 'a', name: 'a' },
      { bytes: b, label: 'b', name: 'b' },
      { outDir: '/nonexistent', stem: 'x' },
      {
        losses: ['sobel', 'laplacian', 'l1', 'l2'],
        compute: { ...DEFAULTS.compute, range: 'signed' },
        resources: res,
      },
    );
    assert.equal(liveTensors(), base, `pair ${i} left tensors behind`);
  }
  const grew = (process.memoryUsage().rss - rss0) / 2 ** 20;
  assert.ok(grew < 100, `RSS grew ${grew.toFixed(1)} MB over 1000 pairs`);
  res.dispose();
});

test('LossResources: concurrent requests share one load (no second set of weights left behind); a dispose during a load frees what it loads', async () => {
  await useBackend('wasm').catch(() => useBackend('cpu'));
  const { loadLoss } = await import('../../src/losses/registry.js');
  const lpips = (await loadLoss('lpips'))!;
  const files = { 'lpips-alex': fixture('fixtures/weights/alexnet-seeded.pth') };
  const base = liveTensors();
  const single = new LossResources(files);
  await single.contextFor([lpips]);
  const perLoad = liveTensors() - base;
  single.dispose();
  assert.ok(perLoad > 0 && liveTensors() === base, `one load keeps ${perLoad} tensors, all freed by dispose`);
  const shared = new LossResources(files);
  const [a, b] = await Promise.all([shared.contextFor([lpips]), shared.contextFor([lpips])]);
  assert.equal(a['lpips-alex'], b['lpips-alex'], 'both callers get the same weights');
  assert.equal(liveTensors() - base, perLoad, 'loaded once');
  shared.dispose();
  const early = new LossResources(files);
  const loading = early.contextFor([lpips]);
  early.dispose();
  await loading;
  assert.equal(liveTensors(), base, 'a load that finishes after dispose() is freed');
});
