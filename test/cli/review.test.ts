import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIN, fixture } from '../helpers.js';

/**
 * `nectar-loss review` on the committed experiment (fixtures/make_review_fixture.py: written by NectarGAN's
 * own LossManager, ConfigManager and Tester), checked against numpy's statistics of its log
 * (fixtures/reference/review_reference.json) and NectarGAN's own test log.
 */
const EXPERIMENT = fixture('fixtures/review/facades_v1');
const REF = JSON.parse(readFileSync(fixture('fixtures/reference/review_reference.json'), 'utf8')) as {
  iterationsPerEpoch: number;
  firstEpoch: number;
  training: Record<
    string,
    { epochs: number[]; mean: number[]; min: number[]; max: number[]; weight: number[] }
  >;
};

interface Review {
  training: Record<
    string,
    { epochs: number[]; mean: number[]; min: number[]; max: number[]; weight: number[] }
  >;
  log: { iterationsPerEpoch: number; firstEpoch: number; batchSize: number; datasetLength: number } | null;
  best: Record<string, { epoch: number; value: number; checkpoint: string }>;
  tests: Record<
    string,
    {
      pairs: {
        name: string;
        ours: Record<string, number>;
        nectargan: Record<string, number>;
        disagree: boolean;
      }[];
    }
  >;
  checkpoints: number[];
  computed: number;
  reused: number;
  read: string[];
}

function run(args: string[], cwd = tmpdir()) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
}

function review(dir: string, out: string, ...more: string[]): Review {
  const r = run(['review', dir, '--out', out, '--json', ...more]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Review;
}

const tmp = (name: string) => mkdtempSync(path.join(tmpdir(), `nl-review-${name}-`));

/** A copy of the fixture experiment to change. */
function copyExperiment(): string {
  const dir = path.join(tmp('exp'), 'facades_v1');
  cpSync(EXPERIMENT, dir, { recursive: true });
  return dir;
}

test('review --json: each logged loss: per-epoch mean, min, max, weight equal numpy over the log', () => {
  const r = review(EXPERIMENT, tmp('out'));
  assert.deepEqual(Object.keys(r.training).sort(), Object.keys(REF.training).sort());
  assert.equal(r.log!.iterationsPerEpoch, REF.iterationsPerEpoch, 'ceil(dataset_length / batch size)');
  assert.equal(r.log!.firstEpoch, REF.firstEpoch, 'the continued train: load_epoch + 1');
  assert.deepEqual([r.log!.datasetLength, r.log!.batchSize], [10, 3]);
  for (const [name, ref] of Object.entries(REF.training)) {
    const t = r.training[name]!;
    assert.deepEqual(t.epochs, ref.epochs, `${name} epochs`);
    for (const k of ['mean', 'weight'] as const)
      t[k].forEach((v, i) =>
        assert.ok(
          Math.abs(v - ref[k][i]!) <= 1e-12 * Math.max(1, Math.abs(ref[k][i]!)),
          `${name} ${k}[${i}]: ${v} vs numpy ${ref[k][i]}`,
        ),
      );
    assert.deepEqual([t.min, t.max], [ref.min, ref.max], `${name} min, max`);
  }
});

test('review: the best epoch per loss is among the checkpointed epochs, named by its file', () => {
  const r = review(EXPERIMENT, tmp('out'));
  assert.deepEqual(r.checkpoints, [2, 4, 6, 8]);
  // Independent of review's code: batch's per-pair values on the examples, averaged per epoch here.
  const b = run([
    'batch',
    path.join(EXPERIMENT, 'examples'),
    '--loss',
    'sobel,laplacian,l1,ssim',
    '--range',
    'signed',
    '--no-maps',
    '--json',
  ]);
  const rows = b.stdout
    .trim()
    .split('\n')
    .map(
      (l) =>
        JSON.parse(l) as {
          epoch?: number;
          losses: Record<string, number>;
          summary?: boolean;
          best?: Record<string, { epoch: number }>;
        },
    );
  const summary = rows.pop()!;
  for (const loss of ['sobel', 'laplacian', 'l1', 'ssim']) {
    const byEpoch = new Map<number, number[]>();
    for (const row of rows) byEpoch.set(row.epoch!, [...(byEpoch.get(row.epoch!) ?? []), row.losses[loss]!]);
    const mean = (e: number) => byEpoch.get(e)!.reduce((a, v) => a + v, 0) / byEpoch.get(e)!.length;
    const sign = loss === 'ssim' ? -1 : 1;
    const want = [2, 4, 6, 8].reduce((m, e) => (sign * mean(e) < sign * mean(m) ? e : m));
    assert.equal(r.best[loss]!.epoch, want, loss);
    assert.equal(r.best[loss]!.checkpoint, `epoch${want}_netG.pth.tar`);
  }
  // Sobel's best epoch overall (batch) has no checkpoint: the review names the best one that does.
  assert.equal(summary.best!.sobel!.epoch, 7);
  assert.notEqual(r.best.sobel!.epoch, 7);
});

test("review: each test pair's values beside NectarGAN's, flagged only beyond the 8-bit rounding", () => {
  const log = JSON.parse(readFileSync(path.join(EXPERIMENT, 'test/test_01/log.json'), 'utf8')) as {
    test: { results: { iteration: number; losses: Record<string, number> }[] };
  };
  const r = review(EXPERIMENT, tmp('out'));
  const pairs = r.tests.test_01!.pairs;
  assert.deepEqual(
    pairs.map((p) => p.name),
    ['1_B', '2_B', '3_B', '4_B'],
  );
  for (const e of log.test.results) {
    const p = pairs.find((x) => x.name === `${e.iteration}_B`)!;
    assert.deepEqual(p.nectargan, e.losses, 'NectarGAN values as logged');
    for (const k of ['L1', 'SOBEL', 'LAPLACIAN'])
      assert.ok(
        Math.abs(p.ours[k]! - e.losses[k]!) < 2e-3,
        `${p.name} ${k}: ours ${p.ours[k]} vs ${e.losses[k]}`,
      );
    assert.equal(p.disagree, false);
  }
  // A fake that is not the one NectarGAN tested: our values move far beyond the rounding, and are flagged.
  const dir = copyExperiment();
  copyFileSync(path.join(dir, 'test/test_01/3_B_fake.png'), path.join(dir, 'test/test_01/2_B_fake.png'));
  const flagged = review(dir, tmp('out')).tests.test_01!.pairs;
  assert.deepEqual(
    flagged.map((p) => p.disagree),
    [false, true, false, false],
  );
});

test('review: a rerun computes only a new epoch; another --range recomputes every example', () => {
  const dir = copyExperiment();
  const later = tmp('later');
  const epoch8 = readdirSync(path.join(dir, 'examples')).filter((f) => f.startsWith('epoch8_'));
  for (const f of epoch8) cpSync(path.join(dir, 'examples', f), path.join(later, f));
  for (const f of epoch8) rmSync(path.join(dir, 'examples', f));
  const out = tmp('out');
  const first = review(dir, out);
  assert.deepEqual([first.computed, first.reused], [14 + 4, 0]);
  for (const f of epoch8) cpSync(path.join(later, f), path.join(dir, 'examples', f));
  const second = review(dir, out);
  assert.deepEqual([second.computed, second.reused], [2, 18], 'two new example pairs');
  assert.deepEqual(
    second.read.sort(),
    ['epoch8_1_B_fake.png', 'epoch8_1_B_real.png', 'epoch8_2_B_fake.png', 'epoch8_2_B_real.png'].map(
      (f) => `examples/${f}`,
    ),
    'only the new files were read',
  );
  const unit = review(dir, out, '--range', 'unit');
  assert.deepEqual(
    [unit.computed, unit.reused, unit.read.length],
    [16, 4, 0],
    'every example again; tests stay signed',
  );
  const same = review(dir, out, '--range', 'unit');
  assert.deepEqual([same.computed, same.reused], [0, 20]);
});

test('review: a changed image is read again and only its pair recomputed', () => {
  const dir = copyExperiment();
  const out = tmp('out');
  review(dir, out);
  copyFileSync(
    path.join(dir, 'examples/epoch3_1_B_real.png'),
    path.join(dir, 'examples/epoch3_1_B_fake.png'),
  );
  const r = review(dir, out);
  assert.deepEqual([r.computed, r.reused, r.read], [1, 19, ['examples/epoch3_1_B_fake.png']]);
});

test('review: no loss_log.json (training without -log) is no error; batch on the folder still works', () => {
  const dir = copyExperiment();
  rmSync(path.join(dir, 'loss_log.json'));
  const r = review(dir, tmp('out'));
  assert.deepEqual([r.training, r.log], [{}, null]);
  const b = run(['batch', dir, '--no-maps', '--json']);
  assert.equal(b.status, 0, b.stderr);
  assert.equal((JSON.parse(b.stdout.trim().split('\n').pop()!) as { pairs: number }).pairs, 20);
});

test('review: usage errors exit 2 with one line and nothing on stdout', () => {
  for (const args of [
    ['review', path.join(tmpdir(), 'no-such-experiment'), '--out', tmp('out')],
    ['review', EXPERIMENT, '--loss', 'nope', '--out', tmp('out')],
    ['review', EXPERIMENT, '--out', path.join(EXPERIMENT, 'inside')],
  ]) {
    const r = run(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('review reads the project config: its loss is what the examples are measured with; --loss and --no-config override it', () => {
  const project = tmp('project');
  writeFileSync(path.join(project, 'nectar-loss.config.json'), '{ "loss": "l1" }\n');
  const reviewIn = (...more: string[]) => {
    const r = run(['review', EXPERIMENT, '--out', path.join(tmp('out'), 'r'), '--json', ...more], project);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as Review;
  };
  const configured = reviewIn();
  assert.deepEqual(Object.keys(configured.best), ['l1'], "the config's loss only");
  const all = reviewIn('--no-config');
  assert.deepEqual(Object.keys(all.best), ['sobel', 'laplacian', 'l1', 'ssim'], "review's default losses");
  assert.deepEqual(configured.best.l1, all.best.l1, 'the same l1 either way');
  assert.deepEqual(Object.keys(reviewIn('--loss', 'sobel').best), ['sobel'], 'the flag wins over the config');
});
