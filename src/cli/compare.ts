import path from 'node:path';
import { traitsOf, useBackend } from '../engine/backend.js';
import { Embedder } from '../engine/embedder.js';
import type { PairInput, PairRunner } from '../engine/pair.js';
import { LossResources } from '../engine/resources.js';
import { UserError } from '../errors.js';
import { readInput } from '../io/input.js';
import { locateWeights } from '../io/weights/locate.js';
import type { LossDefinition } from '../losses/types.js';
import type { BackendName, FileKind, MapStats, PairComparison, Range, WeightFiles } from '../model.js';
import { roundStats } from './records.js';
import { formatFloat32, roundFloat32, toJson } from './format.js';
import { better, checkGates, failedGates, type Gate } from './gates.js';
import { checkLossOptions, type RunSettings } from './options.js';
import { downloadProgress, type Progress } from './progress.js';

export interface CompareOptions {
  run: RunSettings;
  json: boolean;
  /** --max / --min: bounds on the value or on its map's statistics (exit 1 when any fails). */
  gates: Gate[];
}

/** What one comparison prints with --json (fields fixed: scripts read them). */
export interface CompareReport {
  loss: string;
  mean: number;
  width: number;
  height: number;
  range: Range;
  backend: string;
  files: Partial<Record<FileKind, string>>;
  real: string;
  fake: string;
  /** Which way the value points: lower (losses) or higher (ssim, ms-ssim, psnr) is better. */
  better: 'lower' | 'higher';
  max?: number;
  over?: boolean;
  min?: number;
  under?: boolean;
  /** Statistics of the per-pixel map (absent for ms-ssim, which has none). */
  stats?: MapStats;
  /** Pixels left out by --mask / --ignore (present when either was given). */
  ignored?: number;
  /** Failed gates as stderr shows them (present when a gate bounds a statistic). */
  failed?: string[];
  /** --shift-tolerance, when not 0. */
  shiftTolerance?: number;
}

function stemOf(arg: string): string {
  return arg === '-' ? 'stdin' : path.basename(arg, path.extname(arg)) || 'image';
}

function input(role: 'real' | 'fake', arg: string, bytes: Buffer | string): PairInput {
  return {
    bytes,
    label: arg === '-' ? `${role} (stdin)` : `${role} ${arg}`,
    name: arg === '-' ? 'stdin' : arg,
  };
}

/** What can be refused before any file is read: two stdin inputs, options the loss does not take, gates. */
function checkArguments(loss: string, realArg: string, fakeArg: string, opt: CompareOptions): void {
  if (realArg === '-' && fakeArg === '-') {
    throw new UserError('only one of real and fake can be read from stdin (-)');
  }
  checkLossOptions([loss], opt.run);
  checkGates(opt.gates, [loss]);
}

/** The single-pair command: read, decode, compute, write, and what to print. */
export async function compare(
  loss: LossDefinition,
  realArg: string,
  fakeArg: string,
  opt: CompareOptions,
  progress: Progress,
): Promise<{ stdout: string; stderr: string; code: number }> {
  checkArguments(loss.name, realArg, fakeArg, opt);
  progress.step('reading images');
  const [realBytes, fakeBytes] = await Promise.all([readInput(realArg, 'real'), readInput(fakeArg, 'fake')]);
  const weights = await locateWeights([loss.requires], {
    ...opt.run.weights,
    onProgress: downloadProgress(progress),
  });
  let embedder = startEmbedder(loss, opt.run.compute.backend, weights);
  let backend: string;
  let comparison: PairComparison;
  const resources = new LossResources(weights);
  try {
    backend = await useBackend(opt.run.compute.backend).catch((err: Error) => {
      throw new UserError(err.message, 'BACKEND_UNAVAILABLE');
    });
    if (embedder && !traitsOf(backend).parallelEmbed) {
      embedder.close();
      embedder = undefined;
    }
    progress.step(`computing ${loss.name} on ${backend}`);
    // Loaded here, after the embedding thread started: decoding (sharp) and the engine take ~70 ms to load.
    const { runPair } = await import('../engine/pair.js');
    const runner: PairRunner = {
      losses: [loss.name],
      compute: { ...opt.run.compute, weights },
      draw: opt.run.draw,
      resources,
      embedder,
      stats: opt.json || opt.gates.some((g) => g.stat !== undefined),
    };
    comparison = await runPair(
      input('real', realArg, realBytes),
      input('fake', fakeArg, fakeBytes),
      { outDir: opt.run.out, stem: stemOf(fakeArg) },
      runner,
    );
  } finally {
    resources.dispose();
    embedder?.close();
  }
  const failed = failedGates(opt.gates, comparison.values, comparison.stats, formatFloat32);
  const report = reportOf(loss.name, comparison, opt, backend, realArg, fakeArg, failed);
  return {
    stdout: opt.json ? toJson(report) + '\n' : formatFloat32(comparison.values[loss.name]) + '\n',
    // One line per failed gate: `sobel p99 0.477 > 0.3`.
    stderr: failed.map((f) => f + '\n').join(''),
    code: failed.length ? 1 : 0,
  };
}

/**
 * A two-stage loss embeds real on a thread of its own while fake embeds here, where the backend has one
 * thread. The thread starts before the backend and the engine load, so that its own start-up (~150 ms)
 * overlaps theirs; with `auto` it starts on speculation, and compare() closes it if the backend chosen embeds
 * on one thread.
 */
function startEmbedder(
  loss: LossDefinition,
  backend: BackendName,
  weights: WeightFiles,
): Embedder | undefined {
  if (!loss.embed || (backend !== 'auto' && !traitsOf(backend).parallelEmbed)) return undefined;
  return new Embedder(1, { backend, losses: [loss.name], weights, images: 1 });
}

function reportOf(
  loss: string,
  comparison: PairComparison,
  opt: CompareOptions,
  backend: string,
  real: string,
  fake: string,
  failed: string[],
): CompareReport {
  const value = comparison.values[loss];
  // Losses without a per-pixel map have no statistics.
  const stats = comparison.stats[loss] as MapStats | undefined;
  return {
    loss,
    mean: roundFloat32(value),
    width: comparison.width,
    height: comparison.height,
    range: opt.run.compute.range,
    backend,
    better: better(loss),
    files: comparison.files[loss] ?? {},
    ...(stats ? { stats: roundStats(stats) } : {}),
    real,
    fake,
    ...boundsOf(opt.gates, value, failed, stats),
    ...(comparison.ignored !== undefined ? { ignored: comparison.ignored } : {}),
    ...(opt.run.compute.shift ? { shiftTolerance: opt.run.compute.shift } : {}),
  };
}

/**
 * --json's max/over and min/under: `max` is the value's limit (when one bounds it), `over` whether any --max
 * gate failed; `gates` lists every gate as written and `failed` the failed ones, when a statistic is bounded.
 */
function boundsOf(gates: Gate[], value: number, failed: string[], stats: MapStats | undefined) {
  const out: Partial<CompareReport> = {};
  const fails = (g: Gate) => {
    const v = g.stat ? stats?.[g.stat] : value;
    return v !== undefined && (g.bound === 'max' ? v > g.limit : v < g.limit);
  };
  for (const bound of ['max', 'min'] as const) {
    const mine = gates.filter((g) => g.bound === bound);
    if (!mine.length) continue;
    const plain = mine.find((g) => !g.stat);
    if (plain) out[bound] = plain.limit;
    out[bound === 'max' ? 'over' : 'under'] = mine.some(fails);
  }
  if (gates.some((g) => g.stat)) out.failed = failed;
  return out;
}
