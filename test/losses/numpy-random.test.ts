import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LegacyRandomState } from '../../src/losses/numpy-random.js';
import { FID_REF } from './fid-ref.js';

/**
 * src/losses/numpy-random.ts against numpy itself: the draws of fixtures/make_fid_fixtures.py, which runs
 * numpy's np.random.RandomState(seed).choice(n, size, replace=False) (torch-fidelity's KID subsets).
 */
test("choice without replacement: numpy's RandomState draws, seed by seed", () => {
  assert.ok(FID_REF.randomState.length >= 4);
  for (const c of FID_REF.randomState) {
    const rng = new LegacyRandomState(c.seed);
    for (const [i, want] of c.draws.entries())
      assert.deepEqual(rng.choice(c.n, c.size), want, `seed ${c.seed}, n ${c.n}, draw ${i}`);
  }
});

test("KID subsets: torch-fidelity's order (real then fake per subset) from one RandomState", () => {
  const k = FID_REF.cases.many.dims['64'].kidSubsets!;
  const rng = new LegacyRandomState(k.seed);
  assert.equal(k.indices.length, k.subsets);
  for (const [s, [real, fake]] of k.indices.entries()) {
    assert.deepEqual(rng.choice(70, k.subsetSize), real, `subset ${s} real`);
    assert.deepEqual(rng.choice(70, k.subsetSize), fake, `subset ${s} fake`);
  }
});

test('the MT19937 reference output and the seed range', () => {
  // MT19937 seeded by init_genrand(5489) (the reference default): its first output is 3499211612.
  assert.equal(new LegacyRandomState(5489).nextUint32(), 3499211612);
  assert.throws(() => new LegacyRandomState(2 ** 32), RangeError);
  assert.throws(() => new LegacyRandomState(-1), RangeError);
  assert.throws(() => new LegacyRandomState(0).choice(3, 4), RangeError);
  assert.deepEqual(new LegacyRandomState(1).choice(1, 1), [0]);
});
