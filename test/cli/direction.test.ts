import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnHeads } from '../../src/cli/batch.js';
import { BIN, fixture } from '../helpers.js';

const REAL = fixture('fixtures/images/facade256_real.png');
const FAKE = fixture('fixtures/images/facade256_fake.png');
const NOTE =
  'nectar-loss: ms-ssim has no per-pixel map, so no heatmap or figure is written for it ' +
  '(--no-maps silences this)\n';

function run(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

test('table headers say which way is better; a similarity names its map', () => {
  assert.deepEqual(columnHeads('sobel'), { value: 'sobel ↓', p99: 'sobel.p99 ↓' });
  assert.deepEqual(columnHeads('ssim'), { value: 'ssim ↑', p99: 'ssim.p99 (1−S) ↓' });
  assert.deepEqual(columnHeads('psnr'), { value: 'psnr ↑', p99: 'psnr.p99 (err²) ↓' });
  assert.equal(columnHeads('ms-ssim').value, 'ms-ssim ↑');
  assert.equal(columnHeads('flip').value, 'flip ↓');
});

/** Two folders holding the same two pairs (a.png, b.png). */
function folders(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-dir-'));
  for (const d of ['r', 'f']) mkdirSync(path.join(root, d));
  for (const n of ['a.png', 'b.png']) {
    copyFileSync(REAL, path.join(root, 'r', n));
    copyFileSync(FAKE, path.join(root, 'f', n));
  }
  return root;
}

test("batch's table: headers with arrows, columns as wide as their headers", () => {
  const root = folders();
  const r = run(['batch', 'r', 'f', '--loss', 'ssim,sobel', '--no-maps'], root);
  assert.equal(r.code, 0, r.stderr);
  const [head, row] = r.stdout.split('\n');
  assert.match(head!, /^pair\s+ssim ↑ {2}ssim\.p99 \(1−S\) ↓\s+sobel ↓\s+sobel\.p99 ↓ {2}status$/);
  // Each value ends where its header ends.
  const ends = (s: string, i: number) => s.slice(0, i).trimEnd().length;
  const at = head!.indexOf('ssim.p99 (1−S) ↓') + 'ssim.p99 (1−S) ↓'.length;
  assert.equal(ends(row!, at), at, `${head}\n${row}`);
  assert.equal(r.stderr, '');
});

test('ms-ssim writes no files and says so once on stderr, unless --no-maps', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'nl-dir-'));
  const one = run(['ms-ssim', REAL, FAKE, '--out', 'out'], cwd);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /^0\.\d+\n$/);
  assert.equal(one.stderr, NOTE);
  assert.equal(existsSync(path.join(cwd, 'out')), false);
  const quiet = run(['ms-ssim', REAL, FAKE, '--no-maps'], cwd);
  assert.equal(quiet.stdout, one.stdout);
  assert.equal(quiet.stderr, '');
  // batch: once for the run, not once per pair; the other loss still draws.
  const root = folders();
  const b = run(['batch', 'r', 'f', '--loss', 'ms-ssim,l1', '--out', 'out', '--files', 'heatmap'], root);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(b.stderr, NOTE);
  assert.ok(existsSync(path.join(root, 'out', 'a.l1.heatmap.png')));
  assert.equal(run(['batch', 'r', 'f', '--loss', 'ms-ssim', '--no-maps'], root).stderr, '');
});
