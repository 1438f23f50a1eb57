import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../errors.js';
import { CACHE_FILE, ReviewCache } from '../../io/review/cache.js';
import { checkpointName, scanExperiment, type Experiment } from '../../io/review/experiment.js';
import { BadLog, IncompleteLog, readLossLog, type TrainingLog } from '../../io/review/log.js';
import type { ReviewView } from '../../io/report/review.js';
import { locateWeights } from '../../io/weights/locate.js';
import { writeAllOrNothing } from '../../io/write.js';
import { isLoss, lossRequires, LOSS_NAMES } from '../../losses/registry.js';
import type { PairRecord, WorkerInit } from '../../model.js';
import { better } from '../gates.js';
import { checkLossOptions, type RunSettings } from '../options.js';
import { downloadProgress, type Progress } from '../progress.js';
import { bestEpochs, epochSeries } from '../records.js';
import { computePairs } from './review-pairs.js';
import { TEST_TOLERANCE, testComparison, type TestComparison } from './review-tests.js';
import { setLine, type SetOptions } from '../fid/sets.js';
import type { ReviewSets } from './review-sets.js';

/** `nectar-loss review`'s options. */
export interface ReviewOptions {
  run: RunSettings;
  losses: string[];
  json: boolean;
  jobs: number;
  /** --no-cache: review-cache.json is not read (all computed) and the feature cache is not used. */
  cache?: boolean;
  /** `--loss` named fid and/or kid: those distances between sets (review-sets.ts); losses holds the rest. */
  sets?: SetOptions;
}

/** One build of the review: what --json prints (and the report shows). */
export interface ReviewResult {
  experiment: string;
  report: string;
  training: Record<string, TrainingJson>;
  log: LogJson | null;
  configs: { file: string; startEpoch: number; batchSize: number; changes: number }[];
  checkpoints: number[];
  best: Record<string, { epoch: number; value: number; checkpoint: string }>;
  tests: Record<string, { pairs: Omit<TestComparison, 'real' | 'fake'>[] }>;
  computed: number;
  reused: number;
  /** The input files whose bytes this build read (relative to the experiment folder). */
  read: string[];
  /** --watch: loss_log.json was half-written at this build (another follows). */
  logIncomplete?: string;
  /** `--loss fid,kid`: FID and KID per test run and per example epoch. */
  sets?: ReviewSets;
}

export interface TrainingJson {
  group: string;
  epochs: number[];
  mean: number[];
  min: number[];
  max: number[];
  weight: (number | null)[];
  iterations: number[];
}

export interface LogJson {
  file: string;
  datasetLength: number;
  batchSize: number;
  iterationsPerEpoch: number;
  firstEpoch: number;
  /** Why the log could not be read this time (watch: a half-written log keeps the last one read). */
  stale?: string;
}

/** The test runs' settings: NectarGAN's Tester computes L1, SOBEL, LAPLACIAN on [-1, 1] tensors. */
export const TEST_LOSSES = ['l1', 'sobel', 'laplacian'];

let packageVersion: string | undefined;
function version(): string {
  packageVersion ??= (
    JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    }
  ).version;
  return packageVersion;
}

export function validateReview(opt: ReviewOptions): void {
  for (const l of opt.losses)
    if (!isLoss(l)) throw new UserError(`unknown loss '${l}' (choose from ${LOSS_NAMES.join(', ')})`);
  if (!opt.losses.length && !opt.sets) throw new UserError('--loss: name at least one loss');
  checkLossOptions(opt.losses, opt.run);
}

/** --out may not be inside the experiment (its files would be read, and watched, as the experiment's). */
export function checkOut(dir: string, out: string): void {
  const rel = path.relative(path.resolve(dir), path.resolve(out));
  if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel)))
    throw new UserError(`--out ${out} is inside the experiment folder ${dir}: choose a folder outside it`);
}

/** The last loss log read, kept by --watch while the file is being rewritten. */
export interface ReviewState {
  log?: { log: TrainingLog; batchSize: number };
  /** Set when the log was half-written at the last try (watch: try again soon). */
  incomplete?: string;
}

/**
 * Reads the loss log (streaming) with the batch size and first epoch of the latest train config, the one
 * whose training wrote it (NectarGAN overwrites the log on a continued train). A half-written log is retried
 * for up to `patience` ms, then the last log read is kept (watch) or it is an error (a single run).
 */
async function readTraining(
  exp: Experiment,
  state: ReviewState,
  patience: number,
  watching: boolean,
): Promise<LogJson | null> {
  state.incomplete = undefined;
  if (!exp.log) return null;
  const last = exp.configs.at(-1);
  const batchSize = last?.batchSize ?? 1,
    first = last?.startEpoch ?? 1;
  for (const end = Date.now() + patience; ; await new Promise((r) => setTimeout(r, 250))) {
    try {
      const log = await readLossLog(exp.log, batchSize, first);
      state.log = { log, batchSize };
      return logJson(exp.log, log, batchSize);
    } catch (err) {
      if (err instanceof BadLog) throw new UserError(`${exp.log}: not a NectarGAN loss log: ${err.message}`);
      if (!(err instanceof IncompleteLog)) throw err;
      if (Date.now() < end) continue;
      state.incomplete = err.message;
      if (state.log) return { ...logJson(exp.log, state.log.log, state.log.batchSize), stale: err.message };
      if (!watching) throw new UserError(`${exp.log}: the loss log stayed incomplete (${err.message})`);
      return null;
    }
  }
}

function logJson(file: string, log: TrainingLog, batchSize: number): LogJson {
  const { datasetLength, iterationsPerEpoch, firstEpoch } = log;
  return { file, datasetLength, batchSize, iterationsPerEpoch, firstEpoch };
}

function trainingJson(log: TrainingLog | undefined): Record<string, TrainingJson> {
  return Object.fromEntries(
    (log?.losses ?? []).map((s) => [
      s.name,
      {
        group: s.group,
        epochs: s.epochs,
        mean: s.mean,
        min: s.min,
        max: s.max,
        weight: s.weight,
        iterations: s.iterations,
      },
    ]),
  );
}

/** The workers' settings for the examples (the chosen losses and range; heatmaps) and for the tests. */
function inits(opt: ReviewOptions, weights: WorkerInit['compute']['weights']): [WorkerInit, WorkerInit] {
  const compute = { ...opt.run.compute, weights };
  const draw = opt.run.draw;
  return [
    { losses: opt.losses, compute, ...(draw ? { draw } : {}) },
    {
      losses: ['l1', 'sobel', 'laplacian'],
      compute: { ...compute, range: 'signed', shift: 0, resize: false },
    },
  ];
}

/** Per loss, the best epoch among those with a generator checkpoint, named by the file to load. */
function bestCheckpoints(
  records: PairRecord[],
  opt: ReviewOptions,
  checkpoints: number[],
): { series: ReturnType<typeof epochSeries>; best: ReviewResult['best'] } {
  const saved = new Set(checkpoints);
  const series = epochSeries(records, opt.losses);
  const best = bestEpochs(series.map((s) => ({ ...s, points: s.points.filter((p) => saved.has(p.x)) })));
  const out: ReviewResult['best'] = {};
  for (const [l, b] of Object.entries(best)) if (b) out[l] = { ...b, checkpoint: checkpointName(b.epoch) };
  return { series, best: out };
}

function byRun(exp: Experiment, records: PairRecord[]): { run: string; pairs: TestComparison[] }[] {
  let at = 0;
  return exp.tests.map((t) => ({
    run: t.run,
    pairs: testComparison(t, records.slice(at, (at += t.pairs.length))),
  }));
}

function configsJson(exp: Experiment): ReviewResult['configs'] {
  return exp.configs.map((c) => ({
    file: c.file,
    startEpoch: c.startEpoch,
    batchSize: c.batchSize,
    changes: c.changes.length,
  }));
}

/** One build: the experiment read, its pairs computed or reused, the JSON object and the report's files. */
export async function buildReview(
  dir: string,
  opt: ReviewOptions,
  state: ReviewState,
  progress: Progress,
  watching: boolean,
): Promise<{ result: ReviewResult; view: ReviewView; records: PairRecord[] }> {
  // A single run waits up to 5 s for a log being rewritten; --watch rebuilds soon instead.
  const patience = watching ? 0 : 5000;
  const exp = await scanExperiment(dir);
  const log = await readTraining(exp, state, patience, watching);
  const weights = await locateWeights(opt.losses.map(lossRequires), {
    ...opt.run.weights,
    onProgress: downloadProgress(progress),
  });
  const cache = opt.cache === false ? ReviewCache.empty() : await ReviewCache.open(opt.run.out);
  const counts = { computed: 0, reused: 0 };
  const [exInit, testInit] = inits(opt, weights);
  const ctx = { run: opt.run, jobs: opt.jobs, version: version() };
  const maps = path.join(opt.run.out, 'maps');
  progress.step(`${exp.examples.length} example pairs`);
  const records = await computePairs({ pairs: exp.examples, init: exInit, maps }, cache, ctx, counts);
  // All test runs' pairs in one pool run (one start-up), then split by run.
  const testPairs = exp.tests.flatMap((t) => t.pairs);
  const testRecords = await computePairs({ pairs: testPairs, init: testInit, maps }, cache, ctx, counts);
  const tests = byRun(exp, testRecords);
  const sets = await setsOf(exp, opt, log ? state.log?.log : undefined, progress);
  const { series, best } = bestCheckpoints(records, opt, exp.checkpoints);
  const result: ReviewResult = {
    experiment: dir,
    report: path.join(opt.run.out, 'index.html'),
    training: trainingJson(log ? state.log?.log : undefined),
    log,
    configs: configsJson(exp),
    checkpoints: exp.checkpoints,
    best,
    tests: Object.fromEntries(
      tests.map((t) => [t.run, { pairs: t.pairs.map(({ real: _r, fake: _f, ...p }) => p) }]),
    ),
    ...counts,
    read: cache.read.map((f) => path.relative(path.resolve(dir), f).split(path.sep).join('/')),
    ...(state.incomplete ? { logIncomplete: state.incomplete } : {}),
    ...sets,
  };
  const view: ReviewView = {
    ...(log && state.log ? { log: state.log.log } : {}),
    ...(state.incomplete ? { stale: state.incomplete } : {}),
    configs: exp.configs,
    checkpoints: exp.checkpoints,
    best,
    tests,
    tolerance: TEST_TOLERANCE,
    series,
    cache: cache.bytes(),
    ...sets,
  };
  return { result, view, records };
}

async function setsOf(
  exp: Experiment,
  opt: ReviewOptions,
  log: TrainingLog | undefined,
  progress: Progress,
): Promise<{ sets?: ReviewSets }> {
  if (!opt.sets) return {};
  const { reviewSets } = await import('./review-sets.js');
  return { sets: await reviewSets(exp, { ...opt.sets, threads: opt.jobs }, log, progress) };
}

/** The ringed point of a loss's epoch chart: its best checkpointed epoch, when it has one. */
function bestPoint(best: ReviewResult['best'], loss: string): { best?: { x: number; y: number } } {
  const b = Object.hasOwn(best, loss) ? best[loss] : undefined;
  return b ? { best: { x: b.epoch, y: b.value } } : {};
}

/** Writes the report (`<out>/index.html`, its images folder) and the cache, all or nothing. */
export async function writeReview(
  result: ReviewResult,
  view: ReviewView,
  records: PairRecord[],
  opt: ReviewOptions,
  live?: string,
): Promise<void> {
  const { reportFiles } = await import('../../io/report/html.js');
  const c = result;
  const line =
    `${records.length} example pairs, ` +
    `${Object.values(c.tests).reduce((n, t) => n + t.pairs.length, 0)} test ` +
    `pairs (${c.computed} computed, ${c.reused} reused); ${Object.keys(c.training).length} logged losses; ` +
    `${c.checkpoints.length} checkpoints`;
  const files = await reportFiles(result.report, records, {
    title: `nectar-loss review: ${path.basename(path.resolve(result.experiment))}`,
    line,
    losses: opt.losses.map((name) => ({ name, better: better(name) })),
    gates: [],
    ...(view.series.some((s) => s.points.length)
      ? {
          epochs: view.series.map((s) => ({
            ...s,
            ...bestPoint(c.best, s.name),
          })),
        }
      : {}),
    review: { ...view, ...(live ? { live } : {}) },
  });
  files.push({ name: CACHE_FILE, bytes: view.cache });
  writeAllOrNothing(opt.run.out, files, `--out ${opt.run.out}`);
}

/** `nectar-loss review <dir>` once: build, write, print. Returns the exit code. */
export async function review(
  dir: string,
  opt: ReviewOptions,
  progress: Progress,
  out: (s: string) => void,
): Promise<number> {
  validateReview(opt);
  const { result, view, records } = await buildReview(dir, opt, {}, progress, false);
  await writeReview(result, view, records, opt);
  progress.stop();
  out(opt.json ? JSON.stringify(result) + '\n' : summaryText(result));
  return records.some((r) => r.status === 'error') ? 2 : 0;
}

/** The human-readable account of a build. */
export function summaryText(r: ReviewResult): string {
  const lines = [`report: ${r.report}`];
  if (r.log)
    lines.push(
      `log: ${Object.keys(r.training).length} losses, epochs from ${r.log.firstEpoch}, ` +
        `${r.log.iterationsPerEpoch} iterations per epoch ` +
        `(dataset ${r.log.datasetLength}, batch ${r.log.batchSize})`,
    );
  else if (r.logIncomplete) lines.push(`log: being written (${r.logIncomplete}), read again shortly`);
  else lines.push('log: none (training ran without -log)');
  for (const [l, b] of Object.entries(r.best))
    lines.push(`best ${l}: epoch ${b.epoch} (${b.value}), load ${b.checkpoint}`);
  for (const [run, t] of Object.entries(r.tests))
    lines.push(
      `${run}: ${t.pairs.length} pairs, ${t.pairs.filter((p) => p.disagree).length} disagree with NectarGAN`,
    );
  lines.push(...setLines(r.sets));
  lines.push(`${r.computed} pairs computed, ${r.reused} reused`);
  return lines.join('\n') + '\n';
}

/** The text lines of `--loss fid,kid`: one per test run and epoch, NectarGAN's values beside. */
function setLines(s: ReviewSets | undefined): string[] {
  if (!s) return [];
  const beside = (n: Record<string, number> | null) =>
    n
      ? `; NectarGAN: ${Object.entries(n)
          .map(([k, v]) => `${k} ${Number(v.toPrecision(5))}`)
          .join(', ')}`
      : '';
  return [
    ...Object.entries(s.tests).map(([run, r]) => `${run}: ${setLine(r)}${beside(r.nectargan)}`),
    ...Object.entries(s.epochs).map(([e, r]) => `epoch ${e}: ${setLine(r)}${beside(r.nectargan)}`),
    `Inception features: ${s.features.computed} computed, ${s.features.reused} from the cache`,
  ];
}
