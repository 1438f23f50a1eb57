import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { useBackend } from '../../src/engine/backend.js';
import { computePair } from '../../src/engine/compute.js';
import { decodeImage } from '../../src/io/decode.js';
import { decodeNpy } from '../../src/io/npy.js';
import { loadLosses } from '../../src/losses/registry.js';
import { BIN, fixture, maxAbsDiff, relErr } from '../helpers.js';

/** Written by fixtures/make_snapshot_fixtures.py (PyTorch filters, NumPy masks and shifts). */
const SNAP = JSON.parse(readFileSync(fixture('fixtures/reference/snapshot.json'), 'utf8')) as {
  mask: {
    real: string;
    fake: string;
    mask: string;
    ignore: number[][];
    cases: Record<string, { ignored: number; means: Record<string, number> }>;
  };
  shift: {
    real: string;
    fake: string;
    change: number[];
    cases: Record<string, { mean: number; map: string; changeMean: number }>;
  };
};

function run(args: string[]) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'nl-snap-'));
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString(), cwd };
}

const M = SNAP.mask;
const maskArgs: Record<string, string[]> = {
  mask: ['--mask', fixture(M.mask)],
  ignore: M.ignore.flatMap((r) => ['--ignore', r.join(',')]),
  both: ['--mask', fixture(M.mask), ...M.ignore.flatMap((r) => ['--ignore', r.join(',')])],
};

for (const [name, args] of Object.entries(maskArgs)) {
  test(`--mask / --ignore (${name}): each loss is the NumPy mean over the compared pixels of the raw map`, () => {
    const ref = M.cases[name];
    for (const loss of ['sobel', 'laplacian', 'l1', 'l2']) {
      const r = run([loss, fixture(M.real), fixture(M.fake), '--json', '--no-maps', ...args]);
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout) as { mean: number; ignored: number };
      assert.equal(j.ignored, ref.ignored);
      assert.ok(relErr(j.mean, ref.means[loss]) <= 1e-5, `${loss}: ${j.mean} vs ${ref.means[loss]}`);
    }
  });
}

test('masked heatmap: ignored pixels hatched, compared ones as without a mask; the raw map stays whole', () => {
  const base = run(['sobel', fixture(M.real), fixture(M.fake), '--files', 'heatmap', '--raw']);
  const masked = run([
    'sobel',
    fixture(M.real),
    fixture(M.fake),
    '--files',
    'heatmap',
    '--raw',
    '--ignore',
    '0,0,64,32',
  ]);
  const png = (cwd: string) =>
    PNG.sync.read(readFileSync(path.join(cwd, 'nectar-loss-out/facade256_fake.sobel.heatmap.png')));
  const a = png(base.cwd),
    b = png(masked.cwd);
  const px = (p: PNG, x: number, y: number) =>
    Array.from(p.data.subarray((y * p.width + x) * 4, (y * p.width + x) * 4 + 3));
  const inside = new Set<string>();
  for (let y = 0; y < 32; y++) for (let x = 0; x < 64; x++) inside.add(px(b, x, y).join());
  assert.ok(inside.has('0,140,255') && inside.size === 2, `hatch colours: ${[...inside].join(' ')}`);
  for (const [x, y] of [
    [100, 100],
    [64, 0],
    [0, 32],
    [255, 255],
  ] as const)
    assert.deepEqual(px(b, x, y), px(a, x, y), `pixel ${x},${y}`);
  const raw = (cwd: string) =>
    decodeNpy(readFileSync(path.join(cwd, 'nectar-loss-out/facade256_fake.sobel.map.npy')));
  assert.equal(maxAbsDiff(raw(base.cwd).data, raw(masked.cwd).data), 0);
});

test('--shift-tolerance k on a pair moved by one pixel: equals the NumPy reference; the shift vanishes, the change stays', () => {
  const S = SNAP.shift;
  for (const [key, ref] of Object.entries(S.cases)) {
    const [loss, kk] = key.split('.') as [string, string];
    const out = mkdtempSync(path.join(tmpdir(), 'nl-shift-'));
    const r = run([
      loss,
      fixture(S.real),
      fixture(S.fake),
      '--json',
      '--raw',
      '--files',
      'heatmap',
      '--out',
      out,
      '--shift-tolerance',
      kk.slice(1),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { mean: number; files: { raw: string } };
    assert.ok(relErr(j.mean, ref.mean) <= 1e-5, `${key}: ${j.mean} vs ${ref.mean}`);
    const d = maxAbsDiff(
      decodeNpy(readFileSync(j.files.raw)).data,
      decodeNpy(readFileSync(fixture(ref.map))).data,
    );
    assert.ok(d <= 1e-4, `${key}: map differs by ${d}`);
  }
  // The reference itself shows the property the option exists for.
  for (const loss of ['sobel', 'laplacian', 'l1', 'l2']) {
    const k0 = S.cases[`${loss}.k0`],
      k1 = S.cases[`${loss}.k1`];
    assert.ok(k1.mean < k0.mean / 3, `${loss}: tolerance 1 removes most of a one-pixel shift`);
    assert.ok(k1.changeMean > 5 * k1.mean, `${loss}: the real change stays visible`);
  }
});

test('tiled and untiled shift-tolerant maps are the same numbers (strips overlap by the halo + k)', async () => {
  const S = SNAP.shift;
  await useBackend('wasm');
  const [real, fake] = await Promise.all([
    decodeImage(fixture(S.real), { label: 'r' }),
    decodeImage(fixture(S.fake), { label: 'f' }),
  ]);
  for (const loss of Object.values(await loadLosses())) {
    if (!loss.shift) continue;
    for (const shift of [1, 3]) {
      const whole = await computePair(loss, real, fake, 'unit', undefined, { shift });
      for (const tileRows of [1, 5, 17]) {
        const tiled = await computePair(loss, real, fake, 'unit', undefined, { shift, tileRows });
        assert.equal(maxAbsDiff(tiled.map, whole.map), 0, `${loss.name} k=${shift} rows=${tileRows}`);
        assert.ok(relErr(tiled.value, whole.value) <= 1e-12);
      }
    }
  }
});

test('usage errors: mask on vgg, tolerance on vgg, bad rectangle, k out of range, mask of another size', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-snap-'));
  mkdirSync(path.join(dir, 'x'));
  const cases: [string[], RegExp][] = [
    [
      ['vgg', fixture(M.real), fixture(M.fake), '--ignore', '0,0,4,4'],
      /vgg does not take a mask.*not the mean of a per-pixel map/,
    ],
    [
      ['vgg', fixture(M.real), fixture(M.fake), '--shift-tolerance', '1'],
      /vgg does not take --shift-tolerance/,
    ],
    [['sobel', fixture(M.real), fixture(M.fake), '--ignore', '1,2,3'], /--ignore.*x,y,w,h/],
    [['sobel', fixture(M.real), fixture(M.fake), '--shift-tolerance', '4'], /--shift-tolerance.*0 to 3/],
    [
      ['sobel', fixture(SNAP.shift.real), fixture(SNAP.shift.fake), '--mask', fixture(M.mask)],
      /mask .* is 256x256, the real image is 96x80/,
    ],
    [['sobel', fixture(M.real), fixture(M.fake), '--ignore', '0,0,256,256'], /leave no pixel/],
  ];
  for (const [args, re] of cases) {
    const r = run([...args, '--out', path.join(dir, 'out')]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('a mask on an image drawn in strips: the filtered maps are whole (tiled with a mask, all files written)', async () => {
  await useBackend('wasm');
  const [real, fake] = await Promise.all([
    decodeImage(fixture(M.real), { label: 'r' }),
    decodeImage(fixture(M.fake), { label: 'f' }),
  ]);
  const sobel = (await loadLosses()).sobel;
  const mask = new Uint8Array(256 * 256).fill(1).fill(0, 0, 256 * 40);
  const tiled = await computePair(sobel, real, fake, 'unit', undefined, { mask, tileRows: 50 });
  const whole = await computePair(sobel, real, fake, 'unit', undefined, { mask });
  assert.equal(tiled.filtered!.real.length, 256 * 256);
  assert.equal(maxAbsDiff(tiled.filtered!.real, whole.filtered!.real), 0);
  assert.ok(relErr(tiled.value, whole.value) <= 1e-12);
});
