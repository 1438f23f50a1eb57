import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computePair } from '../../src/engine/compute.js';
import type { LossOutput as PairResult } from '../../src/model.js';
import { probeBackends, useBackend } from '../../src/engine/backend.js';
import { decodeImage } from '../../src/io/decode.js';
import { loadLosses } from '../../src/losses/registry.js';

/** The losses that need nothing but the two images (vgg has its own parity test, with weights). */
const PLAIN = Object.fromEntries(Object.entries(await loadLosses()).filter(([, l]) => !l.requires));
import { fixture, maxAbsDiff, REFERENCE, relErr } from '../helpers.js';

test('every backend present agrees with the others to 1e-5 relative', async (t) => {
  const c = REFERENCE.cases.rgb8;
  const real = await decodeImage(readFileSync(fixture(c.real)), { label: 'real' });
  const fake = await decodeImage(readFileSync(fixture(c.fake)), { label: 'fake' });
  const results = new Map<string, Record<string, PairResult>>();
  for (const b of ['tensorflow', 'wasm', 'cpu'] as const) {
    try {
      await useBackend(b);
    } catch (err) {
      t.diagnostic(`skipping ${b}: ${(err as Error).message}`);
      continue;
    }
    const r: Record<string, PairResult> = {};
    for (const [name, loss] of Object.entries(PLAIN)) r[name] = await computePair(loss, real, fake, 'signed');
    results.set(b, r);
  }
  if (results.size < 2) {
    t.skip(`only ${[...results.keys()].join(', ')} loaded: nothing to compare`);
    return;
  }
  const [first, ...rest] = [...results.entries()];
  for (const [b, r] of rest) {
    for (const name of Object.keys(PLAIN)) {
      const a = first[1][name],
        x = r[name];
      assert.ok(relErr(x.value, a.value) <= 1e-5, `${name}: ${b} ${x.value} vs ${first[0]} ${a.value}`);
      // SSIM's map holds float32 differences of Gaussian moments (var = E[x²] - mu²): backends that sum in
      // another order agree to ~1.1e-5 there (its tolerance against scikit-image is 1e-3).
      const tol = name === 'ssim' ? 1e-4 : 1e-5;
      assert.ok(maxAbsDiff(x.map, a.map) <= tol, `${name}: ${b} map differs by ${maxAbsDiff(x.map, a.map)}`);
    }
  }
});

test('auto picks the first backend that loads; `backends` gives a reason for each one not loaded', async () => {
  const probes = await probeBackends();
  const first = probes.find((p) => p.loaded)!;
  assert.equal(await useBackend('auto'), first.backend);
  for (const p of probes.filter((x) => !x.loaded))
    assert.match(p.detail, /not installed|libtensorflow|failed|missing|not loaded|no /);
});
