import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { useBackend } from '../../src/engine/backend.js';
import { computePair } from '../../src/engine/compute.js';
import { colormapLut } from '../../src/io/colormap.js';
import { decodeImage } from '../../src/io/decode.js';
import { decodeNpy } from '../../src/io/npy.js';
import { loadLoss } from '../../src/losses/registry.js';
import { DEFAULT_PPD, viewingPpd } from '../../src/model.js';
import { BIN, fixture, liveTensors, maxAbsDiff, relErr, ROOT } from '../helpers.js';

/** Written by fixtures/make_flip_fixtures.py with NVIDIA's FLIP (its C++ tool and FLIP.h): the reference. */
export interface FlipCase {
  real: string;
  fake: string;
  width: number;
  height: number;
  ppd: number;
  printedMean: string;
  mean32: number;
  mean64: number;
  heatmap: string;
  map?: string;
  rows?: { from: number; to: number; map: string }[];
}
export const FLIP_REF = JSON.parse(readFileSync(fixture('fixtures/reference/flip/flip.json'), 'utf8')) as {
  defaultPpd: number;
  cases: Record<string, FlipCase>;
};

const SMALL = Object.entries(FLIP_REF.cases).filter(([n]) => n !== 'large');

async function decodePair(c: FlipCase) {
  return Promise.all([
    decodeImage(fixture(c.real), { label: 'r' }),
    decodeImage(fixture(c.fake), { label: 'f' }),
  ]);
}

/** The map against FLIP's (2e-5) and the value against its printed and float32-pooled means (5e-5). */
function check(name: string, c: FlipCase, map: Float32Array, value: number, W: number): number {
  let d = 0;
  if (c.map) d = maxAbsDiff(map, decodeNpy(readFileSync(fixture(c.map))).data);
  for (const r of c.rows ?? [])
    d = Math.max(
      d,
      maxAbsDiff(map.subarray(r.from * W, r.to * W), decodeNpy(readFileSync(fixture(r.map))).data),
    );
  assert.ok(d <= 2e-5, `${name}: map differs from FLIP's by ${d}`);
  const printed = Number(c.printedMean);
  assert.ok(
    printed === 0 ? value === 0 : relErr(value, printed) <= 5e-5,
    `${name}: ${value} vs FLIP's ${printed}`,
  );
  assert.ok(
    c.mean32 === 0 ? value === 0 : relErr(value, c.mean32) <= 5e-5,
    `${name}: ${value} vs ${c.mean32}`,
  );
  return d;
}

test('FLIP defaults: 67.02064 ppd as FLIP computes it; the fixtures were made at that ppd', () => {
  assert.equal(DEFAULT_PPD, FLIP_REF.defaultPpd);
  assert.ok(Math.abs(DEFAULT_PPD - 67.02064) < 1e-5);
  assert.equal(viewingPpd(0.5, 0.6, 2560), FLIP_REF.cases['facade-viewing']!.ppd);
});

for (const backend of ['wasm', 'cpu'] as const) {
  test(`flip on ${backend}: map within 2e-5 of FLIP's C++ map, mean within 5e-5 of its printed mean`, async (t) => {
    await useBackend(backend);
    const flip = (await loadLoss('flip'))!;
    let worst = 0;
    for (const [name, c] of SMALL) {
      const [real, fake] = await decodePair(c);
      const before = liveTensors();
      const res = await computePair(flip, real, fake, 'unit', undefined, { ppd: c.ppd });
      worst = Math.max(worst, check(name, c, res.map, res.value, c.width));
      assert.equal(liveTensors(), before, 'tensors leaked');
      // signed inputs are mapped back to [0, 1]: the same map to float rounding.
      const signed = await computePair(flip, real, fake, 'signed', undefined, { ppd: c.ppd });
      assert.ok(maxAbsDiff(signed.map, res.map) <= 2e-5, `${name}: signed range`);
    }
    t.diagnostic(`largest map difference from FLIP: ${worst.toExponential(2)}`);
  });
}

test("flip on a 1920x1080 pair in ~1 Mpixel strips (halo 10 at 67 ppd): FLIP's map at the seam and borders, its mean", async (t) => {
  await useBackend('wasm');
  const flip = (await loadLoss('flip'))!;
  const c = FLIP_REF.cases.large!;
  const [real, fake] = await decodePair(c);
  assert.equal(flip.haloFor!({ ppd: c.ppd }), 10);
  const res = await computePair(flip, real, fake, 'unit');
  const d = check('large', c, res.map, res.value, c.width);
  t.diagnostic(`map difference ${d.toExponential(2)}; mean ${res.value} vs FLIP's ${c.printedMean}`);
  t.diagnostic(`float64 mean of the map ${c.mean64} (FLIP's float32 pooling gives ${c.mean32})`);
});

test('flip in strips equals flip whole, at the default and at a larger ppd (halo 28 at 200 ppd)', async () => {
  await useBackend('wasm');
  const flip = (await loadLoss('flip'))!;
  const c = FLIP_REF.cases.rgb8!;
  const [real, fake] = await decodePair(c);
  for (const ppd of [DEFAULT_PPD, 200]) {
    const whole = await computePair(flip, real, fake, 'unit', undefined, { ppd });
    for (const tileRows of [16, 70]) {
      const tiled = await computePair(flip, real, fake, 'unit', undefined, { ppd, tileRows });
      assert.ok(maxAbsDiff(tiled.map, whole.map) <= 1e-6, `ppd ${ppd} rows ${tileRows}`);
    }
  }
  assert.equal(flip.haloFor!({ ppd: 200 }), 28);
});

function cli(args: string[]) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'nl-flip-'));
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, cwd };
}

/** Each pixel's magma level (index into the 256-entry map) from an RGB PNG. */
function magmaLevels(png: Buffer, lut: Uint8Array): Int16Array {
  const img = PNG.sync.read(png);
  const index = new Map<number, number>();
  for (let i = 255; i >= 0; i--) index.set((lut[3 * i]! << 16) | (lut[3 * i + 1]! << 8) | lut[3 * i + 2]!, i);
  const out = new Int16Array(img.width * img.height);
  for (let i = 0; i < out.length; i++) {
    const [r, g, b] = [img.data[4 * i]!, img.data[4 * i + 1]!, img.data[4 * i + 2]!];
    out[i] = index.get((r << 16) | (g << 8) | b) ?? -1000;
  }
  return out;
}

test("CLI: flip's heatmap is FLIP's magma error-map PNG within one level", async (t) => {
  const lut = (await colormapLut('magma'))!;
  for (const name of ['rgb8', 'rgba', 'gray8', 'facade-ppd30']) {
    const c = FLIP_REF.cases[name]!;
    const args = ['flip', fixture(c.real), fixture(c.fake), '--files', 'heatmap', '--out', 'o'];
    const r = cli(name === 'facade-ppd30' ? [...args, '--ppd', '30'] : args);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(relErr(Number(r.stdout), Number(c.printedMean)) <= 5e-5, `${name}: printed ${r.stdout}`);
    const stem = path.basename(c.fake, '.png');
    const ours = magmaLevels(readFileSync(path.join(r.cwd, 'o', `${stem}.flip.heatmap.png`)), lut);
    const theirs = magmaLevels(readFileSync(fixture(c.heatmap)), lut);
    assert.ok(!theirs.includes(-1000) && !ours.includes(-1000), `${name}: a colour outside magma`);
    const d = maxAbsDiff(ours, theirs);
    const same = ours.filter((v, i) => v === theirs[i]).length;
    assert.ok(d <= 1, `${name}: heatmap levels differ by ${d}`);
    t.diagnostic(`${name}: ${same}/${ours.length} pixels at FLIP's level, the rest within ${d}`);
  }
});

test("CLI: --monitor-* give FLIP's viewing conditions; --ppd with them, or a non-positive value, is a usage error", () => {
  const c = FLIP_REF.cases['facade-viewing']!;
  const base = ['flip', fixture(c.real), fixture(c.fake), '--no-maps'];
  let r = cli([
    ...base,
    '--monitor-distance',
    '0.5',
    '--monitor-width',
    '0.6',
    '--monitor-resolution',
    '2560',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(relErr(Number(r.stdout), c.mean32) <= 5e-5, r.stdout);
  for (const [args, re] of [
    [['--ppd', '30', '--monitor-width', '0.5'], /--ppd or --monitor-distance.*not both/],
    [['--ppd', '0'], /--ppd.*positive number/],
    [['--monitor-resolution', 'x'], /--monitor-resolution.*positive number/],
  ] as [string[], RegExp][]) {
    r = cli([...base, ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, re);
    assert.equal(r.stderr.split('\n').length, 2, r.stderr);
  }
});

test('CLI: batch with flip gates a p99 (the changed pair is over, the identical one passes) and takes --ignore', () => {
  const c = FLIP_REF.cases.rgb8!;
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-flipb-'));
  for (const d of ['base', 'cur']) mkdirSync(path.join(dir, d));
  copyFileSync(fixture(c.real), path.join(dir, 'base/a.png'));
  copyFileSync(fixture(c.fake), path.join(dir, 'cur/a.png'));
  copyFileSync(fixture(c.real), path.join(dir, 'base/b.png'));
  copyFileSync(fixture(c.real), path.join(dir, 'cur/b.png'));
  const batch = (extra: string[]) =>
    spawnSync(
      process.execPath,
      [
        BIN,
        'batch',
        'base',
        'cur',
        '--loss',
        'flip',
        '--max',
        'flip.p99=0.3',
        '--no-maps',
        '--json',
        ...extra,
      ],
      { cwd: dir, encoding: 'utf8' },
    );
  const r = batch([]);
  assert.equal(r.status, 1, r.stderr);
  const rows = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { name?: string; status?: string; losses?: Record<string, number> });
  const byName = Object.fromEntries(rows.filter((x) => x.name).map((x) => [x.name, x]));
  assert.equal(byName['a.png']!.status, 'over');
  assert.equal(byName['b.png']!.status, 'ok');
  assert.ok(relErr(byName['a.png']!.losses!.flip!, c.mean32) <= 5e-5);
  assert.equal(byName['b.png']!.losses!.flip, 0);
  const masked = batch(['--ignore', '0,0,100,100']);
  const a = masked.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { name?: string; losses?: Record<string, number> })
    .find((x) => x.name === 'a.png')!;
  assert.ok(Math.abs(a.losses!.flip! - c.mean32) > 1e-4, 'the ignored rectangle changes the mean');
});

/** WebGPU on SwiftShader (Debian's chromium-common), as test/engine/webgpu.test.ts runs it; small images only. */
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const gpuMissing = !['webgpu', '@tensorflow/tfjs-backend-webgpu'].every((p) =>
  existsSync(path.join(ROOT, 'node_modules', p, 'package.json')),
)
  ? 'webgpu packages not installed (npm run webgpu:install)'
  : !existsSync(SWIFTSHADER)
    ? `no SwiftShader (${SWIFTSHADER}; apt-get install chromium-common libvulkan1)`
    : undefined;

test("flip on webgpu (SwiftShader): map within 2e-5 of FLIP's, mean within 5e-5 of its printed mean", async (t) => {
  if (gpuMissing) return t.skip(gpuMissing);
  process.env.VK_ICD_FILENAMES = SWIFTSHADER;
  assert.equal(await useBackend('webgpu'), 'webgpu');
  const flip = (await loadLoss('flip'))!;
  let worst = 0;
  for (const name of ['gray8', 'rgba', 'palette', 'identical']) {
    const c = FLIP_REF.cases[name]!;
    const [real, fake] = await decodePair(c);
    const res = await computePair(flip, real, fake, 'unit', undefined, { ppd: c.ppd });
    worst = Math.max(worst, check(name, c, res.map, res.value, c.width));
  }
  t.diagnostic(`largest map difference from FLIP on webgpu: ${worst.toExponential(2)}`);
});
