import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIN, fixture } from '../helpers.js';

const IMG = fixture('fixtures/images/gray8_64x48_real.png');
const IMG2 = fixture('fixtures/images/gray8_64x48_fake.png');

function run(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const rows = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => !r.summary);
const tmp = () => mkdtempSync(path.join(tmpdir(), 'nl-walk-'));

test('symbolic links are followed, each real folder once: a tree with two cycles compares every real file once', () => {
  const root = tmp();
  for (const side of ['real', 'fake']) {
    mkdirSync(path.join(root, side, 'sub', 'deep'), { recursive: true });
    for (const f of ['a.png', 'sub/b.png', 'sub/deep/c.png']) copyFileSync(side === 'real' ? IMG : IMG2, path.join(root, side, f));
    symlinkSync('..', path.join(root, side, 'sub', 'up')); // cycle 1: sub/up -> side
    symlinkSync('../..', path.join(root, side, 'sub', 'deep', 'top')); // cycle 2: sub/deep/top -> side
  }
  const elsewhere = path.join(root, 'linked');
  mkdirSync(elsewhere);
  copyFileSync(IMG, path.join(elsewhere, 'l.png'));
  symlinkSync(elsewhere, path.join(root, 'real', 'linked'));
  mkdirSync(path.join(root, 'fake', 'linked'));
  copyFileSync(IMG2, path.join(root, 'fake', 'linked', 'l.png'));
  const r = run(['batch', 'real', 'fake', '--json', '--no-maps'], root);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(rows(r.stdout).map((x) => x.name).sort(), ['a.png', 'linked/l.png', 'sub/b.png', 'sub/deep/c.png']);
});

test('SIGTERM during a long folder walk: exit 143 promptly, nothing left behind', async () => {
  const root = tmp();
  // 30000 folders: the walk takes over a second here; the signal comes early in it.
  for (const side of ['real', 'fake']) for (let i = 0; i < 150; i++) for (let j = 0; j < 100; j++) mkdirSync(path.join(root, side, `d${i}`, `e${j}`), { recursive: true });
  // Two cycles, as in the report that made a synchronous walk grow without end and ignore SIGTERM.
  symlinkSync('../..', path.join(root, 'real', 'd0', 'e0', 'up'));
  symlinkSync('..', path.join(root, 'real', 'd1', 'e1', 'top'));
  const started = Date.now();
  const { code, ms } = await new Promise<{ code: number | null; ms: number }>((resolve) => {
    const p = spawn(process.execPath, [BIN, 'batch', 'real', 'fake', '--out', 'out'], { cwd: root });
    p.stdout.resume();
    p.stderr.resume();
    let sent = 0;
    setTimeout(() => {
      sent = Date.now();
      p.kill('SIGTERM');
    }, 300);
    p.on('close', (c) => resolve({ code: c, ms: Date.now() - (sent || started) }));
  });
  assert.equal(code, 143, 'the walk had already ended: make the tree larger');
  assert.ok(ms < 3000, `took ${ms} ms to stop after SIGTERM`);
  assert.ok(!readdirSync(root).includes('out'), 'nothing written');
});

test('no images found, and two folders where nothing pairs up: exit 2, one line naming the folders and what was looked for', () => {
  const root = tmp();
  for (const d of ['a', 'b', 'n']) mkdirSync(path.join(root, d));
  copyFileSync(IMG, path.join(root, 'n', 'readme.txt'));
  let r = run(['batch', 'a', 'b'], root);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^nectar-loss: no images \(\.png .*recursively\) found in a or b\n$/);
  r = run(['batch', 'n'], root);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^nectar-loss: n: no NectarGAN outputs \(\*_B_real\.\* and \*_B_fake\.\*\) found/);
  copyFileSync(IMG, path.join(root, 'a', 'x.png'));
  copyFileSync(IMG, path.join(root, 'b', 'y.png'));
  r = run(['batch', 'a', 'b'], root);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^nectar-loss: nothing pairs up: 1 images in a and 1 in b, none at the same relative path\n$/);
});

test('same name, different extensions: each pair writes its own files and the NDJSON points at them', () => {
  const root = tmp();
  for (const side of ['real', 'fake']) {
    mkdirSync(path.join(root, side));
    const src = side === 'real' ? IMG : IMG2;
    copyFileSync(src, path.join(root, side, 'a.png'));
    spawnSync(process.execPath, ['-e', `require('sharp')(${JSON.stringify(src)}).jpeg().toFile(${JSON.stringify(path.join(root, side, 'a.jpg'))})`], { cwd: path.dirname(BIN) });
    copyFileSync(src, path.join(root, side, 'b.png'));
  }
  const r = run(['batch', 'real', 'fake', '--json', '--files', 'heatmap', '--out', 'out'], root);
  assert.equal(r.code, 0, r.stderr);
  const heat = Object.fromEntries(rows(r.stdout).map((x) => [x.name, (x.files as Record<string, Record<string, string>>).sobel!.heatmap]));
  assert.deepEqual(heat, { 'a.jpg': path.join('out', 'a.jpg.sobel.heatmap.png'), 'a.png': path.join('out', 'a.png.sobel.heatmap.png'), 'b.png': path.join('out', 'b.sobel.heatmap.png') });
  assert.deepEqual(readdirSync(path.join(root, 'out')).sort(), ['a.jpg.sobel.heatmap.png', 'a.png.sobel.heatmap.png', 'b.sobel.heatmap.png']);
});

test('listed but unreadable (dangling link, FIFO): that pair is an error, reported, never a hang', () => {
  const root = tmp();
  for (const side of ['real', 'fake']) {
    mkdirSync(path.join(root, side));
    copyFileSync(IMG, path.join(root, side, 'ok.png'));
    symlinkSync('nowhere.png', path.join(root, side, 'gone.png'));
    assert.equal(spawnSync('mkfifo', [path.join(root, side, 'pipe.png')]).status, 0, 'mkfifo');
  }
  const r = run(['batch', 'real', 'fake', '--json', '--no-maps'], root);
  assert.equal(r.code, 2, r.stderr);
  const by = Object.fromEntries(rows(r.stdout).map((x) => [x.name, x]));
  assert.equal(by['ok.png']!.status, 'ok');
  assert.equal(by['gone.png']!.status, 'error');
  assert.match(String(by['gone.png']!.error), /real real\/gone\.png: dangling symbolic link/);
  assert.equal(by['pipe.png']!.status, 'error');
  assert.match(String(by['pipe.png']!.error), /not a regular file \(a FIFO\)/);
});

test('a file without read permission is that pair\'s error', (t) => {
  if (process.getuid?.() === 0) return t.skip('running as root: file permissions do not stop root from reading');
  const root = tmp();
  for (const side of ['real', 'fake']) {
    mkdirSync(path.join(root, side));
    copyFileSync(IMG, path.join(root, side, 'p.png'));
  }
  spawnSync('chmod', ['000', path.join(root, 'real', 'p.png')]);
  const r = run(['batch', 'real', 'fake', '--json', '--no-maps'], root);
  assert.equal(r.code, 2);
  assert.match(String(rows(r.stdout)[0]!.error), /permission denied/);
});
