import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapStats } from '../../src/engine/stats.js';
import { fixture, relErr } from '../helpers.js';

/** numpy.percentile (linear) and means from fixtures/make_stats_fixtures.py. */
const REF = JSON.parse(readFileSync(fixture('fixtures/reference/stats.json'), 'utf8')) as {
  cases: Record<string, { values: number[]; mask?: number[]; stats: Record<string, number> }>;
};

test('map statistics equal NumPy on every case (one value, ties, mostly zero, heavy tail, a mask)', () => {
  for (const [name, c] of Object.entries(REF.cases)) {
    const s = mapStats(Float32Array.from(c.values), c.mask ? Uint8Array.from(c.mask) : undefined)!;
    for (const k of ['mean', 'median', 'p95', 'p99', 'max'] as const) {
      const want = c.stats[k]!;
      assert.ok(Math.abs(s[k] - want) <= 1e-7 + 1e-6 * Math.abs(want), `${name} ${k}: ${s[k]} vs numpy ${want} (rel ${relErr(s[k], want)})`);
    }
  }
  assert.equal(mapStats(new Float32Array([1, 2]), new Uint8Array([0, 0])), undefined, 'no compared pixel');
});
