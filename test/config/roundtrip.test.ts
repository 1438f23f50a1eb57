import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { BIN, calibrateArgs, fixture } from '../helpers.js';

/**
 * Calibrated settings travel with their gates: `calibrate --write-config` then `batch` with no flags gives
 * every pair of calibrate's own folders calibrate's verdict (the noise passes; a change fails exactly when a
 * chosen gate catches it), and `--write-gates` files carry the shift tolerance in their `#!` header.
 */
function cli(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Calibrated {
  gates: string[];
  rows: { gate: string | null; missed: string[] }[];
}

/** The pairs' statuses of a `batch --json` run, by name. */
function statuses(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of stdout.trim().split('\n')) {
    const r = JSON.parse(l) as { name?: string; status?: string };
    if (r.name !== undefined && r.status !== undefined) out[r.name] = r.status;
  }
  return out;
}

/** Calibrates with --write-config and --write-gates, then checks batch's verdicts pair by pair. */
function roundTrip(root: string, losses: string, names: string[]): void {
  const c = cli(
    root,
    calibrateArgs(
      losses,
      '--shift-tolerance',
      '1',
      '--json',
      '--write-gates',
      'gates.txt',
      '--write-config',
      'nectar-loss.config.json',
      '--jobs',
      '2',
    ),
  );
  assert.ok(c.code === 0 || c.code === 1, c.stderr);
  const j = JSON.parse(c.stdout) as Calibrated;
  const chosen = j.gates.map((g) => j.rows.find((r) => r.gate === g)!);
  const fails = (name: string) => chosen.some((r) => !r.missed.includes(name));
  const config = JSON.parse(readFileSync(path.join(root, 'nectar-loss.config.json'), 'utf8')) as {
    shiftTolerance: number;
    calibrated: { pairs: { noise: number; changed: number } };
  };
  assert.deepEqual(
    [config.shiftTolerance, config.calibrated.pairs],
    [1, { noise: names.length, changed: names.length }],
  );
  const batch = (dir: string, args: string[] = []) =>
    cli(root, ['batch', 'base', dir, '--no-maps', '--json', '--jobs', '2', ...args]);
  let b = batch('noise');
  assert.equal(b.code, 0, b.stderr);
  assert.deepEqual(statuses(b.stdout), Object.fromEntries(names.map((n) => [n, 'ok'])));
  b = batch('changed');
  assert.deepEqual(statuses(b.stdout), Object.fromEntries(names.map((n) => [n, fails(n) ? 'over' : 'ok'])));
  // The gates file alone, with no config and no flag: its header applies the shift tolerance.
  b = batch('noise', ['--no-config', '--gates', 'gates.txt']);
  assert.equal(b.code, 0, b.stderr);
  b = batch('noise', ['--no-config', '--gates', 'gates.txt', '--shift-tolerance', '0']);
  assert.deepEqual([b.code, b.stdout], [2, '']);
  assert.equal(
    b.stderr,
    'nectar-loss: gates.txt was calibrated with --shift-tolerance 1; this run asks for 0\n',
  );
}

test("calibrate --write-config then batch: calibrate's verdicts on docs/calibrate-example; the issue's gates-file scenario", () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-roundtrip-'));
  for (const d of ['base', 'noise', 'changed'])
    cpSync(fixture(`docs/calibrate-example/${d}`), path.join(root, d), { recursive: true });
  roundTrip(root, 'sobel,l1', ['basket.png', 'settings.png', 'signin.png']);
  // An old gates file (no header) still loads; with the flag it was calibrated with, the noise passes.
  const old = fixture('docs/calibrate-example/gates.txt');
  let b = cli(root, [
    'batch',
    'base',
    'noise',
    '--no-config',
    '--no-maps',
    '--gates',
    old,
    '--shift-tolerance',
    '1',
  ]);
  assert.equal(b.code, 0, b.stderr);
  b = cli(root, ['batch', 'base', 'noise', '--no-config', '--no-maps', '--gates', old]);
  assert.equal(b.code, 1, 'without a header the file cannot say its shift: the noise fails at 0, as before');
});

/** 48x48 ramps; the noise is the baseline moved right by 1 px, a change a bright 8x8 square. */
async function generated(): Promise<string> {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-roundtrip-gen-'));
  const W = 48;
  const level = (i: number, x: number, y: number) => 30 + ((x * 4 + y * 3 + 50 * i) % 180);
  const write = async (file: string, f: (x: number, y: number) => number) => {
    const px = Buffer.alloc(W * W);
    for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) px[y * W + x] = f(x, y);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(
      file,
      await sharp(px, { raw: { width: W, height: W, channels: 1 } })
        .png()
        .toBuffer(),
    );
  };
  for (let i = 0; i < 4; i++) {
    const name = `set/p${i}.png`;
    await write(path.join(root, 'base', name), (x, y) => level(i, x, y));
    await write(path.join(root, 'noise', name), (x, y) => level(i, Math.max(0, x - 1), y));
    const square = (x: number, y: number) => x >= 10 + i && x < 18 + i && y >= 20 && y < 28;
    await write(path.join(root, 'changed', name), (x, y) => (square(x, y) ? 250 : level(i, x, y)));
  }
  return root;
}

test('calibrate --write-config then batch with no flags: the same verdicts on a generated set', async () => {
  const root = await generated();
  roundTrip(
    root,
    'l1,sobel',
    [0, 1, 2, 3].map((i) => `set/p${i}.png`),
  );
});
