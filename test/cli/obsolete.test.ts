import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/errors.js';
import { removeAllOrNothing } from '../../src/io/write.js';
import { BIN, fixture } from '../helpers.js';

const REAL = fixture('fixtures/images/gray8_64x48_real.png');
const FAKE = fixture('fixtures/images/gray8_64x48_fake.png');

function put(root: string, rel: string, from: string) {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  copyFileSync(from, path.join(root, rel));
}

function run(args: string[], cwd: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.GITHUB_ACTIONS;
  delete env.GITHUB_STEP_SUMMARY;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const ndjson = (s: string) =>
  s
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Every file under `dir`, relative, sorted (dot files too: a stash left behind would show). */
function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)) + (e.isDirectory() ? '/' : ''))
    .sort();
}

/** base/: p1, keep/x and the obsolete old/gone, old/deeper/gone2; cur/: p1, keep/x (and n1 if `withNew`). */
function folders(withNew: boolean): string {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-obs-'));
  for (const rel of ['p1.png', 'keep/x.png']) {
    put(root, `base/${rel}`, REAL);
    put(root, `cur/${rel}`, REAL);
  }
  put(root, 'base/old/gone.png', REAL);
  put(root, 'base/old/deeper/gone2.png', FAKE);
  if (withNew) put(root, 'cur/n1.png', FAKE);
  return root;
}

test('obsolete baselines alone do not fail a run (exit 0); they are listed in the table, the JSON and the summary', () => {
  const root = folders(false);
  const r = run(['batch', 'base', 'cur', '--no-maps', '--max', 'sobel=0.05'], root);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^old\/gone\.png +– +– +obsolete$/m);
  assert.match(r.stdout, /^4 pairs: 2 ok, 0 over a threshold, 0 errors, 2 obsolete /m);
  const j = ndjson(run(['batch', 'base', 'cur', '--no-maps', '--json'], root).stdout);
  assert.deepEqual(
    j.filter((x) => x.status === 'obsolete').map((x) => [x.name, x.real, x.updated]),
    [
      ['old/deeper/gone2.png', path.join('base', 'old', 'deeper', 'gone2.png'), undefined],
      ['old/gone.png', path.join('base', 'old', 'gone.png'), undefined],
    ],
  );
  assert.deepEqual([j.at(-1)!.obsolete, j.at(-1)!.exit], [2, 0]);
  assert.ok(existsSync(path.join(root, 'base/old/gone.png')), 'nothing removed without --update');
});

test('--update obsolete removes them (and the folders they leave empty), nothing else; --update all also writes new baselines', () => {
  let root = folders(true);
  const before = tree(path.join(root, 'base'));
  let r = run(['batch', 'base', 'cur', '--no-maps', '--json', '--update', 'obsolete'], root);
  assert.equal(r.code, 1, 'n1 is still new: `obsolete` writes no baseline');
  const rows = ndjson(r.stdout);
  assert.deepEqual(
    rows.filter((x) => x.updated === 'obsolete').map((x) => x.name),
    ['old/deeper/gone2.png', 'old/gone.png'],
  );
  assert.equal(rows.at(-1)!.updated, 2);
  assert.deepEqual(
    tree(path.join(root, 'base')),
    before.filter((f) => !f.startsWith('old')),
    'old/ and its files gone, no stash left',
  );
  assert.deepEqual(tree(path.join(root, 'base')), ['keep/', 'keep/x.png', 'p1.png']);
  assert.equal(run(['batch', 'base', 'cur', '--no-maps', '--update', 'obsolete'], root).code, 1);

  root = folders(true);
  r = run(['batch', 'base', 'cur', '--no-maps', '--update', 'all'], root);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^old\/gone\.png .* obsolete \(baseline removed\)$/m);
  assert.match(r.stdout, /^n1\.png .* new \(baseline written\)$/m);
  assert.deepEqual(tree(path.join(root, 'base')), ['keep/', 'keep/x.png', 'n1.png', 'p1.png']);
  assert.deepEqual(readFileSync(path.join(root, 'base/n1.png')), readFileSync(FAKE));
  for (const mode of ['new', 'changed']) {
    root = folders(false);
    assert.equal(run(['batch', 'base', 'cur', '--no-maps', '--update', mode], root).code, 0);
    assert.ok(existsSync(path.join(root, 'base/old/gone.png')), `--update ${mode} keeps obsolete baselines`);
  }
});

test('removeAllOrNothing: if one file cannot be moved away, none is removed and no stash is left', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-rm-'));
  put(dir, 'a.png', REAL);
  put(dir, 'sub/b.png', FAKE);
  writeFileSync(path.join(dir, 'c.txt'), 'kept');
  const files = [path.join(dir, 'a.png'), path.join(dir, 'sub/b.png'), path.join(dir, 'missing.png')];
  assert.throws(
    () => removeAllOrNothing(dir, files, '--update obsolete'),
    (e: unknown) =>
      e instanceof UserError &&
      /--update obsolete: cannot remove \(ENOENT\); nothing was removed/.test(e.message),
  );
  assert.deepEqual(tree(dir), ['a.png', 'c.txt', 'sub/', 'sub/b.png']);
  assert.deepEqual(readFileSync(path.join(dir, 'sub/b.png')), readFileSync(FAKE));
  removeAllOrNothing(dir, files.slice(0, 2), 'x');
  assert.deepEqual(tree(dir), ['c.txt']);
});
