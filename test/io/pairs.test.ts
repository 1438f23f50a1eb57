import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairFolders, pairNectarGAN } from '../../src/io/pairs.js';
import { uniqueStems } from '../../src/io/stems.js';
import { walkFolder } from '../../src/io/walk.js';
import { UserError } from '../../src/errors.js';

const isPng = (n: string) => n.endsWith('.png');

/** Files (content irrelevant: nothing is decoded here) and links under a fresh temporary root. */
function tree(spec: Record<string, string | { link: string }>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-pairs-'));
  for (const [rel, what] of Object.entries(spec)) {
    const p = path.join(root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    if (typeof what === 'string') {
      if (rel.endsWith('/')) mkdirSync(p, { recursive: true });
      else writeFileSync(p, what);
    } else symlinkSync(what.link, p);
  }
  return root;
}

test('walk: two link cycles and two links to one outside folder end, listing each real file once', async () => {
  const root = tree({
    'r/a.png': 'x',
    'r/sub/b.png': 'x',
    'r/sub/up': { link: '..' }, // cycle 1: back to the root
    'r/sub/deeper/again': { link: '../../sub' }, // cycle 2: back to sub
    'shared/c.png': 'x',
    'r/x': { link: '../shared' },
    'r/y': { link: '../shared' }, // same real folder as x: listed once, under the first link
    'r/z/inner.png': 'x',
    'r/a-link-to-z': { link: 'z' }, // a real folder of the tree stays under its own path
    'r/note.txt': 'x',
  });
  const w = await walkFolder(path.join(root, 'r'), isPng);
  assert.deepEqual(w.files, ['a.png', 'sub/b.png', 'x/c.png', 'z/inner.png']);
  assert.deepEqual(w.unreadable, []);
});

test('walk: the exponential case of the issue (two links to the parent in every folder) ends at once', async () => {
  const root = tree({
    'r/a.png': 'x',
    'r/s/b.png': 'x',
    'r/s/up1': { link: '..' },
    'r/s/up2': { link: '..' },
    'r/s/t/up3': { link: '../..' },
  });
  const w = await walkFolder(path.join(root, 'r'), isPng);
  assert.deepEqual(w.files, ['a.png', 's/b.png']);
});

test('walk: dangling links, link loops, FIFOs are listed (for the reader to report), never skipped, never opened', async () => {
  const root = tree({
    'r/ok.png': 'x',
    'r/dangling.png': { link: 'nowhere.png' },
    'r/loop.png': { link: 'loop.png' },
    'r/dir-link-dangling': { link: 'gone' },
  });
  execFileSync('mkfifo', [path.join(root, 'r/fifo.png')]);
  const w = await walkFolder(path.join(root, 'r'), isPng);
  assert.deepEqual(w.files, ['dangling.png', 'fifo.png', 'loop.png', 'ok.png']);
});

test('walk: a sub-folder that cannot be listed is reported, not skipped', async (t) => {
  if (process.getuid?.() === 0)
    return t.skip('running as root: chmod 000 does not stop root from listing a folder');
  const root = tree({ 'r/a.png': 'x', 'r/locked/b.png': 'x' });
  chmodSync(path.join(root, 'r/locked'), 0);
  try {
    const w = await walkFolder(path.join(root, 'r'), isPng);
    assert.deepEqual(w.files, ['a.png']);
    assert.deepEqual(w.unreadable, [{ rel: 'locked', error: 'permission denied' }]);
  } finally {
    chmodSync(path.join(root, 'r/locked'), 0o755);
  }
});

test('walk: never blocks the event loop for long (a timer keeps firing while 5000 folders are walked)', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-pairs-'));
  for (let a = 0; a < 50; a++)
    for (let b = 0; b < 100; b++) mkdirSync(path.join(root, `d${a}`, `e${b}`), { recursive: true });
  let last = performance.now(),
    worst = 0,
    ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
    ticks++;
  }, 5);
  const started = performance.now();
  await walkFolder(root, isPng);
  const took = performance.now() - started;
  clearInterval(timer);
  rmSync(root, { recursive: true, force: true });
  // The old synchronous walk gave no tick at all until it returned.
  assert.ok(ticks >= 2 || took < 20, `${ticks} timer ticks during a ${took.toFixed(0)} ms walk`);
  assert.ok(worst < 250, `the event loop was blocked for ${worst.toFixed(0)} ms`);
});

test('walk: the root missing, not a folder: one-line user errors', async () => {
  const root = tree({ 'f.png': 'x' });
  await assert.rejects(
    walkFolder(path.join(root, 'missing'), isPng),
    (e) => e instanceof UserError && /missing: no such folder$/.test(e.message),
  );
  await assert.rejects(
    walkFolder(path.join(root, 'f.png'), isPng),
    (e) => e instanceof UserError && /f\.png: not a folder$/.test(e.message),
  );
});

test('stems: the name without extension unless two pairs would share it; then the extension stays; still taken: ~2', () => {
  const c = (name: string) => ({ short: name.replace(/\.[^./]+$/, ''), long: name });
  const names = ['a.png', 'a.jpg', 'sub/b.png', 'c.png', 'C.png', 'a.png.jpg', 'd.png'];
  const stems = uniqueStems(names.map(c));
  assert.deepEqual(Object.fromEntries(names.map((n, i) => [n, stems[i]])), {
    'a.png': 'a.png~2', // a.png.jpg keeps its own short stem `a.png` (it collides with nothing)
    'a.jpg': 'a.jpg',
    'sub/b.png': 'sub/b',
    'c.png': 'c.png~2', // same as C.png on a case-insensitive file system; 'C' sorts first
    'C.png': 'C.png',
    'a.png.jpg': 'a.png',
    'd.png': 'd',
  });
  assert.equal(new Set(stems.map((s) => s.toLowerCase())).size, stems.length);
});

test('pairFolders: stems on the pairs; names without a collision keep the old stem', async () => {
  const root = tree({
    'r/a.png': 'x',
    'r/a.jpg': 'x',
    'r/s/b.png': 'x',
    'f/a.png': 'x',
    'f/a.jpg': 'x',
    'f/s/b.png': 'x',
    'f/only.png': 'x',
  });
  const p = await pairFolders(path.join(root, 'r'), path.join(root, 'f'));
  assert.deepEqual(
    p.pairs.map((x) => [x.name, x.stem]),
    [
      ['a.jpg', 'a.jpg'],
      ['a.png', 'a.png'],
      ['s/b.png', 's/b'],
    ],
  );
  assert.deepEqual(
    p.unpaired.map((u) => u.name),
    ['only.png'],
  );
});

test('pairFolders: nothing pairs up, or no images at all: one user error naming both folders and the extensions', async () => {
  const root = tree({ 'r/a.png': 'x', 'f/b.png': 'x', 'e1/readme.txt': 'x', 'e2/': '' });
  const r = path.join(root, 'r'),
    f = path.join(root, 'f');
  await assert.rejects(
    pairFolders(r, f),
    (e) =>
      e instanceof UserError &&
      e.message.includes(`no pairs in ${r} and ${f}`) &&
      e.message.includes('.png .jpg') &&
      e.message.includes(`found 1 in ${r}, 1 in ${f}`) &&
      !e.message.includes('\n'),
  );
  await assert.rejects(
    pairFolders(path.join(root, 'e1'), path.join(root, 'e2')),
    (e) => e instanceof UserError && /found 0 in .*e1, 0 in .*e2\)$/.test(e.message),
  );
});

test('pairNectarGAN: no pairs is a user error naming NectarGAN names; duplicate extensions make separate pairs with their own stems', async () => {
  const empty = tree({ 'x/photo.png': 'x', 'x/1_B_real.png': 'x' });
  await assert.rejects(
    pairNectarGAN(path.join(empty, 'x')),
    (e) =>
      e instanceof UserError &&
      /no NectarGAN outputs pair up \(looked for \*_B_real\.<ext> beside \*_B_fake\.<ext>.*found 2 images, 1 with such names\)/.test(
        e.message,
      ),
  );
  const root = tree({
    'o/3_B_real.png': 'x',
    'o/3_B_fake.png': 'x',
    'o/3_B_real.jpg': 'x',
    'o/3_B_fake.jpg': 'x',
    'o/epoch2_1_B_real.png': 'x',
    'o/epoch2_1_B_fake.jpg': 'x',
    'o/4_B_real.png': 'x',
  });
  const p = await pairNectarGAN(path.join(root, 'o'));
  assert.deepEqual(
    p.pairs.map((x) => [x.name, x.stem, x.epoch]),
    [
      ['3_B.jpg', '3_B.jpg', undefined],
      ['3_B.png', '3_B.png', undefined],
      ['epoch2_1_B', 'epoch2_1_B', 2],
    ],
  );
  assert.deepEqual(
    p.unpaired.map((u) => [u.name, u.error]),
    [['4_B', 'no 4_B_fake counterpart']],
  );
});
