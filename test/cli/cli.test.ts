import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { decodeNpy } from '../../src/io/npy.js';
import { BIN, fixture, maxAbsDiff, REFERENCE, relErr } from '../helpers.js';

const RGB8 = REFERENCE.cases.rgb8;
const REAL = fixture(RGB8.real);
const FAKE = fixture(RGB8.fake);

function run(args: string[], opts: { input?: Buffer; cwd?: string } = {}) {
  const cwd = opts.cwd ?? mkdtempSync(path.join(tmpdir(), 'nl-cli-'));
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    input: opts.input,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString(), cwd };
}

test('prints the mean alone and writes heatmap, filtered maps and figure to ./nectar-loss-out', () => {
  const r = run(['sobel', REAL, FAKE]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^[0-9.e-]+\n$/);
  assert.ok(relErr(Number(r.stdout), RGB8.losses.sobel.unit.mean) <= 1e-5);
  assert.equal(r.stderr, '', 'no stderr noise when not a TTY');
  const files = readdirSync(path.join(r.cwd, 'nectar-loss-out')).sort();
  assert.deepEqual(files, [
    'rgb8_301x217_fake.sobel.fake.png',
    'rgb8_301x217_fake.sobel.figure.png',
    'rgb8_301x217_fake.sobel.heatmap.png',
    'rgb8_301x217_fake.sobel.real.png',
  ]);
  const heat = PNG.sync.read(
    readFileSync(path.join(r.cwd, 'nectar-loss-out/rgb8_301x217_fake.sobel.heatmap.png')),
  );
  assert.equal(heat.width, 301);
  assert.equal(heat.height, 217);
  assert.equal(heat.colorType, 0, '8-bit grayscale');
});

test('--json fields, --raw .npy equals the PyTorch map, --range signed, --out', () => {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'nl-cli-')), 'deep/er');
  const r = run([
    'laplacian',
    REAL,
    FAKE,
    '--json',
    '--raw',
    '--range',
    'signed',
    '--out',
    out,
    '--backend',
    'cpu',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.loss, 'laplacian');
  assert.equal(j.range, 'signed');
  assert.equal(j.backend, 'cpu');
  assert.equal(j.width, 301);
  assert.equal(j.height, 217);
  assert.ok(relErr(j.mean, RGB8.losses.laplacian.signed.mean) <= 1e-5);
  assert.deepEqual(Object.keys(j.files).sort(), ['fake', 'figure', 'heatmap', 'raw', 'real']);
  for (const p of Object.values(j.files) as string[]) assert.ok(existsSync(p) && p.startsWith(out), p);
  const npy = decodeNpy(readFileSync(j.files.raw));
  assert.deepEqual(npy.shape, [217, 301]);
  const ref = decodeNpy(readFileSync(fixture(RGB8.losses.laplacian.signed.map!)));
  assert.ok(maxAbsDiff(npy.data, ref.data) <= 1e-4);
});

test('--max: exit 1 above it with everything still printed and written; 0 at or below', () => {
  const mean = RGB8.losses.l1.unit.mean;
  const over = run(['l1', REAL, FAKE, '--max', String(mean / 2), '--json']);
  assert.equal(over.code, 1, over.stderr);
  const j = JSON.parse(over.stdout);
  assert.equal(j.over, true);
  assert.ok(existsSync(path.join(over.cwd, j.files.heatmap)), 'files are written even when over --max');
  const under = run(['l1', REAL, FAKE, '--max', String(mean * 2), '--no-maps']);
  assert.equal(under.code, 0, under.stderr);
  assert.ok(relErr(Number(under.stdout), mean) <= 1e-5);
  assert.equal(existsSync(path.join(under.cwd, 'nectar-loss-out')), false, '--no-maps writes nothing');
});

test('stdin: - reads an image from standard input, for real or fake', () => {
  const a = run(['sobel', REAL, '-', '--no-maps'], { input: readFileSync(FAKE) });
  assert.equal(a.code, 0, a.stderr);
  const b = run(['sobel', '-', FAKE, '--json'], { input: readFileSync(REAL) });
  assert.equal(b.code, 0, b.stderr);
  assert.equal(Number(a.stdout), JSON.parse(b.stdout).mean);
  assert.ok(JSON.parse(b.stdout).files.heatmap.endsWith('rgb8_301x217_fake.sobel.heatmap.png'));
  const c = run(['sobel', REAL, '-', '--json'], { input: readFileSync(FAKE) });
  assert.ok(JSON.parse(c.stdout).files.figure.endsWith('stdin.sobel.figure.png'));
});

/** Exit 2: one line on stderr, nothing on stdout, no file in --out. */
function assertUsageError(args: string[], pattern: RegExp, input?: Buffer) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'nl-cli-'));
  const r = run([...args, '--out', 'o'], { cwd, input });
  assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
  assert.equal(r.stdout, '', `${args.join(' ')}: stdout must be empty`);
  assert.match(r.stderr, pattern);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(existsSync(path.join(cwd, 'o')), false, 'no output folder or file');
}

test('exit 2 for usage and input errors, each one line on stderr', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-bad-'));
  const junk = path.join(dir, 'junk.png');
  writeFileSync(junk, 'this is not an image');
  const empty = path.join(dir, 'empty.png');
  writeFileSync(empty, '');
  mkdirSync(path.join(dir, 'adir'));
  const small = fixture(REFERENCE.cases.gray8.real);
  assertUsageError(['vgg16', REAL, FAKE], /unknown loss 'vgg16'/);
  assertUsageError(['sobel', REAL, FAKE, '--bogus'], /unknown option '--bogus'/);
  assertUsageError(['sobel', REAL], /missing required argument 'fake'/);
  assertUsageError(['sobel', REAL, FAKE, '--range', 'half'], /--range.*half/);
  assertUsageError(['sobel', REAL, FAKE, '--backend', 'webgl'], /--backend.*webgl/);
  assertUsageError(['sobel', REAL, FAKE, '--scale', '-1'], /--scale/);
  assertUsageError(['sobel', REAL, FAKE, '--max', 'abc'], /--max/);
  assertUsageError(['sobel', REAL, FAKE, '--colormap', 'rainbow'], /--colormap/);
  assertUsageError(['sobel', REAL, path.join(dir, 'missing.png')], /fake .*missing\.png: no such file/);
  assertUsageError(['sobel', junk, FAKE], /real .*junk\.png: cannot decode/);
  assertUsageError(['sobel', REAL, empty], /empty\.png: empty file/);
  assertUsageError(['sobel', path.join(dir, 'adir'), FAKE], /is a directory/);
  assertUsageError(['sobel', REAL, small], /size mismatch: real .* is 301x217, fake .* is 64x48/);
  assertUsageError(['sobel', '-', '-'], /only one of real and fake/, readFileSync(REAL));
  assertUsageError(['sobel', REAL, '-'], /no data on standard input/, Buffer.alloc(0));
});

test('--out under a regular file is exit 2 with nothing written', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-out-'));
  writeFileSync(path.join(dir, 'file'), 'x');
  const r = run(['sobel', REAL, FAKE, '--out', path.join(dir, 'file', 'sub')]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /--out .*cannot create folder/);
  assert.deepEqual(readdirSync(dir), ['file']);
});

test('--resize compares images of different sizes', () => {
  const r = run(['l2', REAL, fixture(REFERENCE.cases.gray8.real), '--resize', '--json', '--no-maps']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.width, 301);
  assert.ok(j.mean > 0);
});

test('--help shows examples, --version the package version, backends lists all five, webgpu first', () => {
  const h = run(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Examples:/);
  assert.match(h.stdout, /--range/);
  const v = run(['--version']);
  assert.equal(v.code, 0);
  assert.equal(v.stdout.trim(), JSON.parse(readFileSync(fixture('package.json'), 'utf8')).version);
  const b = run(['backends', '--json']);
  assert.equal(b.code, 0, b.stderr);
  const list = JSON.parse(b.stdout) as { package: string; loaded: boolean; detail: string }[];
  assert.deepEqual(
    list.map((x) => x.package),
    [
      'webgpu',
      '@tensorflow/tfjs-node-gpu',
      '@tensorflow/tfjs-node',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-cpu',
    ],
  );
  assert.equal(list[4].loaded, true);
  for (const x of list) assert.ok(x.detail.length > 0);
});

test('--files writes only the PNG kinds named; a bad kind is a usage error', () => {
  const r = run(['sobel', REAL, FAKE, '--files', 'heatmap,figure', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(Object.keys(JSON.parse(r.stdout).files).sort(), ['figure', 'heatmap']);
  assert.deepEqual(readdirSync(path.join(r.cwd, 'nectar-loss-out')).sort(), [
    'rgb8_301x217_fake.sobel.figure.png',
    'rgb8_301x217_fake.sobel.heatmap.png',
  ]);
  assertUsageError(['sobel', REAL, FAKE, '--files', 'heatmap,movie'], /--files.*heatmap,movie/);
});

test('a reader that closes the pipe early (`--help | head -1`) gets no stack trace', async () => {
  const { spawn } = await import('node:child_process');
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [BIN, '--help']);
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    p.stdout.once('data', () => p.stdout.destroy());
    p.on('close', (code) => resolve({ code, stderr }));
  });
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
});
