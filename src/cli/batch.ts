import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { runPool, type JobResult } from '../engine/pool.js';
import { cliText, UserError } from '../errors.js';
import { pairFolders, pairNectarGAN } from '../io/pairs.js';
import { junitXml, worstFirst } from '../io/report/junit.js';
import { locateWeights } from '../io/weights/locate.js';
import { checkCreatable, copyAtomic, removeAllOrNothing, writeAllOrNothing } from '../io/write.js';
import { isLoss, lossRequires, lossTraits, LOSS_NAMES } from '../losses/registry.js';
import type { Job, PairRecord, Pairing, ReportRun, WorkerInit } from '../model.js';
import { checkLossOptions, type RunSettings } from './options.js';
import { formatFloat32, toJson } from './format.js';
import { better, checkGates, type Gate } from './gates.js';
import { downloadProgress, type Progress } from './progress.js';
import type { Series } from '../io/plot.js';
import { changeText } from '../io/change.js';
import { bestEpochs, epochSeries, jobRecord, summarise, unpairedRecord } from './records.js';
import { variantChooser, variantJobs } from './variants.js';
import { annotateHistory, keepRun, type HistoryOptions } from './history.js';
import { setLine, type SetDistances, type SetOptions } from './fid/sets.js';

/** The batch command's options beyond the per-pair settings. */
export interface BatchOptions {
  run: RunSettings;
  losses: string[];
  /** --max and --min */
  gates: Gate[];
  /** The config's per-path overrides: a pair's gates by its relative path (absent: `gates` for every pair). */
  gatesFor?: (name: string) => Gate[];
  json: boolean;
  jobs: number;
  junit?: string;
  report?: string;
  plot?: string;
  /** A mask per pair, at the real image's relative path in this folder. */
  masks?: string;
  /** --update: which baselines to write from the current images (or remove: obsolete). */
  update?: 'new' | 'changed' | 'obsolete' | 'all';
  /** --shard i/n (1-based). */
  shard?: { index: number; total: number };
  /** --results FILE: the NDJSON also to this file, for `merge`. */
  results?: string;
  /** --history DIR (--history-size, --quarantine): keep the run's results there, give pairs their history. */
  history?: HistoryOptions;
  /** --strict: a flaky pair (--quarantine) fails the run. */
  strict?: boolean;
  /** --fail-on-update: write the baselines (--update) yet exit 1. */
  failOnUpdate?: boolean;
  /** `--loss` named fid and/or kid: the two folders compared as sets (cli/fid/sets.ts); losses holds the rest. */
  sets?: SetOptions;
}

/** What the folders hold and what each pair will be: the step before any image is read. */
interface BatchPlan {
  dirs: string[];
  pairing: Pairing;
  jobs: Job[];
}

function inside(child: string, parent: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * `nectar-loss batch`: validate → plan → run → conclude. Streams NDJSON as pairs finish.
 * Returns the exit code: 2 if any pair could not be compared, else 1 if any is over a threshold (or new and
 * not updated), else 0. The main thread loads no loss and no TensorFlow.js: the workers do.
 */
export async function batch(
  dirA: string,
  dirB: string | undefined,
  opt: BatchOptions,
  progress: Progress,
  out: (s: string) => void,
): Promise<number> {
  validate(opt, dirB);
  const plan = await planBatch(dirA, dirB, opt);
  const gatesOf = pairGates(plan, opt);
  // Before any pair is printed: an image FID cannot read stops the run with one line and no output.
  const sets = opt.sets ? await batchSets(plan, { ...opt.sets, threads: opt.jobs }, progress) : undefined;
  const weights = await locateWeights(opt.losses.map(lossRequires), {
    ...opt.run.weights,
    onProgress: downloadProgress(progress),
  });
  const started = performance.now();
  const records: PairRecord[] = [];
  const emit = (r: PairRecord) => {
    if (opt.update) updateBaseline(r, opt.update, dirA);
    records.push(r);
    // With --history, the lines wait for the end of the run, where each pair's history is known.
    if (opt.json && !opt.history) out(toJson(r) + '\n');
  };
  const unpaired = plan.pairing.unpaired.map(unpairedRecord);
  if (opt.update === 'obsolete' || opt.update === 'all') removeObsolete(unpaired, opt.update, dirA);
  unpaired.forEach(emit);
  const init: WorkerInit = {
    losses: opt.losses,
    compute: { ...opt.run.compute, weights },
    draw: opt.run.draw,
  };
  const jobs = [...plan.jobs, ...variantJobs(plan.jobs)];
  const choose = variantChooser(jobs, emit);
  // A variant's job is checked against the gates of its pair's own job.
  const backend = await runJobs(jobs, opt.jobs, init, progress, (r) =>
    choose(jobRecord(r, gatesOf.get(r.job.variantOf ?? r.job.id) ?? opt.gates, opt.run.allow), r.job),
  );
  const meta: RunMeta = {
    dirs: plan.dirs,
    losses: opt.losses,
    range: opt.run.compute.range,
    backend,
    seconds: (performance.now() - started) / 1000,
    gates: opt.gates,
    ...(opt.shard ? { shard: `${opt.shard.index}/${opt.shard.total}` } : {}),
    ...(sets ? { sets } : {}),
  };
  return conclude(records, meta, opt, out);
}

/** FID and KID between the paired real and fake images as two sets (variants and unpaired files left out). */
async function batchSets(plan: BatchPlan, o: SetOptions, progress: Progress): Promise<BatchSets> {
  const { setDistances } = await import('./fid/sets.js');
  const pairs = plan.jobs.filter((j) => j.variantOf === undefined).map((j) => j.pair);
  const group = { label: 'sets', real: pairs.map((p) => p.real), fake: pairs.map((p) => p.fake) };
  const r = await setDistances([group], o, progress);
  const none = { real: { count: pairs.length }, fake: { count: pairs.length } };
  return { ...(r.groups[0] ?? { ...none, skipped: 'no pairs' }), features: r.features };
}

/** What a run's summary and reports say besides the records (also read back from results files by merge). */
export interface RunMeta {
  dirs: string[];
  losses: string[];
  range: string;
  backend: string;
  seconds: number;
  gates: Gate[];
  /** `i/n` when this run was one shard. */
  shard?: string;
  /** `--loss fid,kid`: the folders' FID and KID as sets. */
  sets?: BatchSets;
}

/** The `{"sets": true, …}` record of batch --loss fid,kid. */
export type BatchSets = SetDistances & { features: { computed: number; reused: number } };

/** Where the conclusion goes: the flags that batch and merge share. */
export interface ReportOptions {
  json: boolean;
  junit?: string;
  report?: string;
  plot?: string;
  /** batch only: the NDJSON also to this file, with paths relative to it. */
  results?: string;
  /** batch --fail-on-update: a run that wrote a new or changed baseline still exits 1 (at least). */
  failOnUpdate?: boolean;
  /** batch --history: keep the run's results in a folder, give each pair its history (cli/history.ts). */
  history?: HistoryOptions;
  /** batch --strict: a pair quarantined as flaky fails the run (exit 1 at least). */
  strict?: boolean;
}

/** Summarise → reports (JUnit, HTML, plot, results file) → summary object or table. Returns the exit code. */
export async function conclude(
  records: PairRecord[],
  meta: RunMeta,
  opt: ReportOptions,
  out: (s: string) => void,
): Promise<number> {
  const flaky = opt.history ? annotateHistory(records, opt.history, meta.gates, meta.losses) : [];
  const summary = summarise(records, meta.losses);
  if (flaky.length && opt.strict && summary.exit === 0) summary.exit = 1;
  // --fail-on-update: the baselines are written, the run still fails (CI opens a pull request with them).
  if (
    opt.failOnUpdate &&
    summary.exit === 0 &&
    records.some((r) => r.updated === 'new' || r.updated === 'changed')
  )
    summary.exit = 1;
  const c = summary.counts;
  const extra =
    (['new', 'obsolete', 'updated'] as const)
      .filter((k) => c[k])
      .map((k) => `, ${c[k]} ${k}`)
      .join('') + (flaky.length ? `, ${flaky.length} flaky` : '');
  const line =
    `${c.pairs} pairs: ${c.ok} ok, ${c.over} over a threshold, ${c.error} errors${extra} ` +
    `(${meta.losses.join(', ')}; ${meta.backend}; ${meta.seconds.toFixed(1)} s)`;
  const directions = Object.fromEntries(meta.losses.map((l) => [l, better(l)]));
  const series = epochSeries(records, meta.losses);
  const best = bestEpochs(series);
  const hasEpochs = Object.keys(best).length > 0;
  const summaryObject = {
    summary: true,
    ...c,
    losses: meta.losses,
    better: directions,
    range: meta.range,
    backend: meta.backend,
    seconds: Number(meta.seconds.toFixed(3)),
    ...(flaky.length ? { flaky: flaky.length, quarantined: flaky } : {}),
    worst: summary.worst,
    ...(hasEpochs ? { best } : {}),
    exit: summary.exit,
  };
  await writeReports(
    records,
    meta,
    opt,
    line,
    series.map((s) => {
      const b = best[s.name];
      return { ...s, ...(b ? { best: { x: b.epoch, y: b.value } } : {}) };
    }),
  );
  if (opt.results) writeResults(opt.results, records, meta, summaryObject);
  if (opt.history) keepRun(opt.history, resultsBytes(opt.history.dir, records, meta, summaryObject));
  if (onGitHub()) await toGitHub(records, meta, summary, line, hasEpochs ? best : undefined);
  if (opt.json && opt.history) out(records.map((r) => toJson(r) + '\n').join(''));
  const tail = setsLine(meta) + (hasEpochs ? bestLine(best) : '') + flakyLine(flaky, opt);
  out(opt.json ? setsRecord(meta) + toJson(summaryObject) + '\n' : table(records, meta.losses, line) + tail);
  return summary.exit;
}

/** --loss fid,kid: the folders' FID and KID as sets, after the table. */
const setsLine = (meta: RunMeta) =>
  meta.sets ? `sets (all real vs all fake images): ${setLine(meta.sets)}\n` : '';
const setsRecord = (meta: RunMeta) => (meta.sets ? toJson({ sets: true, ...meta.sets }) + '\n' : '');

/** --quarantine: the flaky pairs, listed apart after the table. */
const flakyLine = (flaky: string[], opt: ReportOptions) =>
  flaky.length
    ? `flaky (verdict flipped at least ${opt.history?.quarantine} times in the last ${opt.history?.size} runs` +
      `${opt.strict ? '; --strict fails the run' : ''}): ${flaky.join(', ')}\n`
    : '';

const bestLine = (best: ReturnType<typeof bestEpochs>) =>
  `best epoch: ${Object.entries(best)
    .map(([l, b]) => (b ? `${l} ${b.epoch} (${formatFloat32(b.value)})` : ''))
    .filter(Boolean)
    .join(', ')}\n`;

/** Whether this run reports to GitHub Actions (cli/github.ts, loaded only then). */
const onGitHub = () => Boolean(process.env.GITHUB_STEP_SUMMARY) || process.env.GITHUB_ACTIONS === 'true';

/** The job summary and annotations (cli/github.ts). */
async function toGitHub(
  records: PairRecord[],
  meta: RunMeta,
  summary: ReturnType<typeof summarise>,
  line: string,
  best: ReturnType<typeof bestEpochs> | undefined,
): Promise<void> {
  const { reportToGitHub } = await import('./github.js');
  reportToGitHub(records, {
    title: `nectar-loss: ${meta.dirs.join(' vs ')}`,
    counts: { ...summary.counts },
    exit: summary.exit,
    line,
    losses: meta.losses.map((name) => ({ name, better: better(name) })),
    gates: meta.gates,
    ...(best ? { best } : {}),
  });
}

/** With per-path overrides, each pair's gates (checked against the losses before any work). */
function pairGates(plan: BatchPlan, opt: BatchOptions): Map<number, Gate[]> {
  const out = new Map<number, Gate[]>();
  if (!opt.gatesFor) return out;
  for (const j of plan.jobs) {
    const gates = opt.gatesFor(j.pair.name);
    checkGates(gates, opt.losses);
    out.set(j.id, gates);
  }
  return out;
}

function validate(opt: BatchOptions, dirB: string | undefined): void {
  for (const l of opt.losses)
    if (!isLoss(l)) throw new UserError(`unknown loss '${l}' (choose from ${LOSS_NAMES.join(', ')})`);
  checkLossOptions(opt.losses, opt.run, opt.masks);
  checkGates(opt.gates, opt.losses);
  if (opt.sets && opt.shard)
    throw new UserError(
      '--shard with --loss fid/kid: a shard holds part of each set; use `nectar-loss fid|kid --shard` and merge',
    );
  if (opt.failOnUpdate && !opt.update)
    throw new UserError('--fail-on-update needs --update new, changed or all (the baselines it writes)');
  if (opt.update && dirB === undefined)
    throw new UserError(
      '--update needs a baseline folder and a current folder: batch <baselineDir> <currentDir> --update …',
    );
  // Folders that cannot be made are refused before any pair is compared.
  if (opt.run.draw) checkCreatable(opt.run.out, `--out ${opt.run.out}`);
  const files = {
    '--junit': opt.junit,
    '--report': opt.report,
    '--plot': opt.plot,
    '--results': opt.results,
    '--history': opt.history && path.join(opt.history.dir, 'run'),
  };
  for (const [flag, file] of Object.entries(files))
    if (file) checkCreatable(path.dirname(file), `${flag} ${file}`);
}

async function planBatch(dirA: string, dirB: string | undefined, opt: BatchOptions): Promise<BatchPlan> {
  const dirs = dirB === undefined ? [dirA] : [dirA, dirB];
  const pairing = shardOf(
    await (dirB === undefined ? pairNectarGAN(dirA) : pairFolders(dirA, dirB)),
    opt.shard,
  );
  for (const d of dirs)
    if (opt.run.draw && inside(opt.run.out, d))
      throw new UserError(`--out ${opt.run.out} is inside the input folder ${d}: choose a folder outside it`);
  if (opt.plot && !pairing.pairs.some((p) => p.epoch !== undefined))
    throw new UserError(`--plot needs NectarGAN trainer outputs (epochE_i_B_real/fake) in ${dirA}`);
  const jobs = pairing.pairs.map((pair, id) => {
    const dir = path.posix.dirname(pair.stem);
    const job: Job = {
      id,
      pair,
      outDir: path.join(opt.run.out, dir === '.' ? '' : dir),
      stem: path.posix.basename(pair.stem),
    };
    if (opt.masks) job.mask = maskOf(opt.masks, dirA, pair.real);
    return job;
  });
  return { dirs, pairing, jobs };
}

/**
 * --shard i/n: the pairs (and unpaired names) sorted by name, every n-th from the i-th. Names are sorted by
 * code unit, so every machine splits alike, whatever its file system's order or locale.
 */
function shardOf(p: Pairing, shard: BatchOptions['shard']): Pairing {
  if (!shard) return p;
  const names = [...p.pairs.map((x) => x.name), ...p.unpaired.map((x) => x.name)].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const mine = new Set(names.filter((_, i) => i % shard.total === shard.index - 1));
  return {
    ...p,
    pairs: p.pairs.filter((x) => mine.has(x.name)),
    unpaired: p.unpaired.filter((x) => mine.has(x.name)),
  };
}

/**
 * --update: `new` writes a new image's baseline, `changed` replaces the baseline of a pair over a threshold,
 * `all` both; each copy byte for byte and atomic. Marks the record `updated`.
 */
function updateBaseline(r: PairRecord, mode: NonNullable<BatchOptions['update']>, baselineDir: string): void {
  const kind = r.status === 'new' ? 'new' : r.status === 'over' ? 'changed' : undefined;
  if (!kind || (mode !== 'all' && mode !== kind) || !r.fake) return;
  const dest = r.real ?? path.join(baselineDir, r.name);
  try {
    copyAtomic(r.fake, dest, `--update ${mode}`);
  } catch (err) {
    // The pair's error, reported with the others: the run goes on and exits 2.
    Object.assign(r, { status: 'error', error: cliText(err) });
    return;
  }
  r.updated = kind;
  r.real = dest;
}

/**
 * --update obsolete (and all): removes every obsolete baseline (no current image) all or nothing, before
 * any pair is compared, and marks the records `updated: 'obsolete'`. If one cannot be removed, none is:
 * each obsolete record becomes an error (exit 2).
 */
function removeObsolete(records: PairRecord[], mode: string, baselineDir: string): void {
  const obsolete = records.filter((r) => r.status === 'obsolete');
  try {
    removeAllOrNothing(
      baselineDir,
      obsolete.flatMap((r) => (r.real === undefined ? [] : [r.real])),
      `--update ${mode}`,
    );
  } catch (err) {
    for (const r of obsolete) Object.assign(r, { status: 'error', error: cliText(err) });
    return;
  }
  for (const r of obsolete) r.updated = 'obsolete';
}

/** A pair's mask: the file at the real image's path relative to its folder, under --masks (a missing one
 *  is that pair's error). */
function maskOf(masks: string, realDir: string, real: string): string {
  return path.join(masks, path.relative(realDir, real));
}

/** Runs the jobs on the worker pool with an ETA on the progress line; the backend the workers used. */
export async function runJobs(
  jobs: Job[],
  size: number,
  init: WorkerInit,
  progress: Progress,
  onResult: (r: JobResult) => void,
): Promise<string> {
  const started = performance.now();
  let done = 0;
  progress.step(`0/${jobs.length} pairs`);
  const backend = jobs.length
    ? await runPool(jobs, size, init, (r) => {
        done++;
        const elapsed = (performance.now() - started) / 1000;
        progress.step(
          `${done}/${jobs.length} pairs, ETA ${Math.round((elapsed / done) * (jobs.length - done))}s`,
        );
        onResult(r);
      })
    : 'none';
  progress.stop();
  return backend;
}

const writeOne = (file: string, bytes: Buffer, flag: string) =>
  writeAllOrNothing(path.dirname(file), [{ name: path.basename(file), bytes }], `${flag} ${file}`);

/** The run a report shows, for approvals: a fresh id, the folders resolved. */
const reportRun = (dirs: string[]): ReportRun => ({
  id: randomUUID(),
  baselineDir: path.resolve(dirs[0]!),
  currentDir: path.resolve(dirs[1]!),
});

/** --junit, --report, --plot: each written all or nothing. */
async function writeReports(
  records: PairRecord[],
  meta: RunMeta,
  opt: ReportOptions,
  line: string,
  series: Series[],
): Promise<void> {
  if (opt.junit) writeOne(opt.junit, Buffer.from(junitXml(records, meta.losses, meta.seconds)), '--junit');
  if (opt.report) {
    const losses = meta.losses.map((name) => ({ name, better: better(name) }));
    const gates = meta.gates.map((g) => `--${g.bound} ${g.loss}${g.stat ? `.${g.stat}` : ''}=${g.limit}`);
    const { reportFiles } = await import('../io/report/html.js');
    const files = await reportFiles(opt.report, records, {
      title: `nectar-loss: ${meta.dirs.join(' vs ')}`,
      line,
      losses,
      gates,
      ...(series.some((s) => s.points.length) ? { epochs: series } : {}),
      ...(meta.dirs.length === 2 ? { run: reportRun(meta.dirs) } : {}),
    });
    writeAllOrNothing(path.dirname(opt.report), files, `--report ${opt.report}`);
  }
  if (opt.plot) {
    const { lineChart } = await import('../io/plot.js');
    const png = await lineChart(
      series,
      `Mean loss per epoch: ${meta.dirs[0]}`,
      'epoch',
      `mean loss (${meta.range})`,
    );
    writeOne(opt.plot, png, '--plot');
  }
}

/**
 * --results: a header line (RunMeta), the records, the summary object. The files a run wrote are given
 * relative to the results file (its folder travels as a CI artifact); real and fake stay as given on the
 * command line (the inputs are where the merging job checks them out).
 */
function writeResults(file: string, records: PairRecord[], meta: RunMeta, summary: object): void {
  writeOne(file, resultsBytes(path.dirname(path.resolve(file)), records, meta, summary), '--results');
}

/** The results file's lines, with the files a run wrote relative to `dir` (--results', --history's). */
function resultsBytes(dir: string, records: PairRecord[], meta: RunMeta, summary: object): Buffer {
  const lines = [
    { nectarLossResults: 1, ...meta },
    ...records.map((r) =>
      relocateFiles(r, (p) => portable(path.relative(path.resolve(dir), path.resolve(p)))),
    ),
    summary,
  ];
  return Buffer.from(lines.map((l) => toJson(l)).join('\n') + '\n');
}

const portable = (p: string) => p.split(path.sep).join('/');

/** A record with the paths of the files it wrote passed through `f`. */
export function relocateFiles(r: PairRecord, f: (p: string) => string): PairRecord {
  const files = Object.fromEntries(
    Object.entries(r.files).map(([l, kinds]) => [
      l,
      Object.fromEntries(Object.entries(kinds).map(([k, p]) => [k, f(p)])),
    ]),
  );
  return { ...r, files };
}

/**
 * A column's header says which way is better: `sobel ↓`, `ssim ↑`; the p99 of a map is always ↓, and a
 * similarity's names what its map holds (`ssim.p99 (1−S) ↓`).
 */
export function columnHeads(loss: string): { value: string; p99: string } {
  const map = lossTraits(loss).mapLabel;
  return {
    value: `${loss} ${better(loss) === 'higher' ? '↑' : '↓'}`,
    p99: `${loss}.p99${map ? ` (${map})` : ''} ↓`,
  };
}

/** The human-readable table: worst first, each loss's value and its map's p99, then the summary line. */
function table(records: PairRecord[], losses: readonly string[], line: string): string {
  const w = Math.max(4, ...records.map((r) => r.name.length));
  const cols = losses.flatMap((l) => [
    { head: columnHeads(l).value, cell: (r: PairRecord) => r.losses[l] },
    ...(records.some((r) => r.stats?.[l])
      ? [{ head: columnHeads(l).p99, cell: (r: PairRecord) => r.stats?.[l]?.p99 }]
      : []),
  ]);
  // Each column as wide as its header, at least 12.
  const cw = cols.map((c) => Math.max(12, c.head.length));
  const cell = (v: number | undefined, i: number) =>
    (v === undefined ? '–' : formatFloat32(v)).padStart(cw[i]!);
  // The kind of difference, when regions were found, after the status; the change after the reasons.
  const kind = (r: PairRecord) => (r.kind !== undefined ? ` (${r.kind})` : '');
  const change = (r: PairRecord) =>
    r.status === 'over' && r.regions?.length ? ` — ${changeText(r.regions)}` : '';
  const rows = worstFirst(records, [...losses], new Set(losses.filter((l) => better(l) === 'higher'))).map(
    (r) => {
      const done = { new: 'written', changed: 'replaced', obsolete: 'removed' }[r.updated ?? 'new'];
      const updated = r.updated ? ` (baseline ${done})` : '';
      const why = r.error ? `: ${r.error}` : r.over ? `: ${r.over.join('; ')}${change(r)}` : '';
      return `${r.name.padEnd(w)}  ${cols.map((c, i) => cell(c.cell(r), i)).join('  ')}  ${r.status}${kind(r)}${updated}${why}\n`;
    },
  );
  return (
    `${'pair'.padEnd(w)}  ${cols.map((c, i) => c.head.padStart(cw[i]!)).join('  ')}  ` +
    `status\n${rows.join('')}${line}\n`
  );
}
