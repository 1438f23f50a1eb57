import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { useBackend } from '../../src/engine/backend.js';
import { computeLosses } from '../../src/engine/compute.js';
import { runPair } from '../../src/engine/pair.js';
import { LossResources } from '../../src/engine/resources.js';
import { mapStats } from '../../src/engine/stats.js';
import { LOSS_NAMES, loadLoss } from '../../src/losses/registry.js';
import { DEFAULTS, type RawImage } from '../../src/model.js';

/** A seeded 8-bit RGB image with edges and noise. */
function image(w: number, h: number, seed: number): RawImage {
  let s = seed;
  const samples = Uint8Array.from({ length: w * h * 3 }, (_, i) => {
    s = (s * 1103515245 + 12345) >>> 0;
    return ((i / 3 / w) | 0) % 7 < 3 ? 40 + (s >>> 28) : 200 - (s >>> 27);
  });
  return { width: w, height: h, samples, max: 255 };
}

test('every loss that claims it (zeroWhenEqual) computes an all-zero map for equal images on wasm, in both ranges, with and without a shift tolerance', async () => {
  await useBackend('wasm');
  const img = image(37, 29, 5);
  const copy: RawImage = { ...img, samples: img.samples.slice() };
  let claims = 0;
  for (const name of LOSS_NAMES) {
    const loss = (await loadLoss(name))!;
    const z = loss.zeroWhenEqual;
    if (!(z === true || (z !== undefined && z()))) continue;
    claims++;
    for (const range of ['unit', 'signed'] as const)
      for (const shift of loss.shift ? [0, 1, 3] : [0]) {
        const [out] = await computeLosses([loss], img, copy, range, {}, { shift, filtered: false });
        assert.ok(
          out!.map.every((v) => Object.is(v, 0)),
          `${name} ${range} shift ${shift}: map not +0 everywhere`,
        );
        assert.deepEqual(mapStats(out!.map), { mean: 0, median: 0, p95: 0, p99: 0, max: 0 });
        const fromMean = loss.value?.fromMean;
        assert.equal(out!.value, fromMean ? fromMean(0, range === 'unit' ? 1 : 2) : 0, `${name} value`);
      }
  }
  assert.ok(claims >= 6, `${claims} losses claim it (l1, l2, sobel, laplacian, ssim, flip)`);
});

test('runPair: a byte-identical pair and a pixel-identical re-encoded pair give what the computation gives, zero heatmaps included', async () => {
  await useBackend('wasm');
  const img = image(40, 24, 9);
  const raw = { raw: { width: 40, height: 24, channels: 3 as const } };
  const a = await sharp(Buffer.from(img.samples), raw).png({ compressionLevel: 6 }).toBuffer();
  const b = await sharp(Buffer.from(img.samples), raw).png({ compressionLevel: 9 }).toBuffer();
  assert.ok(!a.equals(b), 'the re-encoded file differs in its bytes');
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-equal-'));
  const [pa, pb] = [path.join(dir, 'a.png'), path.join(dir, 'b.png')];
  writeFileSync(pa, a);
  writeFileSync(pb, b);
  const losses = ['l1', 'sobel', 'ssim'];
  for (const [label, fake] of [
    ['same bytes', pa],
    ['same pixels', pb],
  ] as const) {
    const out = path.join(dir, label.replace(' ', '-'));
    const c = await runPair(
      { bytes: pa, label: 'real', name: 'a.png' },
      { bytes: fake, label: 'fake', name: 'b.png' },
      { outDir: out, stem: 'x' },
      {
        losses,
        compute: { ...DEFAULTS.compute, backend: 'wasm' },
        resources: new LossResources(),
        draw: { kinds: ['heatmap'], scale: 1, colormap: 'gray', raw: false },
      },
    );
    assert.deepEqual(c.values, { l1: 0, sobel: 0, ssim: 1 }, label);
    for (const l of losses) {
      assert.deepEqual(c.stats[l], { mean: 0, median: 0, p95: 0, p99: 0, max: 0 }, `${label} ${l}`);
      const { data, info } = await sharp(readFileSync(c.files[l]!.heatmap!))
        .raw()
        .toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height], [40, 24]);
      assert.ok(
        data.every((v) => v === 0),
        `${label} ${l}: black heatmap`,
      );
    }
  }
});
