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

/** Written by fixtures/make_metric_fixtures.py with scikit-image and pytorch_msssim: the independent reference. */
const REF = JSON.parse(readFileSync(fixture('fixtures/reference/metrics.json'), 'utf8')) as {
  cases: Record<string, { real: string; fake: string; width: number; height: number; metrics: Record<'unit' | 'signed', Record<string, { value: number; map?: string }>> }>;
};

for (const backend of ['wasm', 'cpu'] as const) {
  test(`ssim, psnr, ms-ssim on ${backend} equal scikit-image / pytorch_msssim on every fixture, both ranges`, async () => {
    await useBackend(backend);
    const [ssim, psnr, ms] = await Promise.all(['ssim', 'psnr', 'ms-ssim'].map(async (n) => (await loadLoss(n))!));
    for (const [name, c] of Object.entries(REF.cases)) {
      const [real, fake] = await Promise.all([decodeImage(fixture(c.real), { label: 'r' }), decodeImage(fixture(c.fake), { label: 'f' })]);
      for (const range of ['unit', 'signed'] as const) {
        const ref = c.metrics[range];
        const before = liveTensors();
        const s = await computePair(ssim!, real, fake, range);
        assert.ok(Math.abs(s.value - ref.ssim!.value) <= 2e-5, `${name} ${range} ssim ${s.value} vs ${ref.ssim!.value}`);
        const d = maxAbsDiff(s.map, decodeNpy(readFileSync(fixture(ref.ssim!.map!))).data);
        assert.ok(d <= 1e-3, `${name} ${range} ssim map differs by ${d}`);
        const p = await computePair(psnr!, real, fake, range);
        assert.ok(Math.abs(p.value - ref.psnr!.value) <= 1e-4, `${name} ${range} psnr ${p.value} vs ${ref.psnr!.value}`);
        if (ref['ms-ssim']) {
          const m = await computePair(ms!, real, fake, range);
          assert.ok(Math.abs(m.value - ref['ms-ssim'].value) <= 1e-5, `${name} ${range} ms-ssim ${m.value} vs ${ref['ms-ssim'].value}`);
        }
        assert.equal(liveTensors(), before, 'tensors leaked');
      }
    }
  });
}

test('ssim in strips (halo 5) equals the whole-image map and value; psnr of identical images is Infinity', async () => {
  await useBackend('wasm');
  const ssim = (await loadLoss('ssim'))!, psnr = (await loadLoss('psnr'))!;
  const c = REF.cases.rgb8!;
  const [real, fake] = await Promise.all([decodeImage(fixture(c.real), { label: 'r' }), decodeImage(fixture(c.fake), { label: 'f' })]);
  const whole = await computePair(ssim, real, fake, 'unit');
  for (const tileRows of [1, 7, 50]) {
    const tiled = await computePair(ssim, real, fake, 'unit', undefined, { tileRows });
    assert.ok(maxAbsDiff(tiled.map, whole.map) <= 1e-6, `rows ${tileRows}`);
    assert.ok(Math.abs(tiled.value - whole.value) <= 1e-7);
  }
  assert.equal((await computePair(psnr, real, real, 'unit')).value, Infinity);
});

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: mkdtempSync(path.join(tmpdir(), 'nl-met-')), encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('CLI: --json says which way a value points; --min gates higher-is-better metrics; --max/--min the wrong way is a usage error', () => {
  const c = REF.cases.rgb8!;
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
  const g = REF.cases.gray8!;
  let r = cli(['psnr', fixture(g.real), fixture(g.real)]);
  assert.equal(r.stdout, 'inf\n');
  r = cli(['psnr', fixture(g.real), fixture(g.real), '--json', '--no-maps']);
  assert.equal((JSON.parse(r.stdout) as { mean: unknown }).mean, 'inf');
  r = cli(['ms-ssim', fixture(g.real), fixture(g.fake)]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^nectar-loss: ms-ssim needs images whose shorter side is at least 161 px \(160 or less is refused\); this pair is 64x48\n$/);
  const c = REF.cases.facade256!;
  r = cli(['ms-ssim', fixture(c.real), fixture(c.fake), '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((JSON.parse(r.stdout) as { files: object }).files, {});
});

test('CLI batch: ssim and psnr beside sobel, --min metric=value makes a pair over, the summary says directions and the worst are the lowest', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-met-'));
  const c = REF.cases.facade256!;
  for (const side of ['real', 'fake'] as const) {
    spawnSync('mkdir', ['-p', path.join(root, side)]);
    spawnSync('cp', [fixture(c[side]), path.join(root, side, 'a.png')]);
    spawnSync('cp', [fixture(c.real), path.join(root, side, 'same.png')]);
  }
  const r = spawnSync(process.execPath, [BIN, 'batch', 'real', 'fake', '--loss', 'sobel,ssim,psnr', '--min', 'ssim=0.9', '--json', '--no-maps'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
  const a = rows.find((x) => x.name === 'a.png')!, same = rows.find((x) => x.name === 'same.png')!;
  assert.equal(a.status, 'over');
  assert.match(a.over[0], /^ssim 0\.62\d* < 0\.9$/);
  assert.equal(same.losses.psnr, 'inf');
  const summary = rows.at(-1)!;
  assert.deepEqual(summary.better, { sobel: 'lower', ssim: 'higher', psnr: 'higher' });
  assert.equal(summary.worst.ssim[0].name, 'a.png');
});
