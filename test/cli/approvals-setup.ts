import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { BIN, fixture } from '../helpers.js';

/** What the approve and serve tests share: a two-folder batch with its report, and file snapshots. */

export const CHANGED = ['rgb8_301x217', 'palette_70x50', 'rgba_icc_80x64', 'facade256'];

export function cli(cwd: string, args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
}

export const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** Every file under `dir` (relative) with its bytes' hash: what "nothing changed" compares. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (e.isFile())
      out[path.relative(dir, path.join(e.parentPath, e.name))] = sha(path.join(e.parentPath, e.name));
  return out;
}

/** base/ and cur/: four changed pairs, one new image, one obsolete baseline, one the same; the report. */
export function setup(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-approve-'));
  const img = (n: string) => fixture(`fixtures/images/${n}`);
  mkdirSync(path.join(root, 'base/sub'), { recursive: true });
  mkdirSync(path.join(root, 'cur/sub'), { recursive: true });
  for (const [i, n] of CHANGED.entries()) {
    const rel = i === 3 ? `sub/c${i + 1}.png` : `c${i + 1}.png`;
    copyFileSync(img(`${n}_real.png`), path.join(root, 'base', rel));
    copyFileSync(img(`${n}_fake.png`), path.join(root, 'cur', rel));
  }
  copyFileSync(img('gray8_64x48_fake.png'), path.join(root, 'cur/n1.png'));
  copyFileSync(img('gray8_64x48_real.png'), path.join(root, 'base/o1.png'));
  copyFileSync(img('gray8_64x48_real.png'), path.join(root, 'base/same.png'));
  copyFileSync(img('gray8_64x48_real.png'), path.join(root, 'cur/same.png'));
  const r = cli(root, [
    'batch',
    'base',
    'cur',
    '--max',
    'sobel=0.0001',
    '--no-maps',
    '--report',
    'out/report.html',
  ]);
  assert.equal(r.status, 1, r.stderr);
  return root;
}
