import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computePair } from '../../src/engine/compute.js';
import { useBackend } from '../../src/engine/backend.js';
import { decodeImage, type DecodedImage } from '../../src/io/decode.js';
import { decodeNpy } from '../../src/io/npy.js';
import { loadLosses } from '../../src/losses/registry.js';

/** The losses that need nothing but the two images (vgg has its own parity test, with weights). */
const PLAIN = Object.fromEntries(Object.entries(await loadLosses()).filter(([, l]) => !l.requires));
import { RANGES } from '../../src/losses/range.js';
import { fixture, maxAbsDiff, REFERENCE, relErr, liveTensors } from '../helpers.js';

/**
 * Parity with PyTorch (issue 2): every fixture (8-bit RGB 301x217, gray, 16-bit RGB and gray, RGBA with a
 * non-sRGB ICC profile, palette, 256x256) x every loss x both ranges, on every backend that loads here.
 * Mean within 1e-5 relative, map within 1e-4 absolute.
 */
const decoded = new Map<string, DecodedImage>();
async function load(p: string): Promise<DecodedImage> {
  let d = decoded.get(p);
  if (!d) decoded.set(p, (d = await decodeImage(readFileSync(fixture(p)), { label: p })));
  return d;
}

for (const backend of ['tensorflow', 'wasm', 'cpu'] as const) {
  test(`parity with PyTorch ${REFERENCE.torch} on the ${backend} backend`, async (t) => {
    try {
      await useBackend(backend);
    } catch (err) {
      t.skip(`${backend} backend absent: ${(err as Error).message}`);
      return;
    }
    for (const [name, c] of Object.entries(REFERENCE.cases)) {
      const real = await load(c.real);
      const fake = await load(c.fake);
      assert.equal(real.width, c.width, `${name} width`);
      assert.equal(real.height, c.height, `${name} height`);
      for (const [lossName, loss] of Object.entries(PLAIN)) {
        // The standard metrics have their own reference (test/losses/metrics.test.ts).
        if (!(lossName in c.losses)) continue;
        for (const range of RANGES) {
          const ref = c.losses[lossName][range];
          await t.test(`${name} ${lossName} ${range}`, async () => {
            const before = liveTensors();
            const res = await computePair(loss, real, fake, range);
            assert.equal(liveTensors(), before, 'computePair leaked tensors');
            assert.ok(
              relErr(res.value, ref.mean) <= 1e-5,
              `mean ${res.value} vs torch ${ref.mean} (rel ${relErr(res.value, ref.mean)})`,
            );
            if (ref.map) {
              const npy = decodeNpy(readFileSync(fixture(ref.map)));
              assert.deepEqual(npy.shape, [c.height, c.width]);
              const d = maxAbsDiff(res.map, npy.data);
              assert.ok(d <= 1e-4, `map differs by up to ${d}`);
            }
            if (ref.filteredRealMean !== undefined) {
              assert.ok(res.filtered, 'filtered maps missing');
              const m = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
              assert.ok(relErr(m(res.filtered.real), ref.filteredRealMean) <= 1e-5, 'filtered real mean');
              assert.ok(relErr(m(res.filtered.fake), ref.filteredFakeMean!) <= 1e-5, 'filtered fake mean');
            }
          });
        }
      }
    }
  });
}

test('tiled = untiled: strips overlapping by the halo give the same map and mean as one pass', async () => {
  await useBackend('wasm').catch(() => useBackend('cpu'));
  const c = REFERENCE.cases.rgb8;
  const real = await load(c.real),
    fake = await load(c.fake);
  for (const [name, loss] of Object.entries(PLAIN)) {
    for (const range of RANGES) {
      const whole = await computePair(loss, real, fake, range);
      for (const tileRows of [1, 7, 64, 216]) {
        const tiled = await computePair(loss, real, fake, range, undefined, { tileRows });
        assert.ok(
          relErr(tiled.value, whole.value) <= 1e-9,
          `${name} ${range} rows ${tileRows}: mean ${tiled.value} vs ${whole.value}`,
        );
        assert.ok(maxAbsDiff(tiled.map, whole.map) <= 1e-6, `${name} ${range} rows ${tileRows}: map`);
        assert.ok(
          maxAbsDiff(tiled.filtered?.real ?? [], whole.filtered?.real ?? []) <= 1e-6,
          `${name} filtered`,
        );
      }
    }
  }
});
