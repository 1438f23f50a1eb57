import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import NectarLossReporter, { unusedBaselines } from '../../src/runners/reporter.js';
import { USED_BASELINES_ENV } from '../../src/runners/snapshot.js';

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
