import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIN, fixture, maxAbsDiff, REFERENCE, relErr, ROOT } from '../helpers.js';
import { WEBGPU_INSTALLED as installed, WEBGPU_SKIP } from './swiftshader.js';

/**
 * WebGPU on SwiftShader, the software Vulkan driver in Debian's chromium-common: slow, but the real GPU
 * code path. `.ci/run` installs it and the optional packages; without them these tests skip, saying why.
 */
const why = WEBGPU_SKIP;

function cli(args: string[], env: Record<string, string> = {}, bin = BIN) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: mkdtempSync(path.join(tmpdir(), 'nl-gpu-')),
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('parity on webgpu (SwiftShader): every loss within the wasm limits, ssim and psnr within scikit-image tolerances', async (t) => {
  if (why) return t.skip(why);
  const { useBackend } = await import('../../src/engine/backend.js');
  const { computePair } = await import('../../src/engine/compute.js');
  const { decodeImage } = await import('../../src/io/decode.js');
  const { decodeNpy } = await import('../../src/io/npy.js');
  const { loadLoss, loadLosses } = await import('../../src/losses/registry.js');
  const { loadVgg19 } = await import('../../src/io/weights/vgg19.js');
  const { vgg19Weights } = await import('../../src/losses/vgg.js');
  assert.equal(await useBackend('webgpu'), 'webgpu');
  const losses = await loadLosses();
  const decode = async (c: { real: string; fake: string }) =>
    Promise.all([decodeImage(fixture(c.real), { label: 'r' }), decodeImage(fixture(c.fake), { label: 'f' })]);
  for (const name of ['gray8', 'palette', 'rgba_icc'] as const) {
    const c = REFERENCE.cases[name];
    const [real, fake] = await decode(c);
    for (const loss of ['sobel', 'laplacian', 'l1', 'l2']) {
      for (const range of ['unit', 'signed'] as const) {
        const ref = c.losses[loss][range];
        const res = await computePair(losses[loss], real, fake, range);
        assert.ok(
          relErr(res.value, ref.mean) <= 1e-5,
          `${name} ${loss} ${range}: ${res.value} vs ${ref.mean}`,
        );
        const d = maxAbsDiff(res.map, decodeNpy(readFileSync(fixture(ref.map!))).data);
        assert.ok(d <= 1e-4, `${name} ${loss} ${range}: map differs by ${d}`);
      }
    }
  }
  // VGG (1e-4 relative) on the smallest fixture with the committed seeded weights.
  const vggRef = JSON.parse(readFileSync(fixture('fixtures/reference/vgg.json'), 'utf8')) as {
    cases: Record<string, { vgg: Record<string, { mean: number }> }>;
  };
  const g = REFERENCE.cases.gray8;
  const [gr, gf] = await decode(g);
  const w = vgg19Weights(await loadVgg19(fixture('fixtures/weights/vgg19-zip.pth')));
  const v = await computePair((await loadLoss('vgg'))!, gr, gf, 'signed', { vgg19: w });
  w.dispose();
  assert.ok(relErr(v.value, vggRef.cases.gray8.vgg.signed.mean) <= 1e-4, `vgg ${v.value}`);
  // The standard metrics against scikit-image (fixtures/make_metric_fixtures.py), at issue 12's tolerances:
  // webgpu runs them as tfjs ops, wasm as the WebAssembly SSIM kernel (losses/ssim-host.ts).
  const metrics = JSON.parse(readFileSync(fixture('fixtures/reference/metrics.json'), 'utf8')) as {
    cases: Record<string, { metrics: Record<string, { unit: { value: number; map: string } }> }>;
  };
  const want = metrics.cases.gray8.metrics;
  for (const [m, tol] of [
    ['ssim', 2e-5],
    ['psnr', 1e-4],
  ] as const) {
    const got = await computePair(losses[m], gr, gf, 'unit');
    assert.ok(
      Math.abs(got.value - want[m].unit.value) <= tol,
      `${m}: webgpu ${got.value} vs scikit-image ${want[m].unit.value}`,
    );
    if (m === 'ssim')
      assert.ok(
        maxAbsDiff(got.map, decodeNpy(readFileSync(fixture(want[m].unit.map))).data) <= 1e-3,
        'ssim map',
      );
  }
});

test('webgpu (SwiftShader), 16-bit and nearly uniform pairs: ms-ssim within 1e-5 of pytorch_msssim, ssim, psnr and the losses within their tolerances', async (t) => {
  if (why) return t.skip(why);
  const { useBackend } = await import('../../src/engine/backend.js');
  const { computePair } = await import('../../src/engine/compute.js');
  const { decodeImage } = await import('../../src/io/decode.js');
  const { loadLosses } = await import('../../src/losses/registry.js');
  assert.equal(await useBackend('webgpu'), 'webgpu');
  const losses = await loadLosses();
  const metrics = JSON.parse(readFileSync(fixture('fixtures/reference/metrics.json'), 'utf8')) as {
    cases: Record<string, { metrics: Record<string, Record<'unit' | 'signed', { value: number | 'inf' }>> }>;
  };
  // 176x168 and 184x168: the smallest sizes MS-SSIM takes (over 160 px a side), quick on SwiftShader.
  for (const name of ['flat16', 'flat8', 'gray16_176'] as const) {
    const c = REFERENCE.cases[name]!;
    const [real, fake] = await Promise.all([
      decodeImage(fixture(c.real), { label: 'r' }),
      decodeImage(fixture(c.fake), { label: 'f' }),
    ]);
    for (const range of ['unit', 'signed'] as const) {
      for (const [m, tol] of [
        ['ms-ssim', 1e-5],
        ['ssim', 2e-5],
        ['psnr', 1e-4],
      ] as const) {
        const want = Number(metrics.cases[name]!.metrics[m]![range].value);
        const got = (await computePair(losses[m]!, real, fake, range)).value;
        assert.ok(Math.abs(got - want) <= tol, `${name} ${range} ${m}: webgpu ${got} vs ${want}`);
      }
      for (const loss of ['sobel', 'laplacian', 'l1', 'l2']) {
        const ref = c.losses[loss]![range];
        const res = await computePair(losses[loss]!, real, fake, range);
        assert.ok(
          relErr(res.value, ref.mean) <= 1e-5,
          `${name} ${loss} ${range}: ${res.value} vs ${ref.mean}`,
        );
      }
    }
  }
});

test('auto never takes a software adapter; `backends` names it; --backend webgpu uses it', (t) => {
  if (why) return t.skip(why);
  const c = REFERENCE.cases.gray8;
  const auto = cli(['sobel', fixture(c.real), fixture(c.fake), '--json', '--no-maps']);
  assert.equal(JSON.parse(auto.stdout).backend, 'wasm');
  const doctor = JSON.parse(cli(['backends', '--json']).stdout) as {
    package: string;
    backend: string;
    loaded: boolean;
    detail: string;
  }[];
  assert.equal(doctor[0].backend, 'webgpu');
  assert.equal(doctor[0].loaded, false);
  assert.match(
    doctor[0].detail,
    /only a software adapter: SwiftShader.*vendor google.*software: used only with --backend webgpu/,
  );
  const explicit = cli([
    'sobel',
    fixture(c.real),
    fixture(c.fake),
    '--json',
    '--no-maps',
    '--backend',
    'webgpu',
  ]);
  assert.equal(explicit.code, 0, explicit.stderr);
  assert.equal(JSON.parse(explicit.stdout).backend, 'webgpu');
  assert.ok(relErr(JSON.parse(explicit.stdout).mean, c.losses.sobel.unit.mean) <= 1e-5);
});

test('batch on webgpu: each worker thread gets its own device', (t) => {
  if (why) return t.skip(why);
  const root = mkdtempSync(path.join(tmpdir(), 'nl-gpu-'));
  const c = REFERENCE.cases.gray8;
  for (const side of ['real', 'fake'] as const) {
    mkdirSync(path.join(root, side));
    for (const n of ['a', 'b', 'c']) cpSync(fixture(c[side]), path.join(root, side, `${n}.png`));
  }
  const r = spawnSync(
    process.execPath,
    [BIN, 'batch', 'real', 'fake', '--backend', 'webgpu', '--jobs', '2', '--json', '--no-maps'],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { backend: string; ok: number };
  assert.deepEqual([summary.backend, summary.ok], ['webgpu', 3]);
});

test('--backend webgpu without an adapter (VK_ICD_FILENAMES at a missing file): exit 2, one line with the reason and the fix', (t) => {
  if (!installed) return t.skip('webgpu packages not installed');
  const c = REFERENCE.cases.gray8;
  const r = cli(['sobel', fixture(c.real), fixture(c.fake), '--backend', 'webgpu'], {
    VK_ICD_FILENAMES: '/nonexistent/icd.json',
  });
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(
    r.stderr,
    /^nectar-loss: backend webgpu is not available: no WebGPU adapter found: install a Vulkan driver: .*mesa-vulkan-drivers libvulkan1\)\n$/,
  );
});

test('--backend webgpu with the packages missing: exit 2, one line naming the install command; auto goes on', () => {
  // A copy of the built CLI whose node_modules holds every package but the two optional ones.
  const root = mkdtempSync(path.join(tmpdir(), 'nl-nogpu-'));
  cpSync(path.join(ROOT, 'dist', 'src'), path.join(root, 'dist', 'src'), { recursive: true });
  // The WebAssembly kernels, as the package ships them (package.json's files).
  cpSync(path.join(ROOT, 'dist', 'asm'), path.join(root, 'dist', 'asm'), { recursive: true });
  cpSync(path.join(ROOT, 'bin'), path.join(root, 'bin'), { recursive: true });
  cpSync(path.join(ROOT, 'package.json'), path.join(root, 'package.json'));
  mkdirSync(path.join(root, 'node_modules', '@tensorflow'), { recursive: true });
  for (const e of readdirSync(path.join(ROOT, 'node_modules'))) {
    if (e === 'webgpu' || e === '@tensorflow' || e.startsWith('.')) continue;
    symlinkSync(path.join(ROOT, 'node_modules', e), path.join(root, 'node_modules', e));
  }
  for (const e of readdirSync(path.join(ROOT, 'node_modules', '@tensorflow'))) {
    if (e !== 'tfjs-backend-webgpu')
      symlinkSync(
        path.join(ROOT, 'node_modules', '@tensorflow', e),
        path.join(root, 'node_modules', '@tensorflow', e),
      );
  }
  const bin = path.join(root, 'bin', 'nectar-loss.js');
  const c = REFERENCE.cases.gray8;
  const r = cli(['sobel', fixture(c.real), fixture(c.fake), '--backend', 'webgpu'], {}, bin);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(
    r.stderr,
    /^nectar-loss: backend webgpu is not available: webgpu and @tensorflow\/tfjs-backend-webgpu not installed \(npm install webgpu@0\.6\.2 @tensorflow\/tfjs-backend-webgpu@4\.22\.0\)\n$/,
  );
  assert.equal(
    JSON.parse(cli(['sobel', fixture(c.real), fixture(c.fake), '--json', '--no-maps'], {}, bin).stdout)
      .backend,
    'wasm',
  );
});

test('no Vulkan loader on Linux is named before any adapter is asked for', async () => {
  const { prerequisites } = await import('../../src/engine/webgpu.js');
  const none = prerequisites(() => new Set(['libc.so.6']), 'linux');
  if (!installed) assert.match(none!, /not installed/);
  else assert.match(none!, /^no Vulkan loader \(libvulkan\.so\.1\) found: apt-get install libvulkan1/);
  if (installed) {
    assert.equal(
      prerequisites(() => new Set(['libvulkan.so.1']), 'linux'),
      undefined,
    );
    assert.equal(
      prerequisites(() => new Set(), 'darwin'),
      undefined,
      'macOS and Windows need no Vulkan loader',
    );
  }
});
