import assert from 'node:assert/strict';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import NectarLossReporter, { unusedBaselines } from '../../src/runners/reporter.js';
import { USED_BASELINES_ENV } from '../../src/runners/snapshot.js';
import { recordAssertion, RECORDS_ENV } from '../../src/runners/results.js';
import type { ImageComparison } from '../../src/engine/session.js';

/** A test file with three baselines named after it, one of another file's, and a diff folder. */
function project() {
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-reporter-'));
  const snaps = path.join(dir, '__image_snapshots__');
  mkdirSync(path.join(snaps, '__diff_output__'), { recursive: true });
  for (const f of ['a-test-js-one-1.png', 'a-test-js-two-1.png', 'a-test-js-gone-1.png', 'b-test-js-x-1.png'])
    writeFileSync(path.join(snaps, f), 'png');
  return { dir, snaps, testFile: path.join(dir, 'a.test.js') };
}

test('unusedBaselines: the files named after the test files that no assertion used', () => {
  const { dir, snaps, testFile } = project();
  const used = new Set([path.join(snaps, 'a-test-js-one-1.png'), path.join(snaps, 'a-test-js-two-1.png')]);
  assert.deepEqual(unusedBaselines([testFile], used), [path.join(snaps, 'a-test-js-gone-1.png')]);
  rmSync(dir, { recursive: true });
});

test('unusedBaselines: an accepted variant of a used baseline is used; of an unused one, unused', () => {
  const { dir, snaps, testFile } = project();
  for (const f of [
    'a-test-js-one-1.variant-1.png',
    'a-test-js-one-1.variant-3.png',
    'a-test-js-gone-1.variant-1.png',
  ])
    writeFileSync(path.join(snaps, f), 'png');
  const used = new Set([path.join(snaps, 'a-test-js-one-1.png'), path.join(snaps, 'a-test-js-two-1.png')]);
  assert.deepEqual(unusedBaselines([testFile], used), [
    path.join(snaps, 'a-test-js-gone-1.png'),
    path.join(snaps, 'a-test-js-gone-1.variant-1.png'),
  ]);
  rmSync(dir, { recursive: true });
});

test('reporter: lists, and removes only in an update run with remove: true (Jest hooks)', () => {
  for (const [update, remove, removed] of [
    ['new', true, false],
    ['all', false, false],
    ['all', true, true],
  ] as const) {
    const { dir, snaps, testFile } = project();
    const r = new NectarLossReporter({ updateSnapshot: update }, { remove });
    // What a worker's matcher writes (snapshot.ts recordUse), in the folder the reporter made.
    const folder = process.env[USED_BASELINES_ENV]!;
    appendFileSync(path.join(folder, '1-0.txt'), `${path.join(snaps, 'a-test-js-one-1.png')}\n`);
    appendFileSync(path.join(folder, '2-0.txt'), `${path.join(snaps, 'a-test-js-two-1.png')}\n`);
    const write = process.stderr.write.bind(process.stderr);
    let said = '';
    process.stderr.write = (s: string | Uint8Array) => ((said += String(s)), true);
    try {
      r.onRunComplete(undefined, { testResults: [{ testFilePath: testFile }] });
    } finally {
      process.stderr.write = write;
    }
    assert.match(said, /1 baseline\(s\) no test used.*:\n\s+.*a-test-js-gone-1\.png/);
    assert.equal(existsSync(path.join(snaps, 'a-test-js-gone-1.png')), !removed, `${update} ${remove}`);
    assert.ok(
      existsSync(path.join(snaps, 'a-test-js-one-1.png')) &&
        existsSync(path.join(snaps, 'b-test-js-x-1.png')),
    );
    assert.ok(!existsSync(folder), 'the list folder is removed');
    rmSync(dir, { recursive: true });
  }
  delete process.env[USED_BASELINES_ENV];
});

test('reporter results: each assertion a record named by its baseline under the root, its images kept', () => {
  const { dir, snaps, testFile } = project();
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const r = new NectarLossReporter({ rootDir: dir }, { results: 'out/results.ndjson' });
    const comparison = {
      pass: false,
      values: { l1: 0.1, psnr: Infinity },
      failures: ['l1 0.1 > 0.01'],
      diff: Buffer.from('diff'),
      diffLoss: 'l1',
      backend: 'cpu',
    } as unknown as ImageComparison;
    const over = path.join(snaps, 'a-test-js-one-1.png');
    recordAssertion({ baseline: over, test: 'one', status: 'over', comparison, actual: Buffer.from('now') });
    recordAssertion({
      baseline: path.join(dir, 'x/new-1.png'),
      test: 'n',
      status: 'new',
      actual: Buffer.from('n'),
    });
    recordAssertion({ baseline: path.join(snaps, 'a-test-js-two-1.png'), test: 'two', status: 'ok' });
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = () => true;
    try {
      r.onRunComplete(undefined, { testResults: [{ testFilePath: testFile }] });
    } finally {
      process.stderr.write = write;
    }
    assert.equal(process.env[RECORDS_ENV] && existsSync(process.env[RECORDS_ENV]), false, 'lists removed');
    const lines = readFileSync('out/results.ndjson', 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 5);
    assert.deepEqual(lines[0].dirs, ['.', 'out/results-current']);
    assert.deepEqual(lines[1], {
      name: '__image_snapshots__/a-test-js-one-1.png',
      real: '__image_snapshots__/a-test-js-one-1.png',
      fake: 'out/results-current/__image_snapshots__/a-test-js-one-1.png',
      losses: { l1: 0.1, psnr: 'inf' },
      files: { l1: { heatmap: 'results-diff/__image_snapshots__/a-test-js-one-1.png' } },
      status: 'over',
      over: ['l1 0.1 > 0.01'],
      test: 'one',
    });
    assert.equal(lines[2].name, '__image_snapshots__/a-test-js-two-1.png');
    assert.equal(lines[2].fake, undefined, 'a passing image is not kept');
    assert.deepEqual(
      [lines[3].name, lines[3].real, lines[3].fake],
      ['x/new-1.png', undefined, 'out/results-current/x/new-1.png'],
    );
    assert.equal(readFileSync('out/results-current/__image_snapshots__/a-test-js-one-1.png', 'utf8'), 'now');
    assert.equal(readFileSync('out/results-diff/__image_snapshots__/a-test-js-one-1.png', 'utf8'), 'diff');
    assert.deepEqual(
      [lines[4].summary, lines[4].pairs, lines[4].ok, lines[4].over, lines[4].new, lines[4].exit],
      [true, 3, 1, 1, 1, 1],
    );
  } finally {
    process.chdir(cwd);
    delete process.env[RECORDS_ENV];
    delete process.env[USED_BASELINES_ENV];
    rmSync(dir, { recursive: true });
  }
});
