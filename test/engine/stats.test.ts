import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapStats } from '../../src/engine/stats.js';
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
