import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { BIN, calibrateArgs } from '../helpers.js';

/**
 * calibrate on sets whose right answer is known by arithmetic. Baselines: 64x64 RGB ramps, levels 20..219.
 * Noise: every level +1 (l1 = 1/255 at every pixel: mean, p95, p99 and max all 1/255). Changed: a 10x10
 * square +30 levels (l1 = 30/255 on 100 of 4096 pixels: the map's p99 and max are 30/255, its mean
 * 3000/4096/255 = 0.00287 under the noise's 0.00392, its p95 0). So p99 and max separate the sets by 30x,
 * the mean and p95 not at all, and the gate halfway is 15.5/255.
 */
const W = 64,
  N = 4;
const level = (i: number, x: number, y: number) => 20 + ((x * 3 + y * 5 + 40 * i) % 200);

async function png(file: string, f: (x: number, y: number) => number): Promise<void> {
  const px = Buffer.alloc(W * W * 3);
  for (let y = 0; y < W; y++)
    for (let x = 0; x < W; x++) px.fill(f(x, y), (y * W + x) * 3, (y * W + x) * 3 + 3);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    await sharp(px, { raw: { width: W, height: W, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

const inSquare = (x: number, y: number) => x >= 20 && x < 30 && y >= 30 && y < 40;

async function sets(): Promise<string> {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-cal-'));
  for (let i = 0; i < N; i++) {
    const name = i % 2 ? `pages/p${i}.png` : `p${i}.png`;
    await png(path.join(root, 'base', name), (x, y) => level(i, x, y));
    await png(path.join(root, 'noise', name), (x, y) => level(i, x, y) + 1);
    await png(path.join(root, 'changed', name), (x, y) => level(i, x, y) + (inSquare(x, y) ? 30 : 0));
  }
  return root;
}

function cli(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Row {
  loss: string;
  stat: string;
  better: string;
  ceiling: number;
  nearest: number;
  separable: boolean;
  rule: string;
  gate: string | null;
  bound: string;
  limit: number;
  caught: number;
  changed: number;
  missed: string[];
  separation: number | string;
}

const close = (a: number, b: number, rel = 1e-5) => Math.abs(a - b) <= rel * Math.abs(b);

test('calibrate: the known answer (p99 and max separate noise from changes by 30x; mean and p95 do not); gates round-trip through batch --gates', async () => {
  const root = await sets();
  const r = cli(root, calibrateArgs('l1,ssim', '--json', '--write-gates', 'out/gates.txt', '--jobs', '2'));
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { noise: number; changed: number; rows: Row[]; gates: string[] };
  assert.deepEqual([j.noise, j.changed], [N, N]);
  const row = (loss: string, stat: string) => j.rows.find((x) => x.loss === loss && x.stat === stat)!;
  // Ranked by changed pairs caught, then separation: l1's p99 before its max (tied at 30x: the order
  // asked), both before its mean and p95 (which catch nothing).
  const l1 = j.rows.filter((x) => x.loss === 'l1').map((x) => x.stat);
  assert.deepEqual(l1, ['p99', 'max', 'mean', 'p95']);
  assert.equal(j.rows[0]!.caught, N);
  for (const stat of ['p99', 'max']) {
    const x = row('l1', stat);
    assert.ok(close(x.ceiling, 1 / 255), `${stat} ceiling ${x.ceiling}`);
    assert.ok(close(x.nearest, 30 / 255), `${stat} nearest ${x.nearest}`);
    assert.ok(close(Number(x.separation), 30, 1e-4), `${stat} separation ${x.separation}`);
    assert.deepEqual([x.separable, x.rule, x.bound, x.caught, x.changed], [true, 'midpoint', 'max', N, N]);
    // Halfway, written short: within a tenth of the gap of 15.5/255.
    assert.ok(Math.abs(x.limit - 15.5 / 255) <= 2.9 / 255, `${stat} gate ${x.limit}`);
  }
  const mean = row('l1', 'mean');
  assert.ok(close(mean.ceiling, 1 / 255) && close(mean.nearest, 3000 / 4096 / 255));
  assert.deepEqual([mean.separable, mean.rule, mean.caught, mean.missed.length], [false, 'margin', 0, N]);
  assert.ok(close(mean.limit, 1.25 / 255, 0.05), `mean gate ${mean.limit}: the ceiling + 25%`);
  assert.equal(row('l1', 'p95').caught, 0);
  // SSIM's value points up: its gate is a minimum at or under every noise pair's SSIM.
  const s = row('ssim', 'mean');
  assert.deepEqual([s.better, s.bound], ['higher', 'min']);
  assert.ok(s.limit <= s.ceiling && s.ceiling < 1);
  assert.equal(row('ssim', 'p99').better, 'lower');
  // One gate catches every change: the best, alone, is the file.
  assert.deepEqual(j.gates, [j.rows[0]!.gate]);
  const file = readFileSync(path.join(root, 'out/gates.txt'), 'utf8');
  assert.match(file, /^# nectar-loss calibrate: 4 noise pairs, 4 changed pairs/);
  assert.deepEqual(
    file
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.replace(/\s*#.*/, '')),
    [j.rows[0]!.gate],
  );
  // Round trip: the noise passes, every change fails, with --loss taken from the file.
  let b = cli(root, [
    'batch',
    'base',
    'noise',
    '--gates',
    'out/gates.txt',
    '--no-maps',
    '--json',
    '--jobs',
    '2',
  ]);
  assert.equal(b.code, 0, b.stderr);
  const summary = (out: string) =>
    JSON.parse(out.trim().split('\n').at(-1)!) as { ok: number; over: number; losses: string[] };
  assert.deepEqual([summary(b.stdout).ok, summary(b.stdout).losses], [N, [j.rows[0]!.loss]]);
  b = cli(root, [
    'batch',
    'base',
    'changed',
    '--gates',
    'out/gates.txt',
    '--no-maps',
    '--json',
    '--jobs',
    '2',
  ]);
  assert.equal(b.code, 1, b.stderr);
  assert.equal(summary(b.stdout).over, N);
  // Merged with --max: a tighter mean gate from the command line fails the noise too.
  b = cli(root, [
    'batch',
    'base',
    'noise',
    '--gates',
    'out/gates.txt',
    '--max',
    'l1=0.001',
    '--no-maps',
    '--json',
    '--loss',
    'l1,ssim',
  ]);
  assert.equal(b.code, 1);
  assert.equal(summary(b.stdout).over, N);
});

test('calibrate: a change no gate catches exits 1 and is named; without --changed, value and p99 gates at the noise ceiling + margin', async () => {
  const root = await sets();
  // p3's "change" is the noise itself.
  await png(path.join(root, 'changed', 'pages/p3.png'), (x, y) => level(3, x, y) + 1);
  let r = cli(root, calibrateArgs('l1'));
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /no gate catches: pages\/p3\.png\n$/);
  assert.match(r.stdout, /--max l1\.p99=0\.0049 +0\.00392\d* +0\.00392\d* +3\/4 +1\.00x\n/);
  r = cli(root, ['calibrate', 'base', 'noise', '--loss', 'l1', '--margin', '1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { rows: Row[]; gates: string[] };
  assert.equal(j.rows.length, 4);
  assert.equal(j.gates.length, 2);
  for (const g of j.gates) assert.ok(close(Number(g.split('=')[1]), 2 / 255, 0.05), g);
  assert.deepEqual(
    j.gates.map((g) => g.split('=')[0]),
    ['l1', 'l1.p99'],
  );
});

test('calibrate and --gates: user errors are one line on stderr, exit 2, nothing on stdout, no file', async () => {
  const root = await sets();
  await png(path.join(root, 'orphan', 'new.png'), () => 9);
  await png(path.join(root, 'orphan', 'p0.png'), (x, y) => level(0, x, y));
  writeFileSync(path.join(root, 'bad.txt'), '# ok\nl1.p99=0.1\nl1.p42=3\n');
  writeFileSync(path.join(root, 'ssim-max.txt'), 'ssim.p99=0.2\n');
  for (const [args, re] of [
    [
      ['calibrate', 'base', 'orphan', '--write-gates', 'g.txt'],
      /^nectar-loss: noise set: new\.png: no baseline: /,
    ],
    [['calibrate', 'base', 'noise', '--loss', 'nope', '--write-gates', 'g.txt'], /unknown loss 'nope'/],
    [
      ['calibrate', 'base', 'noise', '--margin', '-1', '--write-gates', 'g.txt'],
      /--margin.*expected a fraction/,
    ],
    [['calibrate', 'base', 'missing', '--write-gates', 'g.txt'], /^nectar-loss: /],
    [
      ['batch', 'base', 'noise', '--gates', 'nothere.txt'],
      /^nectar-loss: --gates nothere\.txt: cannot read it: ENOENT\n$/,
    ],
    [
      ['batch', 'base', 'noise', '--gates', 'bad.txt'],
      /^nectar-loss: --gates bad\.txt: line 3: unknown statistic 'p42'/,
    ],
    [['batch', 'base', 'noise', '--gates', 'ssim-max.txt', '--loss', 'l1'], /ssim is not among --loss l1/],
  ] as [string[], RegExp][]) {
    const r = cli(root, args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!existsSync(path.join(root, 'g.txt')));
  }
});

test('calibrate --history: the values of the pairs that passed in batch --history runs are its noise, alone or beside a noise folder', async () => {
  const root = await sets();
  // Three real batch runs kept in hist/: two of the noise set (every pair passes: l1 = 1/255 everywhere),
  // one of the changed set with a p99 gate its pairs fail (p99 30/255): those records must not be noise.
  for (const args of [['noise'], ['noise', '--max', 'l1=0.01'], ['changed', '--max', 'l1.p99=0.01']]) {
    const r = cli(root, ['batch', 'base', ...args, '--loss', 'l1', '--no-maps', '--history', 'hist']);
    assert.equal(r.code, args[0] === 'noise' ? 0 : 1, r.stderr);
  }
  const calibrated = (args: string[]) => {
    const r = cli(root, ['calibrate', 'base', ...args, '--loss', 'l1', '--margin', '1', '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { noise: number; rows: Row[]; gates: string[] };
  };
  // History alone: 2 runs × 4 passing pairs; the noise ceiling is 1/255 for the value and p99 (the failed
  // changed pairs' p99, 30/255, would be the ceiling if they counted), so margin 1 puts both gates at 2/255.
  const alone = calibrated(['--history', 'hist']);
  assert.equal(alone.noise, 8);
  const p99 = alone.rows.find((r) => r.loss === 'l1' && r.stat === 'p99')!;
  assert.ok(close(p99.ceiling, 1 / 255), String(p99.ceiling));
  for (const g of alone.gates) assert.ok(close(Number(g.split('=')[1]), 2 / 255, 0.05), g);
  // Beside the noise folder: its 4 pairs and the 8 recorded; with --changed, p99 separates them, halfway.
  const both = calibrated(['noise', '--history', 'hist', '--changed', 'changed']);
  assert.equal(both.noise, 12);
  const sep = both.rows.find((r) => r.loss === 'l1' && r.stat === 'p99')!;
  assert.ok(close(sep.limit, 15.5 / 255, 0.01), String(sep.limit));
  // --write-config records the folder, and batch reads that config back (its gates pass the noise set).
  const w = cli(root, ['calibrate', 'base', '--history', 'hist', '--loss', 'l1', '--write-config', 'c.json']);
  assert.equal(w.code, 0, w.stderr);
  const written = JSON.parse(readFileSync(path.join(root, 'c.json'), 'utf8')) as {
    calibrated: { history?: string; noise?: string };
  };
  assert.deepEqual([written.calibrated.history, written.calibrated.noise], ['hist', undefined]);
  const b = cli(root, ['batch', 'base', 'noise', '--config', 'c.json', '--no-maps']);
  assert.equal(b.code, 0, b.stderr);
  // Without either noise source, or at another --range than the runs': a usage error.
  for (const [args, re] of [
    [['calibrate', 'base', '--loss', 'l1'], /needs a noise folder, --history <dir>, or both/],
    [
      ['calibrate', 'base', '--history', 'hist', '--range', 'signed'],
      /measured with --range unit, not signed/,
    ],
    [['calibrate', 'base', '--history', 'hist', '--loss', 'l2'], /no kept run measured l2/],
  ] as [string[], RegExp][]) {
    const r = cli(root, args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, re);
  }
});
