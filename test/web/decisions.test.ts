import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DecisionState, storageKey, type KeyValueStore } from '../../src/web/decisions.js';
import { sha256File } from '../../src/io/hash.js';
import type { ReportPair, ReportRun } from '../../src/model.js';

/** localStorage's behaviour on a Map: strings in, strings out. */
function memoryStore(): KeyValueStore & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
}

const run: ReportRun = { id: 'run-1', baselineDir: '/b', currentDir: '/c' };
const pair = (name: string, baseline: string | null, current: string | null): ReportPair => ({
  name,
  status: baseline === null ? 'new' : current === null ? 'obsolete' : 'over',
  values: {},
  stats: {},
  heat: {},
  approval: { baseline, current },
});

test('decisions: decide, counts, undo by steps (accept all shown is one step)', () => {
  const s = new DecisionState('run-1');
  assert.deepEqual(s.decide(['a.png'], 'accept'), ['a.png']);
  assert.deepEqual(s.decide(['a.png'], 'accept'), [], 'the same decision again changes nothing');
  s.decide(['b.png'], 'reject');
  assert.deepEqual(s.decide(['a.png', 'c.png', 'd.png'], 'accept'), ['c.png', 'd.png']);
  assert.deepEqual(s.counts(), { accept: 3, reject: 1, variant: 0, decided: 4 });
  assert.deepEqual(s.undo().sort(), ['c.png', 'd.png'], 'one undo takes back the whole "accept all"');
  assert.equal(s.get('c.png'), undefined);
  s.decide(['b.png'], 'variant');
  assert.deepEqual(s.undo(), ['b.png']);
  assert.equal(s.get('b.png'), 'reject', 'undo restores the decision before, not undecided');
  s.undo();
  s.undo();
  assert.deepEqual(s.counts(), { accept: 0, reject: 0, variant: 0, decided: 0 });
  assert.deepEqual(s.undo(), [], 'nothing left to undo');
});

test('decisions persist per report id and survive a reload; a corrupt entry is ignored', () => {
  const store = memoryStore();
  new DecisionState('run-1', store).decide(['x/a.png', 'b.png'], 'accept');
  assert.deepEqual(JSON.parse(store.map.get(storageKey('run-1'))!), {
    'x/a.png': 'accept',
    'b.png': 'accept',
  });
  const again = new DecisionState('run-1', store);
  assert.equal(again.get('x/a.png'), 'accept');
  assert.equal(new DecisionState('run-2', store).counts().decided, 0, 'another report shares nothing');
  store.setItem(storageKey('run-3'), '{not json');
  assert.equal(new DecisionState('run-3', store).counts().decided, 0);
  store.setItem(storageKey('run-4'), JSON.stringify({ 'a.png': 'delete', 'b.png': 'reject' }));
  assert.deepEqual(new DecisionState('run-4', store).counts(), {
    accept: 0,
    reject: 1,
    variant: 0,
    decided: 1,
  });
});

test('approvals.json: the exact shape, decided pairs only, in report order, with the hashes shown', () => {
  const s = new DecisionState('run-1');
  const pairs = [pair('changed.png', 'aa', 'bb'), pair('new.png', null, 'cc'), pair('gone.png', 'dd', null)];
  pairs.push({ ...pair('ok.png', 'ee', 'ee'), approval: undefined });
  s.decide(['gone.png'], 'accept');
  s.decide(['changed.png'], 'variant');
  s.decide(['ok.png'], 'accept');
  assert.deepEqual(s.approvals(run, pairs), {
    nectarLossApprovals: 1,
    report: 'run-1',
    baselineDir: '/b',
    currentDir: '/c',
    pairs: [
      { path: 'changed.png', decision: 'variant', baseline: 'aa', current: 'bb' },
      { path: 'gone.png', decision: 'accept', baseline: 'dd', current: null },
    ],
  });
});

test('sha256File: the FIPS 180-2 test vectors ("abc", and the empty file)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-hash-'));
  writeFileSync(path.join(dir, 'abc'), 'abc');
  writeFileSync(path.join(dir, 'empty'), '');
  assert.equal(
    await sha256File(path.join(dir, 'abc')),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
  assert.equal(
    await sha256File(path.join(dir, 'empty')),
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  );
});
