import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapStats } from '../../src/engine/stats.js';
import { setMapScan } from '../../src/losses/map-scan.js';
import { fixture, relErr } from '../helpers.js';

/** numpy.percentile (linear) and means from fixtures/make_stats_fixtures.py. */
const REF = JSON.parse(readFileSync(fixture('fixtures/reference/stats.json'), 'utf8')) as {
  cases: Record<string, { values: number[]; mask?: number[]; stats: Record<string, number> }>;
};

test('map statistics equal NumPy on every case (one value, ties, signed, dense bucket, mostly zero, heavy tail, a mask)', () => {
  for (const [name, c] of Object.entries(REF.cases)) {
    const s = mapStats(Float32Array.from(c.values), c.mask ? Uint8Array.from(c.mask) : undefined)!;
    // The percentiles are the same order statistics mixed as numpy's _lerp: equal to the last bit.
    for (const k of ['median', 'p95', 'p99', 'max'] as const)
      assert.equal(s[k], c.stats[k], `${name} ${k}: ${s[k]} vs numpy ${c.stats[k]}`);
    // numpy sums pairwise, this sums in order: float64 rounding apart.
    assert.ok(relErr(s.mean, c.stats.mean) <= 1e-12, `${name} mean: ${s.mean} vs numpy ${c.stats.mean}`);
  }
  assert.equal(mapStats(new Float32Array([1, 2]), new Uint8Array([0, 0])), undefined, 'no compared pixel');
});

test('map statistics read a map that is a view into a larger buffer', () => {
  const c = REF.cases['heavy-tail'];
  const big = new Float32Array(c.values.length + 3);
  big.set(c.values, 3);
  assert.equal(mapStats(big.subarray(3))!.p99, c.stats.p99);
});

/** The definition, by a sort: numpy.percentile's linear rule (its _lerp) and a max in map order. */
function sorted(map: Float32Array, mask?: Uint8Array) {
  const v = [...map].filter((_, i) => !mask || mask[i]);
  let max = -Infinity,
    sum = 0;
  for (const x of v) {
    if (x > max) max = x;
    sum += x;
  }
  v.sort((a, b) => a - b || (Object.is(a, -0) ? -1 : Object.is(b, -0) ? 1 : 0));
  const at = (q: number) => {
    const h = q * (v.length - 1),
      t = h - Math.floor(h),
      a = v[Math.floor(h)]!,
      b = v[Math.ceil(h)]!;
    return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
  };
  return { median: at(0.5), p95: at(0.95), p99: at(0.99), max, mean: sum / v.length };
}

for (const scan of ['WebAssembly', 'JavaScript'])
  test(`maps mostly +0 (set aside, not sorted; ${scan} pass) give the order statistics and mean of a sort, signed zeros and masks included`, () => {
    setMapScan(scan === 'WebAssembly');
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let trial = 0; trial < 60; trial++) {
      const n = 1 + Math.floor(rnd() * 3000);
      const zeros = [0.5, 0.9, 0.99, 1][trial % 4]!;
      const map = Float32Array.from({ length: n }, () =>
        rnd() < zeros ? (rnd() < 0.05 ? -0 : 0) : (rnd() - (trial % 3 === 0 ? 0.5 : 0)) * 2,
      );
      const mask = trial % 2 ? Uint8Array.from({ length: n }, () => (rnd() < 0.8 ? 1 : 0)) : undefined;
      const s = mapStats(map, mask);
      if (mask && !mask.some(Boolean)) continue;
      const want = sorted(map, mask);
      for (const k of ['median', 'p95', 'p99', 'max', 'mean'] as const)
        assert.ok(Object.is(s![k], want[k]), `trial ${trial} ${k}: ${s![k]} vs ${want[k]}`);
    }
    assert.ok(Object.is(mapStats(Float32Array.from([-0, 0]))!.max, -0), 'the first zero met is the max');
    assert.ok(Object.is(mapStats(Float32Array.from([0, -0]))!.max, 0), 'the first zero met is the max');
    setMapScan(true);
  });
