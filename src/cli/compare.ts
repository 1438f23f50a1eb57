import path from 'node:path';
import { traitsOf, useBackend } from '../engine/backend.js';
import { Embedder } from '../engine/embedder.js';
import { runPair, type PairInput, type PairRunner } from '../engine/pair.js';
import { LossResources } from '../engine/resources.js';
import { UserError } from '../errors.js';
import { readInput } from '../io/input.js';
import { locateWeights } from '../io/weights/locate.js';
import type { LossDefinition } from '../losses/types.js';
import type { FileKind, MapStats, PairComparison, Range } from '../model.js';
import { roundStats } from './records.js';
import { formatFloat32, roundFloat32, toJson } from './format.js';
import { better, checkGates } from './gates.js';
import { checkLossOptions, type RunSettings } from './options.js';
import { downloadProgress, type Progress } from './progress.js';

export interface CompareOptions {
  run: RunSettings;
  json: boolean;
  max?: number;
  /** Higher-is-better metrics: exit 1 below this. */
  min?: number;
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
  /** --shift-tolerance, when not 0. */
  shiftTolerance?: number;
}

function stemOf(arg: string): string {
  return arg === '-' ? 'stdin' : path.basename(arg, path.extname(arg)) || 'image';
}

function input(role: 'real' | 'fake', arg: string, bytes: Buffer | string): PairInput {
  return { bytes, label: arg === '-' ? `${role} (stdin)` : `${role} ${arg}`, name: arg === '-' ? 'stdin' : arg };
}

/** The single-pair command: read, decode, compute, write, and what to print. */
export async function compare(loss: LossDefinition, realArg: string, fakeArg: string, opt: CompareOptions, progress: Progress): Promise<{ stdout: string; code: number }> {
  if (realArg === '-' && fakeArg === '-') throw new UserError('only one of real and fake can be read from stdin (-)');
  checkLossOptions([loss.name], opt.run);
  checkGates([...(opt.max !== undefined ? [{ loss: loss.name, bound: 'max' as const, limit: opt.max }] : []), ...(opt.min !== undefined ? [{ loss: loss.name, bound: 'min' as const, limit: opt.min }] : [])], [loss.name]);
  progress.step('reading images');
  const [realBytes, fakeBytes] = await Promise.all([readInput(realArg, 'real'), readInput(fakeArg, 'fake')]);
  // The backend loads while the weights are located and the images decode on sharp's threads.
  const backendP = useBackend(opt.run.compute.backend).catch((err: Error) => new UserError(err.message));
  const weights = await locateWeights([loss.requires], { ...opt.run.weights, onProgress: downloadProgress(progress) });
  const backend = await backendP;
  if (backend instanceof UserError) throw backend;
  progress.step(`computing ${loss.name} on ${backend}`);
  const compute = { ...opt.run.compute, weights };
  // A two-stage loss embeds real and fake on two threads where the backend has one thread of its own.
  const embedder = loss.embed && traitsOf(backend).parallelEmbed ? new Embedder(1, { backend, losses: [loss.name], weights, images: 1 }) : undefined;
  const runner: PairRunner = { losses: [loss.name], compute, draw: opt.run.draw, resources: new LossResources(weights), embedder, stats: opt.json };
  let comparison: PairComparison;
  try {
    comparison = await runPair(input('real', realArg, realBytes), input('fake', fakeArg, fakeBytes), { outDir: opt.run.out, stem: stemOf(fakeArg) }, runner);
  } finally {
    runner.resources.dispose();
    embedder?.close();
  }
  const report = reportOf(loss.name, comparison, opt, backend, realArg, fakeArg);
  return { stdout: opt.json ? toJson(report) + '\n' : formatFloat32(comparison.values[loss.name]!) + '\n', code: report.over || report.under ? 1 : 0 };
}

function reportOf(loss: string, comparison: PairComparison, opt: CompareOptions, backend: string, real: string, fake: string): CompareReport {
  const value = comparison.values[loss]!;
  return {
    loss,
    mean: roundFloat32(value),
    width: comparison.width,
    height: comparison.height,
    range: opt.run.compute.range,
    backend,
    better: better(loss),
    files: comparison.files[loss] ?? {},
    ...(comparison.stats[loss] ? { stats: roundStats(comparison.stats[loss]) } : {}),
    real,
    fake,
    ...(opt.max !== undefined ? { max: opt.max, over: value > opt.max } : {}),
    ...(opt.min !== undefined ? { min: opt.min, under: value < opt.min } : {}),
    ...(comparison.ignored !== undefined ? { ignored: comparison.ignored } : {}),
    ...(opt.run.compute.shift ? { shiftTolerance: opt.run.compute.shift } : {}),
  };
}
