import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../src/engine/backend.js';
import { computePair } from '../../src/engine/compute.js';
import { decodeImage } from '../../src/io/decode.js';
import { decodeNpy } from '../../src/io/npy.js';
import { loadLoss } from '../../src/losses/registry.js';
import { BIN, fixture, liveTensors, maxAbsDiff } from '../helpers.js';

/**
 * Written by fixtures/make_metric_fixtures.py with scikit-image and pytorch_msssim: the independent
 * reference.
 */
const REF = JSON.parse(readFileSync(fixture('fixtures/reference/metrics.json'), 'utf8')) as {
  cases: Record<
    string,
    {
      real: string;
      fake: string;
      width: number;
      height: number;
      metrics: Record<string, Record<'unit' | 'signed', { value: number | 'inf'; map?: string }>>;
    }
  >;
};
/** A case's reference for one range: metric -> {value, map}. */
const refOf = (c: (typeof REF.cases)[string], range: 'unit' | 'signed') =>
  Object.fromEntries(
    Object.entries(c.metrics).map(([m, r]) => [
      m,
      { value: Number(r[range].value === 'inf' ? Infinity : r[range].value), map: r[range].map },
    ]),
  );

for (const backend of ['wasm', 'cpu'] as const) {
  test(`ssim, psnr, ms-ssim on ${backend} equal scikit-image / pytorch_msssim on every fixture, both ranges`, async () => {
    await useBackend(backend);
    const [ssim, psnr, ms] = await Promise.all(
      ['ssim', 'psnr', 'ms-ssim'].map(async (n) => (await loadLoss(n))!),
    );
    for (const [name, c] of Object.entries(REF.cases)) {
      const [real, fake] = await Promise.all([
        decodeImage(fixture(c.real), { label: 'r' }),
        decodeImage(fixture(c.fake), { label: 'f' }),
      ]);
      for (const range of ['unit', 'signed'] as const) {
        const ref = refOf(c, range);
        const before = liveTensors();
        const s = await computePair(ssim, real, fake, range);
        assert.ok(
          Math.abs(s.value - ref.ssim.value) <= 2e-5,
          `${name} ${range} ssim ${s.value} vs ${ref.ssim.value}`,
        );
        if (ref.ssim.map) {
          const d = maxAbsDiff(s.map, decodeNpy(readFileSync(fixture(ref.ssim.map))).data);
          assert.ok(d <= 1e-3, `${name} ${range} ssim map differs by ${d}`);
        }
        const p = await computePair(psnr, real, fake, range);
        assert.ok(
          Math.abs(p.value - ref.psnr.value) <= 1e-4,
          `${name} ${range} psnr ${p.value} vs ${ref.psnr.value}`,
        );
        if ('ms-ssim' in ref) {
          const m = await computePair(ms, real, fake, range);
          assert.ok(
            Math.abs(m.value - ref['ms-ssim'].value) <= 1e-5,
            `${name} ${range} ms-ssim ${m.value} vs ${ref['ms-ssim'].value}`,
          );
        }
        assert.equal(liveTensors(), before, 'tensors leaked');
      }
    }
  });
}

test('ssim in strips (halo 5) equals the whole-image map and value; psnr of identical images is Infinity', async () => {
  await useBackend('wasm');
  const ssim = (await loadLoss('ssim'))!,
    psnr = (await loadLoss('psnr'))!;
  const c = REF.cases.rgb8;
  const [real, fake] = await Promise.all([
    decodeImage(fixture(c.real), { label: 'r' }),
    decodeImage(fixture(c.fake), { label: 'f' }),
  ]);
  const whole = await computePair(ssim, real, fake, 'unit');
  for (const tileRows of [1, 7, 50]) {
    const tiled = await computePair(ssim, real, fake, 'unit', undefined, { tileRows });
    assert.ok(maxAbsDiff(tiled.map, whole.map) <= 1e-6, `rows ${tileRows}`);
    assert.ok(Math.abs(tiled.value - whole.value) <= 1e-7);
  }
  assert.equal((await computePair(psnr, real, real, 'unit')).value, Infinity);
});

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: mkdtempSync(path.join(tmpdir(), 'nl-met-')),
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('CLI: --json says which way a value points; --min gates higher-is-better metrics; --max/--min the wrong way is a usage error', () => {
  const c = REF.cases.rgb8;
  const [real, fake] = [fixture(c.real), fixture(c.fake)];
  let r = cli(['ssim', real, fake, '--json', '--no-maps', '--min', '0.7']);
  assert.equal(r.code, 1, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(j.better, 'higher');
  assert.equal(j.min, 0.7);
  assert.equal(j.under, true);
  assert.equal(cli(['ssim', real, fake, '--no-maps', '--min', '0.5']).code, 0);
  assert.equal(JSON.parse(cli(['sobel', real, fake, '--json', '--no-maps']).stdout).better, 'lower');
  for (const [args, re] of [
    [['ssim', real, fake, '--max', '0.5'], /ssim is higher-is-better: use --min/],
    [['sobel', real, fake, '--min', '0.5'], /sobel is lower-is-better.*use --max/],
  ] as [string[], RegExp][]) {
    r = cli(args);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, re);
  }
});

test('CLI: psnr of identical images prints inf and writes "inf" in valid JSON; ms-ssim refuses small images and writes no map', () => {
  const g = REF.cases.gray8;
  let r = cli(['psnr', fixture(g.real), fixture(g.real)]);
  assert.equal(r.stdout, 'inf\n');
  r = cli(['psnr', fixture(g.real), fixture(g.real), '--json', '--no-maps']);
  assert.equal((JSON.parse(r.stdout) as { mean: unknown }).mean, 'inf');
  r = cli(['ms-ssim', fixture(g.real), fixture(g.fake)]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /^nectar-loss: ms-ssim needs images whose shorter side is at least 161 px \(160 or less is refused\); this pair is 64x48\n$/,
  );
  const c = REF.cases.facade256;
  r = cli(['ms-ssim', fixture(c.real), fixture(c.fake), '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((JSON.parse(r.stdout) as { files: object }).files, {});
});

test('CLI batch: ssim and psnr beside sobel, --min metric=value makes a pair over, the summary says directions and the worst are the lowest', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-met-'));
  const c = REF.cases.facade256;
  for (const side of ['real', 'fake'] as const) {
    spawnSync('mkdir', ['-p', path.join(root, side)]);
    spawnSync('cp', [fixture(c[side]), path.join(root, side, 'a.png')]);
    spawnSync('cp', [fixture(c.real), path.join(root, side, 'same.png')]);
  }
  const r = spawnSync(
    process.execPath,
    [BIN, 'batch', 'real', 'fake', '--loss', 'sobel,ssim,psnr', '--min', 'ssim=0.9', '--json', '--no-maps'],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(r.status, 1, r.stderr);
  const rows = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, any>);
  const a = rows.find((x) => x.name === 'a.png')!,
    same = rows.find((x) => x.name === 'same.png')!;
  assert.equal(a.status, 'over');
  assert.match(a.over[0], /^ssim 0\.62\d* < 0\.9$/);
  assert.equal(same.losses.psnr, 'inf');
  const summary = rows.at(-1)!;
  assert.deepEqual(summary.better, { sobel: 'lower', ssim: 'higher', psnr: 'higher' });
  assert.equal(summary.worst.ssim[0].name, 'a.png');
});

/** LPIPS: the lpips package (v0.1) on seeded torchvision-layout trunks (fixtures/make_metric_fixtures.py). */
test('lpips (alex) and lpips-vgg equal the lpips package: value 1e-4 relative, spatial map 2e-5, both ranges, one and two threads', async () => {
  await useBackend('wasm');
  const { loadTrunk, loadLpipsLinear } = await import('../../src/io/weights/trunks.js');
  const { lpipsWeights } = await import('../../src/losses/lpips.js');
  const { compareEmbedded } = await import('../../src/engine/compute.js');
  const { seededTrunk } = await import('./seeded-trunk.js');
  const alex = lpipsWeights(
    'alex',
    await loadTrunk(fixture('fixtures/weights/alexnet-seeded.pth'), 'alex'),
    await loadLpipsLinear(fixture('weights/lpips/v0.1/alex.pth'), 'alex'),
  );
  const vgg = lpipsWeights(
    'vgg',
    seededTrunk('vgg'),
    await loadLpipsLinear(fixture('weights/lpips/v0.1/vgg.pth'), 'vgg'),
  );
  const ctx = { 'lpips-alex': alex, 'lpips-vgg': vgg };
  const defs = { lpips: (await loadLoss('lpips'))!, 'lpips-vgg': (await loadLoss('lpips-vgg'))! };
  for (const [name, c] of Object.entries(REF.cases)) {
    const [real, fake] = await Promise.all([
      decodeImage(fixture(c.real), { label: 'r' }),
      decodeImage(fixture(c.fake), { label: 'f' }),
    ]);
    for (const metric of ['lpips', 'lpips-vgg'] as const) {
      // VGG16 on the larger pairs takes seconds each on wasm: the three smallest cover 8/16-bit, gray,
      // palette.
      if (metric === 'lpips-vgg' && !['gray8', 'palette', 'gray16', 'flat16'].includes(name)) continue;
      // gray16_512 has none: 512² through the trunks takes seconds on wasm.
      if (!Object.hasOwn(c.metrics, metric)) continue;
      for (const range of ['unit', 'signed'] as const) {
        const ref = refOf(c, range)[metric];
        const before = liveTensors();
        const r = await computePair(defs[metric], real, fake, range, ctx);
        assert.equal(liveTensors(), before, 'tensors leaked');
        assert.ok(
          Math.abs(r.value - ref.value) <= 1e-4 * ref.value,
          `${name} ${metric} ${range}: ${r.value} vs ${ref.value}`,
        );
        if (!ref.map) continue; // the 256² pair's maps are not committed
        const d = maxAbsDiff(r.map, decodeNpy(readFileSync(fixture(ref.map))).data);
        assert.ok(d <= 2e-5, `${name} ${metric} ${range}: map differs by ${d}`);
      }
    }
  }
  // Two-stage: features computed apart (as the embedding threads do), compared here, give the same value.
  const c = REF.cases.rgb8;
  const [real, fake] = await Promise.all([
    decodeImage(fixture(c.real), { label: 'r' }),
    decodeImage(fixture(c.fake), { label: 'f' }),
  ]);
  const { toRange } = await import('../../src/losses/common.js');
  const { unitTensor } = await import('../../src/engine/upload.js');
  const tf = await import('@tensorflow/tfjs-core');
  const feats = async (img: typeof real) => {
    const t = tf.tidy(() =>
      defs.lpips.embed!(toRange(unitTensor(img, 0, img.height), 'unit'), { ...ctx, dataRange: 1 }),
    );
    const out = await Promise.all(
      t.map(async (x) => ({ shape: x.shape, data: (await x.data()) as Float32Array })),
    );
    tf.dispose(t);
    return out;
  };
  const two = await compareEmbedded(
    defs.lpips,
    await feats(real),
    await feats(fake),
    real.height,
    real.width,
  );
  assert.ok(Math.abs(two.value - refOf(c, 'unit').lpips.value) <= 1e-4 * two.value, `embedded ${two.value}`);
  alex.dispose();
  vgg.dispose();
});

test('CLI lpips: trunk from --alexnet-weights (both threads); missing trunk weights with downloads off: exit 2 naming where to put them', () => {
  const c = REF.cases.gray8;
  let r = cli([
    'lpips',
    fixture(c.real),
    fixture(c.fake),
    '--json',
    '--no-maps',
    '--alexnet-weights',
    fixture('fixtures/weights/alexnet-seeded.pth'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { mean: number; better: string };
  assert.ok(Math.abs(j.mean - refOf(c, 'unit').lpips.value) <= 1e-4 * j.mean, `${j.mean}`);
  assert.equal(j.better, 'lower');
  // Without --json or files no map is built (the value comes from the per-layer terms): the same value.
  r = cli([
    'lpips',
    fixture(c.real),
    fixture(c.fake),
    '--no-maps',
    '--alexnet-weights',
    fixture('fixtures/weights/alexnet-seeded.pth'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(Number(r.stdout), j.mean);
  const home = mkdtempSync(path.join(tmpdir(), 'nl-torch-'));
  r = spawnSync(process.execPath, [BIN, 'lpips-vgg', fixture(c.real), fixture(c.fake), '--no-download'], {
    encoding: 'utf8',
    env: { ...process.env, TORCH_HOME: home },
  }) as unknown as { code: number; stdout: string; stderr: string };
  assert.equal((r as unknown as { status: number }).status, 2);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    `nectar-loss: VGG16 weights not found at ${path.join(home, 'hub', 'checkpoints', 'vgg16-397923af.pth')} and downloading is off: download https://download.pytorch.org/models/vgg16-397923af.pth and put it at ${path.join(home, 'hub', 'checkpoints', 'vgg16-397923af.pth')}, or pass --vgg16-weights FILE\n`,
  );
});
