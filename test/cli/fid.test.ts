import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FID_BATCH } from '../../src/engine/fid.js';
import { decodeNpz } from '../../src/io/npz.js';
import { FID_REF, mixedFolders } from '../losses/fid-ref.js';
import { writeSeededInception } from '../losses/seeded-inception.js';
import { BIN, fixture, relErr } from '../helpers.js';

/**
 * `nectar-loss fid|kid` end to end on the seeded FID Inception weights (test/losses/seeded-inception.ts)
 * against fixtures/make_fid_fixtures.py's pytorch-fid values, at --dims 64 (the network's stem: fast).
 */
let dir = '';
let weights = '';
let env: NodeJS.ProcessEnv = {};
const MIXED = FID_REF.cases.mixed;

before(() => {
  ({ dir, weights } = mixedFolders('fid-cli-'));
  env = { ...process.env, XDG_CACHE_HOME: path.join(dir, 'cache'), TORCH_HOME: path.join(dir, 'torch') };
  delete env.NECTAR_LOSS_CACHE_DIR;
  delete env.NECTAR_LOSS_INCEPTION_WEIGHTS;
});
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...env, ...extraEnv } });
    let out = '',
      err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

const W = () => ['--dims', '64', '--inception-weights', weights];

test('fid --json: the issue JSON, pytorch-fid within 1e-4; the rank-deficiency warning; a second run reads the cache', async () => {
  const r = await cli(['fid', 'real', 'fake', '--json', ...W()]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as Record<string, unknown>;
  assert.deepEqual(Object.keys(j), ['fid', 'dims', 'real', 'fake']);
  assert.deepEqual([j.dims, j.real, j.fake], [64, { count: 7 }, { count: 7 }]);
  const ref = MIXED.dims['64'].fid;
  assert.ok(relErr(j.fid as number, ref) <= 1e-4, `${String(j.fid)} vs pytorch-fid ${ref}`);
  assert.match(
    r.err,
    /real: 7 images for 64 dimensions: the covariance is rank-deficient.*at least 65 images/,
  );
  const again = await cli(['fid', 'real', 'fake', '--json', ...W()]);
  assert.equal(again.out, r.out, 'the cached features give the same FID');
});

test('kid --json: the issue JSON; one full subset is numpy full-set MMD^2 within 1e-4 (features 1e-6 apart)', async () => {
  const r = await cli(['kid', 'real', 'fake', '--json', '--subsets', '1', ...W()]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as Record<string, unknown>;
  assert.deepEqual(Object.keys(j), ['kid', 'std', 'subsets', 'subsetSize', 'real', 'fake']);
  assert.deepEqual([j.std, j.subsets, j.subsetSize, j.real, j.fake], [0, 1, 7, { count: 7 }, { count: 7 }]);
  const ref = MIXED.dims['64'].kidFull.kid;
  assert.ok(relErr(j.kid as number, ref) <= 1e-4, `${String(j.kid)} vs numpy ${ref}`);
});

test('--save-stats writes mu and sigma (float64); the .npz in place of a folder gives the same FID', async () => {
  const r = await cli(['fid', 'real', '--save-stats', 'real.npz', ...W()]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, '');
  const a = decodeNpz(readFileSync(path.join(dir, 'real.npz')), 'real.npz');
  assert.ok(a.mu?.data instanceof Float64Array && a.sigma?.data instanceof Float64Array);
  assert.deepEqual([a.mu.shape, a.sigma.shape], [[64], [64, 64]]);
  const fromDirs = JSON.parse((await cli(['fid', 'real', 'fake', '--json', ...W()])).out) as { fid: number };
  const fromNpz = JSON.parse((await cli(['fid', 'real.npz', 'fake', '--json', ...W()])).out) as {
    fid: number;
    real: { count: number | null };
  };
  assert.ok(relErr(fromNpz.fid, fromDirs.fid) <= 1e-12, `${fromNpz.fid} vs ${fromDirs.fid}`);
  assert.equal(fromNpz.real.count, null);
});

test('merge of 3 shards equals the single run (FID and KID, 1e-9); a missing shard is refused', async () => {
  for (const metric of ['fid', 'kid']) {
    const single = JSON.parse((await cli([metric, 'real', 'fake', '--json', ...W()])).out) as Record<
      string,
      number
    >;
    for (const i of [1, 2, 3]) {
      const r = await cli([
        metric,
        'real',
        'fake',
        ...W(),
        '--shard',
        `${i}/3`,
        '--results',
        `${metric}-${i}.zip`,
      ]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, '');
    }
    const m = await cli(['merge', `${metric}-3.zip`, `${metric}-1.zip`, `${metric}-2.zip`, '--json']);
    assert.equal(m.code, 0, m.err);
    const merged = JSON.parse(m.out) as Record<string, number>;
    assert.ok(
      relErr(merged[metric], single[metric]) <= 1e-9,
      `${metric} ${merged[metric]} vs ${single[metric]}`,
    );
    assert.deepEqual(Object.keys(merged), Object.keys(single));
    const missing = await cli(['merge', `${metric}-1.zip`, `${metric}-2.zip`, '--json']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /^nectar-loss: shard 3\/3 missing: merge needs all 3\n$/);
  }
});

test('--bootstrap: a seeded interval around FID, in JSON and text', async () => {
  const a = await cli(['fid', 'real', 'fake', '--json', '--bootstrap', '5', ...W()]);
  assert.equal(a.code, 0, a.err);
  const j = JSON.parse(a.out) as { fid: number; interval: [number, number] };
  assert.ok(j.interval[0] <= j.interval[1] && Number.isFinite(j.interval[0]));
  const b = JSON.parse(
    (await cli(['fid', 'real', 'fake', '--json', '--bootstrap', '5', ...W()])).out,
  ) as typeof j;
  assert.deepEqual(b.interval, j.interval, 'the same seed gives the same interval');
  const t = await cli(['fid', 'real', 'fake', '--bootstrap', '5', ...W()]);
  assert.match(t.out, /^FID \d+\.\d{6} \(95% bootstrap interval \S+ to \S+\)/);
});

async function oneLineExit2(args: string[], pattern: RegExp, extraEnv: NodeJS.ProcessEnv = {}) {
  const r = await cli(args, extraEnv);
  assert.equal(r.code, 2, r.err);
  assert.equal(r.out, '');
  assert.equal(r.err.split('\n').length, 2, r.err);
  assert.match(r.err, pattern);
}

test('exit 2 with one line: fewer than 2 images, an unreadable image, weights that are not FID Inception', async () => {
  mkdirSync(path.join(dir, 'one'));
  copyFileSync(path.join(dir, 'real', path.basename(MIXED.real[0])), path.join(dir, 'one', 'a.png'));
  await oneLineExit2(['fid', 'one', 'fake', ...W()], /one: 1 image; FID and KID need at least 2/);
  mkdirSync(path.join(dir, 'broken'));
  copyFileSync(path.join(dir, 'one', 'a.png'), path.join(dir, 'broken', 'a.png'));
  writeFileSync(path.join(dir, 'broken', 'b.png'), 'not a png');
  await oneLineExit2(['kid', 'broken', 'fake', '--no-cache', ...W()], /b\.png: cannot decode image/);
  const w1000 = path.join(dir, 'w1000.safetensors');
  writeSeededInception(w1000, 1000);
  await oneLineExit2(
    ['fid', 'real', 'fake', '--dims', '64', '--inception-weights', w1000],
    /not the FID Inception network: fc.weight is \[1000, 2048\]/,
  );
  await oneLineExit2(
    ['fid', 'real', 'fake', '--dims', '64', '--inception-weights', path.join(dir, 'real.npz')],
    /FID Inception weights/,
  );
});

test('weights: $NECTAR_LOSS_INCEPTION_WEIGHTS, --no-download, and a download checked by its hash', async () => {
  const byEnv = await cli(['fid', 'real', 'fake', '--json', '--dims', '64'], {
    NECTAR_LOSS_INCEPTION_WEIGHTS: weights,
  });
  assert.equal(byEnv.code, 0, byEnv.err);
  await oneLineExit2(
    ['fid', 'real', 'fake', '--dims', '64', '--no-download'],
    /FID Inception weights not found at .*pt_inception-2015-12-05-6726825d\.pth and downloading is off/,
  );
  const bytes = readFileSync(weights);
  const prefix = createHash('sha256').update(bytes).digest('hex').slice(0, 8);
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { 'content-length': bytes.length });
    res.end(bytes);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await oneLineExit2(
      ['fid', 'real', 'fake', '--dims', '64'],
      /SHA-256 .* expected it to start with 00000000/,
      {
        NECTAR_LOSS_INCEPTION_URL: `${base}/pt_inception-00000000.pth`,
      },
    );
    const url = `${base}/pt_inception-${prefix}.pth`;
    const ok = await cli(['fid', 'real', 'fake', '--json', '--dims', '64'], {
      NECTAR_LOSS_INCEPTION_URL: url,
    });
    assert.equal(ok.code, 0, ok.err);
    assert.ok(existsSync(path.join(dir, 'torch', 'hub', 'checkpoints', `pt_inception-${prefix}.pth`)));
  } finally {
    server.close();
  }
});

test('70 + 70 images on worker threads (one per core): pytorch-fid within 1e-4; a broken image fails the run', async () => {
  const many = FID_REF.cases.many;
  for (const side of ['real', 'fake'] as const) {
    mkdirSync(path.join(dir, `many-${side}`));
    for (const f of many[side])
      copyFileSync(fixture(`fixtures/${f}`), path.join(dir, `many-${side}`, path.basename(f)));
  }
  // --backend wasm: TensorFlow.js's worker pool (auto would take onnxruntime-node where it is installed).
  const wasm = ['--backend', 'wasm'];
  const r = await cli(['fid', 'many-real', 'many-fake', '--json', '--no-cache', ...W(), ...wasm]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { fid: number; real: { count: number } };
  assert.equal(j.real.count, 70);
  const ref = many.dims['64'].fid;
  assert.ok(relErr(j.fid, ref) <= 1e-4, `${j.fid} vs pytorch-fid ${ref}`);
  assert.doesNotMatch(r.err, /rank-deficient/);
  // The failure on worker threads, on a side of FID_BATCH + 1 files (two batches: two threads, as above),
  // the broken image last; the side computed first, so no other side's 70 images are computed before it.
  mkdirSync(path.join(dir, 'many-broken'));
  for (const f of many.fake.slice(0, FID_BATCH))
    copyFileSync(fixture(`fixtures/${f}`), path.join(dir, 'many-broken', path.basename(f)));
  writeFileSync(path.join(dir, 'many-broken', 'zz-broken.png'), 'not a png');
  await oneLineExit2(
    ['fid', 'many-broken', 'many-fake', '--no-cache', ...W(), ...wasm],
    /zz-broken\.png: cannot decode image/,
  );
});
