import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combinations, combinationText } from '../../src/engine/decide/combinations.js';
import type { Measured } from '../../src/engine/decide/calibration.js';
import type { Kind, Region } from '../../src/model.js';

/** A pair with one region per [kind, area, max]; its l1 value 0.01 (every gate passes the numeric ones). */
function pair(name: string, regions: [Kind, number, number][]): Measured {
  const rs: Region[] = regions.map(([kind, area, max], i) => ({
    x: 10 * i,
    y: 0,
    width: 5,
    height: 5,
    area,
    mean: max / 2,
    max,
    displacement: [0, 0],
    kind,
  }));
  const kinds = [...new Set(rs.map((r) => r.kind))];
  return { name, values: { l1: 0.01 }, stats: {}, kinds, kind: kinds[0] ?? 'identical', regions: rs };
}

test('combinations: a small content speck in the noise rules the allow-list out; region.area separates, halfway', () => {
  // Noise: re-rendered text (rendering) and a 12-px content speck; changes: content of 300 and 500 px.
  const noise = [pair('n1', [['rendering', 40, 0.3]]), pair('n2', [['content', 12, 0.2]])];
  const changed = [pair('c1', [['content', 300, 0.9]]), pair('c2', [['content', 500, 0.25]])];
  const combos = combinations(noise, changed, [], 0.25)!;
  const best = combos[0]!;
  // By hand: region.area over every region: noise 40 and 12, changes 300 and 500 -> halfway between 40 and
  // 300 = 170, no error; the simplest of those with no error comes first.
  assert.equal(combinationText(best), 'region.area=170');
  assert.equal(best.errors, 0);
  // With allow=rendering the noise's area left is 0 and 12: halfway to 300 is 156, no error either.
  assert.equal(combos.find((c) => combinationText(c) === 'allow=rendering region.area=156')!.errors, 0);
  // allow=rendering alone (content is a change's kind) fails the speck.
  const allowOnly = combos.find((c) => combinationText(c) === 'allow=rendering')!;
  assert.deepEqual(allowOnly.failsNoise, ['n2']);
  // The numeric gates alone (none here) pass everything: both changes are errors.
  assert.deepEqual(combos.find((c) => combinationText(c) === 'numeric gates alone')!.passesChanged, [
    'c1',
    'c2',
  ]);
  // Fewest errors first.
  const e = combos.map((c) => c.errors);
  assert.deepEqual(
    e,
    [...e].sort((a, b) => a - b),
  );
});

test('combinations: none without regions (--no-regions)', () => {
  const n = { name: 'n', values: { l1: 0 }, stats: {} };
  assert.equal(combinations([n], undefined, [], 0.25), undefined);
});
