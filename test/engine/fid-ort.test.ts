import { spawn } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fidRuntime } from '../../src/cli/fid/features.js';
import { useBackend } from '../../src/engine/backend.js';
import { ortInception, ortUnavailable } from '../../src/engine/fid-ort.js';
import { decodeNpy } from '../../src/io/npy.js';
import type { FidDims } from '../../src/losses/inception-layout.js';
import { featureErr, FID_REF, mixedFolders } from '../losses/fid-ref.js';
import { BIN, fixture, relErr, ROOT } from '../helpers.js';

/**
 * The FID Inception network as an ONNX model (io/weights/inception-onnx.ts) in onnxruntime-node (the
 * optional peer, a devDependency here) on the seeded weights, against pytorch-fid's InceptionV3 on Debian's
 * torch (fixtures/make_fid_fixtures.py): every image's features within 1e-4 relative at --dims 64, 192, 768
 * and 2048; through the CLI (backend auto picks onnxruntime-node), FID within 1e-4 (64) and 1e-3 (2048),
 * KID of one full subset within 1e-4 of numpy's full-set MMD^2.
 */
const MIXED = FID_REF.cases.mixed;
const unavailable = ortUnavailable();
const skip = unavailable ? `onnxruntime-node cannot load here: ${unavailable}` : false;
let dir = '';
let weights = '';

before(() => {
  ({ dir, weights } = mixedFolders('fid-ort-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test(
  'backend auto runs the network in onnxruntime-node; an explicit backend keeps TensorFlow.js',
  { skip },
  async () => {
    assert.equal(await fidRuntime('auto'), 'onnxruntime');
    for (const b of ['wasm', 'cpu', 'webgpu']) assert.equal(await fidRuntime(b), 'tfjs');
  },
);

test(
  'onnxruntime-node features equal pytorch-fid within 1e-4 (dims 64, 192, 768, 2048)',
  { skip },
  async (t) => {
    await useBackend('auto');
    for (const dims of [64, 192, 768, 2048] as FidDims[]) {
      const ref = MIXED.dims[String(dims)];
      const net = await ortInception(weights, dims, 2);
      try {
        for (const side of ['real', 'fake'] as const) {
          await t.test(`${side} dims ${dims}`, async () => {
            const files = MIXED[side].map((f) => fixture(`fixtures/${f}`));
            const seen: number[] = [];
            const got = await net.features(files, (n) => seen.push(n));
            assert.equal(seen.at(-1), files.length);
            const want = decodeNpy(readFileSync(fixture(`fixtures/${ref.features[side]}`))).data;
            for (let i = 0; i < files.length; i++) {
              const row = (a: Float32Array) => a.subarray(i * dims, (i + 1) * dims);
              const e = featureErr(row(got), row(want));
              assert.ok(e <= 1e-4, `${MIXED[side][i]}: features differ by ${e} (relative)`);
            }
          });
        }
      } finally {
        await net.dispose();
      }
    }
  },
);

function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const env = { ...process.env, NECTAR_LOSS_CACHE_DIR: path.join(dir, 'cache') };
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: dir, env });
    let out = '',
      err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

for (const dims of [64, 2048] as const) {
  test(
    `fid --json --dims ${dims} and kid --json (backend auto: onnxruntime-node) equal pytorch-fid and numpy`,
    { skip },
    async () => {
      const ref = MIXED.dims[String(dims)];
      const w = ['--dims', String(dims), '--inception-weights', weights, '--no-cache'];
      const f = await cli(['fid', 'real', 'fake', '--json', ...w]);
      assert.equal(f.code, 0, f.err);
      const j = JSON.parse(f.out) as Record<string, unknown>;
      assert.deepEqual(Object.keys(j), ['fid', 'dims', 'real', 'fake']);
      const tol = dims === 2048 ? 1e-3 : 1e-4;
      assert.ok(relErr(j.fid as number, ref.fid) <= tol, `FID ${String(j.fid)} vs pytorch-fid ${ref.fid}`);
      const k = await cli(['kid', 'real', 'fake', '--json', '--subsets', '1', ...w]);
      assert.equal(k.code, 0, k.err);
      const kid = JSON.parse(k.out) as Record<string, unknown>;
      assert.deepEqual(Object.keys(kid), ['kid', 'std', 'subsets', 'subsetSize', 'real', 'fake']);
      const want = ref.kidFull.kid;
      assert.ok(relErr(kid.kid as number, want) <= 1e-4, `KID ${String(kid.kid)} vs numpy ${want}`);
    },
  );
}

test(
  '70 + 70 images in batches (onnxruntime-node): pytorch-fid within 1e-4; a broken image: exit 2, one line',
  { skip },
  async () => {
    const many = FID_REF.cases.many;
    for (const side of ['real', 'fake'] as const) {
      mkdirSync(path.join(dir, `many-${side}`));
      for (const f of many[side])
        copyFileSync(fixture(`fixtures/${f}`), path.join(dir, `many-${side}`, path.basename(f)));
    }
    const w = ['--dims', '64', '--inception-weights', weights, '--no-cache'];
    const r = await cli(['fid', 'many-real', 'many-fake', '--json', ...w]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { fid: number; real: { count: number } };
    assert.equal(j.real.count, 70);
    assert.ok(relErr(j.fid, many.dims['64'].fid) <= 1e-4, `${j.fid} vs pytorch-fid ${many.dims['64'].fid}`);
    // The broken image in the second batch, decoded while the first runs.
    writeFileSync(path.join(dir, 'many-real', 'real_08a-broken.png'), 'not a png');
    const names = many.real.map((f) => path.basename(f)).sort();
    assert.ok(
      names.filter((n) => n < 'real_08a-broken.png').length >= 8,
      'the broken image is not in the first batch',
    );
    const b = await cli(['fid', 'many-real', 'many-fake', '--json', ...w]);
    assert.equal(b.code, 2);
    assert.equal(b.out, '');
    assert.match(b.err, /^nectar-loss: \S*real_08a-broken\.png: cannot decode image[^\n]*\n$/);
  },
);

test('without onnxruntime-node installed, auto is the TensorFlow.js path, silently (pytorch-fid within 1e-4)', async () => {
  // A copy of the built package whose node_modules holds every package of this checkout's but onnxruntime-node.
  const t = path.join(dir, 'no-ort');
  for (const p of ['bin', 'package.json', 'weights', 'dist/src', 'dist/asm'])
    cpSync(path.join(ROOT, p), path.join(t, p), { recursive: true });
  mkdirSync(path.join(t, 'node_modules'));
  for (const name of readdirSync(path.join(ROOT, 'node_modules')))
    if (name !== 'onnxruntime-node')
      symlinkSync(path.join(ROOT, 'node_modules', name), path.join(t, 'node_modules', name));
  const probe = `import('./dist/src/engine/fid-ort.js').then((m) => console.log(m.ortUnavailable()))`;
  const why = spawnSync(process.execPath, ['-e', probe], { cwd: t, encoding: 'utf8' });
  assert.equal(why.stdout.trim(), 'not installed', why.stderr);
  const args = [
    'fid',
    'real',
    'fake',
    '--json',
    '--no-cache',
    '--dims',
    '64',
    '--inception-weights',
    weights,
  ];
  const r = spawnSync(process.execPath, [path.join(t, 'bin/nectar-loss.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { fid: number };
  assert.ok(relErr(j.fid, MIXED.dims['64'].fid) <= 1e-4, `${j.fid} vs pytorch-fid ${MIXED.dims['64'].fid}`);
  assert.doesNotMatch(r.stderr, /onnx/i);
});
