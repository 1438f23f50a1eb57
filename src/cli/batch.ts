import path from 'node:path';
import { runPool, type JobResult } from '../engine/pool.js';
import { UserError } from '../errors.js';
import { pairFolders, pairNectarGAN } from '../io/pairs.js';
import { htmlReport, junitXml, worstFirst } from '../io/report.js';
import { locateWeights } from '../io/weights/locate.js';
import { writeAllOrNothing } from '../io/write.js';
import { isLoss, lossRequires, LOSS_NAMES } from '../losses/registry.js';
import type { Job, PairRecord, Pairing, WorkerInit } from '../model.js';
import { checkLossOptions, type RunSettings } from './options.js';
import { downloadProgress, type Progress } from './progress.js';
import { epochSeries, jobRecord, summarise, unpairedRecord } from './records.js';

/** The batch command's options beyond the per-pair settings. */
export interface BatchOptions {
  run: RunSettings;
  losses: string[];
  /** loss -> threshold */
  max: Record<string, number>;
  json: boolean;
  jobs: number;
  junit?: string;
  report?: string;
  plot?: string;
  /** A mask per pair, at the real image's relative path in this folder. */
  masks?: string;
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
 * `nectar-loss batch`: validate → plan → run → summarise → report. Streams NDJSON as pairs finish.
 * Returns the exit code: 2 if any pair could not be compared, else 1 if any is over a threshold, else 0.
 * The main thread loads no loss and no TensorFlow.js: the workers do.
 */
export async function batch(dirA: string, dirB: string | undefined, opt: BatchOptions, progress: Progress, out: (s: string) => void): Promise<number> {
  validate(opt);
  const plan = planBatch(dirA, dirB, opt);
  const weights = await locateWeights(opt.losses.map(lossRequires), { ...opt.run.weights, onProgress: downloadProgress(progress) });
  const started = performance.now();
  const records: PairRecord[] = [];
  const emit = (r: PairRecord) => {
    records.push(r);
    if (opt.json) out(JSON.stringify(r) + '\n');
  };
  plan.pairing.unpaired.forEach((u) => emit(unpairedRecord(u)));
  const init: WorkerInit = { losses: opt.losses, compute: { ...opt.run.compute, weights }, draw: opt.run.draw };
  const backend = await runJobs(plan.jobs, opt.jobs, init, progress, (r) => emit(jobRecord(r, opt.max)));
  const summary = summarise(records, opt.losses);
  const seconds = (performance.now() - started) / 1000;
  const line = `${summary.counts.pairs} pairs: ${summary.counts.ok} ok, ${summary.counts.over} over a threshold, ${summary.counts.error} errors (${opt.losses.join(', ')}; ${backend}; ${seconds.toFixed(1)} s)`;
  await writeReports(plan, records, opt, seconds, line);
  if (opt.json) out(JSON.stringify({ summary: true, ...summary.counts, losses: opt.losses, range: opt.run.compute.range, backend, seconds: Number(seconds.toFixed(3)), worst: summary.worst, exit: summary.exit }) + '\n');
  else out(table(records, opt.losses, line));
  return summary.exit;
}

function validate(opt: BatchOptions): void {
  for (const l of opt.losses) if (!isLoss(l)) throw new UserError(`unknown loss '${l}' (choose from ${LOSS_NAMES.join(', ')})`);
  checkLossOptions(opt.losses, opt.run, opt.masks);
  for (const l of Object.keys(opt.max)) if (!opt.losses.includes(l)) throw new UserError(`--max ${l}=…: ${l} is not among --loss ${opt.losses.join(',')}`);
}

function planBatch(dirA: string, dirB: string | undefined, opt: BatchOptions): BatchPlan {
  const dirs = dirB === undefined ? [dirA] : [dirA, dirB];
  const pairing = dirB === undefined ? pairNectarGAN(dirA) : pairFolders(dirA, dirB);
  for (const d of dirs) if (opt.run.draw && inside(opt.run.out, d)) throw new UserError(`--out ${opt.run.out} is inside the input folder ${d}: choose a folder outside it`);
  if (opt.plot && !pairing.pairs.some((p) => p.epoch !== undefined)) throw new UserError(`--plot needs NectarGAN trainer outputs (epochE_i_B_real/fake) in ${dirA}`);
  const jobs = pairing.pairs.map((pair, id) => {
    const dir = path.posix.dirname(pair.name);
    const job: Job = { id, pair, outDir: path.join(opt.run.out, dir === '.' ? '' : dir), stem: path.posix.basename(pair.name, path.posix.extname(pair.name)) };
    if (opt.masks) job.mask = maskOf(opt.masks, dirA, pair.real);
    return job;
  });
  return { dirs, pairing, jobs };
}

/** A pair's mask: the file at the real image's path relative to its folder, under --masks (a missing one
 *  is that pair's error). */
function maskOf(masks: string, realDir: string, real: string): string {
  return path.join(masks, path.relative(realDir, real));
}

/** Runs the jobs on the worker pool with an ETA on the progress line; the backend the workers used. */
async function runJobs(jobs: Job[], size: number, init: WorkerInit, progress: Progress, onResult: (r: JobResult) => void): Promise<string> {
  const started = performance.now();
  let done = 0;
  progress.step(`0/${jobs.length} pairs`);
  const backend = jobs.length
    ? await runPool(jobs, size, init, (r) => {
        done++;
        const elapsed = (performance.now() - started) / 1000;
        progress.step(`${done}/${jobs.length} pairs, ETA ${Math.round((elapsed / done) * (jobs.length - done))}s`);
        onResult(r);
      })
    : 'none';
  progress.stop();
  return backend;
}

/** --junit, --report, --plot: each written all or nothing. */
async function writeReports(plan: BatchPlan, records: PairRecord[], opt: BatchOptions, seconds: number, line: string): Promise<void> {
  const write = (file: string, bytes: Buffer, flag: string) => writeAllOrNothing(path.dirname(file), [{ name: path.basename(file), bytes }], `${flag} ${file}`);
  if (opt.junit) write(opt.junit, Buffer.from(junitXml(records, opt.losses, seconds)), '--junit');
  if (opt.report) write(opt.report, Buffer.from(htmlReport(records, opt.losses, opt.report, { title: `nectar-loss: ${plan.dirs.join(' vs ')}`, line })), '--report');
  if (opt.plot) {
    const { lineChart } = await import('../io/plot.js');
    const png = await lineChart(epochSeries(records, plan.pairing.pairs, opt.losses), `Mean loss per epoch: ${plan.dirs[0]}`, 'epoch', `mean loss (${opt.run.compute.range})`);
    write(opt.plot, png, '--plot');
  }
}

/** The human-readable table: worst first, then the summary line. */
function table(records: PairRecord[], losses: readonly string[], line: string): string {
  const w = Math.max(4, ...records.map((r) => r.name.length));
  const rows = worstFirst(records, [...losses]).map((r) => {
    const values = losses.map((l) => (r.losses[l] === undefined ? '–' : String(r.losses[l])).padStart(12)).join('  ');
    return `${r.name.padEnd(w)}  ${values}  ${r.status}${r.error ? `: ${r.error}` : r.over ? `: ${r.over.join('; ')}` : ''}\n`;
  });
  return `${'pair'.padEnd(w)}  ${losses.map((l) => l.padStart(12)).join('  ')}  status\n${rows.join('')}${line}\n`;
}
