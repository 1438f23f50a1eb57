import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FID_REF } from '../losses/fid-ref.js';
import { writeSeededInception } from '../losses/seeded-inception.js';
import { BIN, fixture, relErr } from '../helpers.js';

/**
 * `batch --loss fid,kid` and `review --loss fid,kid` on the seeded FID Inception weights (test/losses/seeded-inception.ts), --fid-dims 64:
 * two folders and an experiment laid out from the images whose pytorch-fid features
 * fixtures/make_fid_fixtures.py committed (its FID and KID the reference's), and the committed NectarGAN
 * example experiment (its logs' values).
 */
let dir = '';
let weights = '';
const MIXED = FID_REF.cases.mixed;

interface SetRow {
  real: { count: number };
  fake: { count: number };
  fid?: { value: number; dims: number; interval?: [number, number]; rankDeficient: boolean };
  kid?: { value: number; std: number; subsets: number; subsetSize: number };
  nectargan: Record<string, number> | null;
}
interface Sets {
  tests: Record<string, SetRow>;
  epochs: Record<string, SetRow>;
  features: { computed: number; reused: number; cache: string | null };
}

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'review-fid-'));
  weights = path.join(dir, 'inception.safetensors');
  writeSeededInception(weights);
  // NectarGAN's layout: test/test_01/<i>_B_real|fake.<ext> and examples/epoch1_<i>_B_real|fake.<ext>.
  const run = path.join(dir, 'exp/test/test_01');
  const ex = path.join(dir, 'exp/examples');
  mkdirSync(run, { recursive: true });
  mkdirSync(ex, { recursive: true });
  MIXED.real.forEach((r, i) => {
    const ext = path.extname(r);
    for (const [side, f] of [
      ['real', r],
      ['fake', MIXED.fake[i]],
    ]) {
      copyFileSync(fixture(`fixtures/${f}`), path.join(run, `${i + 1}_B_${side}${ext}`));
      copyFileSync(fixture(`fixtures/${f}`), path.join(ex, `epoch1_${i + 1}_B_${side}${ext}`));
    }
  });
  for (const side of ['real', 'fake'] as const) {
    mkdirSync(path.join(dir, side));
    MIXED[side].forEach((f, i) =>
      copyFileSync(fixture(`fixtures/${f}`), path.join(dir, side, `${i}${path.extname(f)}`)),
    );
  }
  const results = [1, 2].map((iteration) => ({
    iteration,
    losses: { L1: iteration / 10, SOBEL: iteration, LAPLACIAN: 0.5 },
  }));
  writeFileSync(path.join(run, 'log.json'), JSON.stringify({ experiment: {}, test: { results } }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const ENV = () => ({ ...process.env, XDG_CACHE_HOME: path.join(dir, 'cache'), NECTAR_LOSS_CACHE_DIR: '' });

function batch(...more: string[]) {
  const args = [
    'batch',
    'real',
    'fake',
    '--loss',
    'l1,fid,kid',
    '--inception-weights',
    weights,
    '--fid-dims',
    '64',
  ];
  return spawnSync(process.execPath, [BIN, ...args, '--no-maps', ...more], {
    cwd: dir,
    encoding: 'utf8',
    env: ENV(),
  });
}

test('batch --loss fid,kid: the folders as sets, a record before the summary and a line after the table', () => {
  const r = batch('--json');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 7 + 2, 'seven pairs, the sets record, the summary');
  const [sets, summary] = lines.slice(-2) as [
    SetRow & { sets: true; features: Sets['features'] },
    { losses: string[] },
  ];
  assert.equal(sets.sets, true);
  assert.deepEqual(summary.losses, ['l1'], 'the per-pair losses');
  const ref = MIXED.dims['64'];
  assert.ok(relErr(sets.fid!.value, ref.fid) <= 1e-4, `FID ${sets.fid!.value} vs pytorch-fid ${ref.fid}`);
  assert.ok(relErr(sets.kid!.value, ref.kidFull.kid) <= 1e-4, `KID ${sets.kid!.value} vs ${ref.kidFull.kid}`);
  assert.equal(sets.fid!.interval, undefined, "batch's --bootstrap is 0 unless given");
  assert.deepEqual([sets.features.computed, sets.features.reused], [14, 0]);
  const text = batch('--bootstrap', '10');
  assert.equal(text.status, 0, text.stderr);
  assert.match(
    text.stdout,
    /^sets \(all real vs all fake images\): FID 0\.118\d \[[\d.]+, [\d.]+\] \(dims 64, rank-deficient: 65 images needed\) {2}KID -?[\d.e-]+ ± /m,
  );
  const again = JSON.parse(batch('--json').stdout.trim().split('\n').at(-2)!) as {
    features: Sets['features'];
  };
  assert.deepEqual(
    [again.features.computed, again.features.reused],
    [0, 14],
    'the second run reads the cache',
  );
  const shard = batch('--shard', '1/2');
  assert.equal(shard.status, 2);
  assert.equal(shard.stdout, '');
  assert.match(shard.stderr, /^nectar-loss: --shard with --loss fid\/kid: .*\n$/);
});

test('a config whose loss names fid and kid: batch compares the folders as sets; calibrate and the library refuse in one line', () => {
  const cfgDir = path.join(dir, 'cfg');
  mkdirSync(cfgDir, { recursive: true });
  const config = { loss: ['l1', 'fid', 'kid'] };
  writeFileSync(path.join(cfgDir, 'nectar-loss.config.json'), JSON.stringify(config));
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], { cwd: cfgDir, encoding: 'utf8', env: ENV() });
  const fidFlags = ['--inception-weights', weights, '--fid-dims', '64'];
  const r = run('batch', '../real', '../fake', '--no-maps', '--json', ...fidFlags);
  assert.equal(r.status, 0, r.stderr);
  const sets = JSON.parse(r.stdout.trim().split('\n').at(-2)!) as SetRow & { sets: true };
  assert.equal(sets.sets, true);
  assert.ok(relErr(sets.fid!.value, MIXED.dims['64'].fid) <= 1e-4, `FID ${sets.fid!.value}`);
  const cal = run('calibrate', '../real', '../fake', '--loss', 'fid');
  assert.equal(cal.status, 2);
  assert.equal(cal.stdout, '');
  assert.match(
    cal.stderr,
    /^nectar-loss: calibrate --loss: fid compares two sets of images, not a pair .*\n$/,
  );
});

function review(exp: string, out: string, ...more: string[]) {
  const args = ['review', exp, '--out', out, '--loss', 'l1,fid,kid', '--inception-weights', weights];
  const r = spawnSync(process.execPath, [BIN, ...args, '--fid-dims', '64', '--no-maps', ...more], {
    cwd: dir,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return r;
}

const setsOf = (stdout: string) => (JSON.parse(stdout) as { sets: Sets }).sets;

test('review --loss fid,kid: per test run and epoch, pytorch-fid FID and numpy KID; a second run computes no feature', () => {
  const out = path.join(dir, 'out');
  const s = setsOf(review('exp', out, '--json', '--bootstrap', '20').stdout);
  const ref = MIXED.dims['64'];
  for (const row of [s.tests.test_01, s.epochs['1']]) {
    assert.deepEqual([row.real.count, row.fake.count], [7, 7]);
    assert.ok(relErr(row.fid!.value, ref.fid) <= 1e-4, `FID ${row.fid!.value} vs pytorch-fid ${ref.fid}`);
    assert.equal(row.fid!.rankDeficient, true, '7 images for 64 dimensions');
    const [lo, hi] = row.fid!.interval!;
    assert.ok(Number.isFinite(lo) && lo <= hi, `interval ${lo}, ${hi}`);
    // One subset of all 7 images (the default 1000 capped): the full-set unbiased MMD^2 of numpy.
    assert.equal(row.kid!.subsetSize, 7);
    assert.ok(relErr(row.kid!.value, ref.kidFull.kid) <= 1e-4, `KID ${row.kid!.value} vs ${ref.kidFull.kid}`);
  }
  // NectarGAN's values beside: the means of its Tester's log (by hand: L1 (0.1 + 0.2) / 2 = 0.15).
  assert.deepEqual(s.tests.test_01.nectargan, { L1: 0.15000000000000002, SOBEL: 1.5, LAPLACIAN: 0.5 });
  assert.equal(s.epochs['1'].nectargan, null, 'no loss_log.json');
  assert.deepEqual([s.features.computed, s.features.reused], [28, 0]);
  // The feature cache lives beside review-cache.json.
  assert.equal(s.features.cache, path.join(out, 'features'));
  assert.equal(readdirSync(path.join(out, 'features')).filter((f) => f.endsWith('.npy')).length, 14);
  const html = readFileSync(path.join(out, 'index.html'), 'utf8');
  assert.match(html, /<h2>FID and KID<\/h2>/);
  assert.match(html, /data-set-test="test_01"><td>test_01<\/td><td>7 \/ 7<\/td><td>0\.118/);
  assert.match(html, /data-set-epoch="1"><td>epoch 1<\/td>/);

  const again = setsOf(review('exp', out, '--json', '--bootstrap', '20').stdout);
  assert.deepEqual([again.features.computed, again.features.reused], [0, 28]);
  assert.equal(again.tests.test_01.fid!.value, s.tests.test_01.fid!.value);
  assert.deepEqual(again.tests.test_01.fid!.interval, s.tests.test_01.fid!.interval, 'seeded bootstrap');

  const noCache = setsOf(review('exp', out, '--json', '--no-cache', '--bootstrap', '0').stdout);
  assert.deepEqual(
    [noCache.features.computed, noCache.features.reused, noCache.features.cache],
    [28, 0, null],
  );
  assert.equal(noCache.tests.test_01.fid!.interval, undefined, '--bootstrap 0: no interval');
});

test('review --loss fid,kid on the committed NectarGAN experiment: every test run and example epoch, its logs beside', () => {
  const exp = fixture('fixtures/review/facades_v1');
  const r = review(exp, path.join(dir, 'out-facades'), '--bootstrap', '5');
  // The text output: one line per test run and per epoch.
  assert.match(
    r.stdout,
    /^test_01: FID \d+\.\d{4} \[\d+\.\d{4}, \d+\.\d{4}\] \(dims 64, rank-deficient.*KID .* ± /m,
  );
  const epochs = [...r.stdout.matchAll(/^epoch (\d+): FID /gm)].map((m) => Number(m[1]));
  assert.deepEqual(epochs, [1, 2, 3, 4, 5, 6, 7, 8]);
  // NectarGAN's Tester log: the mean of its logged L1 over the run's pairs, read here from the file.
  const log = JSON.parse(readFileSync(path.join(exp, 'test/test_01/log.json'), 'utf8')) as {
    test: { results: { losses: { L1: number } }[] };
  };
  const l1 = log.test.results.reduce((a, e) => a + e.losses.L1, 0) / log.test.results.length;
  const shown = /^test_01: .*NectarGAN: L1 ([\d.]+)/m.exec(r.stdout);
  assert.ok(shown, r.stdout);
  assert.equal(Number(shown[1]), Number(l1.toPrecision(5)));
  // Epochs 5..8 are in loss_log.json: their training means are shown beside.
  assert.match(r.stdout, /^epoch 5: .*NectarGAN: G_GAN /m);
  assert.doesNotMatch(r.stdout, /^epoch 1: .*NectarGAN/m);
  assert.match(r.stdout, /^Inception features: 40 computed, 0 from the cache$/m);
});
