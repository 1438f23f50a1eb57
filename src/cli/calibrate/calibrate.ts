import path from 'node:path';
import type { JobResult } from '../../engine/pool.js';
import { UserError } from '../../errors.js';
import { pairFolders } from '../../io/pairs.js';
import { locateWeights } from '../../io/weights/locate.js';
import { writeAllOrNothing } from '../../io/write.js';
import { isLoss, lossRequires, LOSS_NAMES } from '../../losses/registry.js';
import type { Job, Kind, Pairing, WorkerInit } from '../../model.js';
import { runJobs } from '../batch.js';
import { historyNoise } from './history-noise.js';
import {
  calibrateAll,
  calibrateAllow,
  chooseGates,
  type Calibration,
  type Measured,
} from '../../engine/decide/calibration.js';
import { formatFloat32, toJson } from '../format.js';
import type { Settings } from '../../config.js';
import { headerLines } from '../../engine/decide/gates-file.js';
import { mapOfGates } from '../../engine/decide/grammar.js';
import { gateLine } from '../gates.js';
import { checkLossOptions, type RunSettings } from '../options.js';
import { downloadProgress, type Progress } from '../progress.js';

/** The calibrate command's options. */
export interface CalibrateOptions {
  run: RunSettings;
  losses: string[];
  /** --changed DIR: images that must fail against the baselines. */
  changed?: string;
  json: boolean;
  /** --write-gates FILE */
  writeGates?: string;
  /** --write-config FILE: a config (JSON) with the gates and the settings they were measured with. */
  writeConfig?: string;
  jobs: number;
  /** --margin: a gate without a clean separation lies at the noise's dissimilarity times 1 + margin. */
  margin: number;
  /** --history DIR: the recorded values of the pairs that passed in batch --history's kept runs, as noise. */
  history?: string;
}

type Role = 'noise' | 'changed';

/**
 * The pairs of one set against the baselines. A baseline without a counterpart is skipped (a changed set
 * usually covers a few pages); an image without a baseline, or a folder that cannot be listed, is an error.
 */
function setJobs(p: Pairing, role: Role, first: number): Job[] {
  const bad = p.unpaired.find((u) => u.fake !== undefined || u.real === undefined);
  if (bad) throw new UserError(`${role} set: ${bad.name}: ${bad.error}`);
  return p.pairs.map((pair, i) => ({ id: first + i, pair, outDir: '', stem: pair.stem }));
}

/**
 * `nectar-loss calibrate <baselineDir> <noiseDir> [--changed dir]`: compares every noise and changed image
 * with its baseline on the batch worker pool, calibrates a gate per loss and statistic, prints them best
 * first (or JSON) and writes the chosen ones with --write-gates. Returns the exit code: 1 when changed
 * pairs were given and the chosen gates miss some, else 0.
 */
export async function calibrate(
  baselineDir: string,
  noiseDir: string | undefined,
  opt: CalibrateOptions,
  progress: Progress,
  out: (s: string) => void,
): Promise<number> {
  for (const l of opt.losses)
    if (!isLoss(l)) throw new UserError(`unknown loss '${l}' (choose from ${LOSS_NAMES.join(', ')})`);
  checkLossOptions(opt.losses, opt.run);
  if (noiseDir === undefined && opt.history === undefined)
    throw new UserError('calibrate needs a noise folder, --history <dir>, or both');
  const recorded = opt.history ? historyNoise(opt.history, opt.losses, opt.run.compute.range) : undefined;
  const noiseJobs = noiseDir ? setJobs(await pairFolders(baselineDir, noiseDir), 'noise', 0) : [];
  const changedJobs = opt.changed
    ? setJobs(await pairFolders(baselineDir, opt.changed), 'changed', noiseJobs.length)
    : [];
  const weights = await locateWeights(opt.losses.map(lossRequires), {
    ...opt.run.weights,
    onProgress: downloadProgress(progress),
  });
  const init: WorkerInit = { losses: opt.losses, compute: { ...opt.run.compute, weights } };
  const results: JobResult[] = [];
  const backend = await runJobs([...noiseJobs, ...changedJobs], opt.jobs, init, progress, (r) =>
    results.push(r),
  );
  const measured = (jobs: Job[], role: Role) => jobs.map((j) => measuredOf(results, j, role));
  const noise = [...measured(noiseJobs, 'noise'), ...(recorded?.noise ?? [])];
  const changed = opt.changed ? measured(changedJobs, 'changed') : undefined;
  const rows = calibrateAll(opt.losses, noise, changed, opt.margin);
  const chosen = chooseGates(
    rows,
    (changed ?? []).map((m) => m.name),
  );
  const { range, shift } = opt.run.compute;
  const settings = `range ${range}${shift ? `, --shift-tolerance ${shift}` : ''}`;
  const fromHistory = recorded
    ? ` (${recorded.noise.length} recorded in ${recorded.runs} runs of --history ${opt.history})`
    : '';
  const head = `${noise.length} noise pairs${fromHistory}${changed ? `, ${changed.length} changed pairs` : ''} (${opt.losses.join(', ')}; ${settings}; ${backend}; margin ${opt.margin})`;
  const measuredWith = measurementSettings(opt);
  const missed = changed ? changed.filter((m) => chosen.every((r) => r.missed!.includes(m.name))) : [];
  const allow = allowChoice(noise, changed, missed.length);
  if (opt.writeGates) writeGatesFile(opt.writeGates, chosen, head, measuredWith, allow);
  if (opt.writeConfig) {
    const counts = { noise: noise.length, ...(changed ? { changed: changed.length } : {}) };
    writeConfigFile(opt.writeConfig, chosen, measuredWith, { opt, backend, counts, noiseDir, baselineDir });
  }
  out(
    opt.json
      ? jsonReport(rows, chosen, head, noise.length, changed?.length, backend, allow)
      : textReport(rows, chosen, head, missed, allow),
  );
  return (allow ? allow.errors : missed.length) ? 1 : 0;
}

/** The recommended allow-list, when it makes fewer errors on the sets than the numeric gates miss. */
export interface AllowChoice {
  allow: Kind[];
  errors: number;
  why: string;
}

function allowChoice(
  noise: Measured[],
  changed: Measured[] | undefined,
  missed: number,
): AllowChoice | undefined {
  const a = calibrateAllow(noise, changed);
  if (!a || !a.allow.length) return undefined;
  const errors = a.failsNoise.length + a.passesChanged.length;
  // Only when it beats the numeric gates on these sets: on a tie they stay the recommendation.
  if (errors >= missed) return undefined;
  const why =
    `the noise's kinds; on these sets it fails ${a.failsNoise.length} noise pairs and passes ` +
    `${a.passesChanged.length} changed ones, against the numeric gates' ${missed} missed changes`;
  return { allow: a.allow, errors, why };
}

const allowLine = (a: AllowChoice) => `allow=${a.allow.join(',')}  # ${a.why}`;

/** A job's numbers; a pair that could not be compared is the run's error. */
function measuredOf(results: JobResult[], job: Job, role: Role): Measured {
  const r = results.find((x) => x.job.id === job.id)!;
  if (r.error !== undefined) throw new UserError(`${role} pair ${job.pair.name}: ${r.error}`);
  const c = r.comparison;
  const kinds = c.regions ? { kinds: [...new Set(c.regions.map((g) => g.kind))], kind: c.kind } : {};
  return { name: job.pair.name, values: c.values, stats: c.stats, ...kinds };
}

const fmt = (v: number | undefined) => (v === undefined ? '–' : formatFloat32(v));

/** Why a chosen gate sits where it does, in words (the gates file's comment, the text report's note). */
function reason(r: Calibration): string {
  const worst = `worst noise ${fmt(r.ceiling)}`;
  if (r.rule === 'midpoint') return `${worst}, nearest change ${fmt(r.nearest)}: halfway`;
  return `${worst} + margin${r.changed !== undefined ? `; catches ${r.caught}/${r.changed} changed` : ''}`;
}

/** Every setting the numbers depended on (written with the gates: batch then measures the same way). */
function measurementSettings(opt: CalibrateOptions): Settings {
  const c = opt.run.compute;
  return {
    loss: [...opt.losses],
    shiftTolerance: c.shift,
    range: c.range,
    ...(opt.losses.includes('flip') ? { ppd: c.ppd } : {}),
    ...(c.mask !== undefined ? { mask: c.mask } : {}),
    ...(c.ignore.length ? { ignore: c.ignore } : {}),
    ...(c.resize ? { resize: true } : {}),
  };
}

/** --write-gates: a header of the settings, then the chosen gates, one `loss[.stat]=value` a line; all or nothing. */
function writeGatesFile(
  file: string,
  chosen: Calibration[],
  head: string,
  settings: Settings,
  allow?: AllowChoice,
): void {
  const lines = [
    `# nectar-loss calibrate: ${head}`,
    ...headerLines(settings),
    '# read by: nectar-loss batch <baselineDir> <currentDir> --gates <this file> (the #! settings apply)',
    ...(allow ? [allowLine(allow)] : []),
    ...chosen.map((r) => `${gateLine(r.gate!)}  # ${reason(r)}`),
  ];
  writeAllOrNothing(
    path.dirname(file),
    [{ name: path.basename(file), bytes: Buffer.from(lines.join('\n') + '\n') }],
    `--write-gates ${file}`,
  );
}

/** The rows as a table, best first, then the chosen gates. */
function textReport(
  rows: Calibration[],
  chosen: Calibration[],
  head: string,
  missed: Measured[],
  allow?: AllowChoice,
): string {
  const withChanged = rows.some((r) => r.changed !== undefined);
  const cols = ['gate', 'worst noise', ...(withChanged ? ['nearest change', 'caught', 'separation'] : [])];
  const cells = rows.map((r) => [
    r.gate
      ? `--${r.gate.bound} ${gateLine(r.gate)}`
      : `${r.loss}${r.stat === 'mean' ? '' : `.${r.stat}`}: none`,
    fmt(r.ceiling),
    ...(withChanged
      ? [
          fmt(r.nearest),
          `${r.caught}/${r.changed}`,
          Number.isFinite(r.separation) ? `${r.separation!.toFixed(2)}x` : 'inf',
        ]
      : []),
  ]);
  const w = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => (i ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ');
  const picked = chosen.map((r) => `  ${gateLine(r.gate!)}  # ${reason(r)}\n`).join('');
  const miss = missed.length ? `no gate catches: ${missed.map((m) => m.name).join(', ')}\n` : '';
  const allowed = allow ? `allow (regions' kinds):\n  ${allowLine(allow)}\n` : '';
  return `calibrate: ${head}\n${line(cols)}\n${cells.map((c) => line(c) + '\n').join('')}${allowed}chosen gates:\n${picked}${miss}`;
}

/** --json: one object (fields in docs/gates.md). */
function jsonReport(
  rows: Calibration[],
  chosen: Calibration[],
  head: string,
  noise: number,
  changed: number | undefined,
  backend: string,
  allow?: AllowChoice,
): string {
  const row = (r: Calibration) => ({
    ...r,
    gate: r.gate ? gateLine(r.gate) : null,
    bound: r.gate?.bound ?? null,
    limit: r.gate?.limit ?? null,
  });
  return (
    toJson({
      calibrate: head,
      backend,
      noise,
      ...(changed !== undefined ? { changed } : {}),
      rows: rows.map(row),
      gates: chosen.map((r) => gateLine(r.gate!)),
      ...(allow ? { allow: allow.allow, allowErrors: allow.errors, allowWhy: allow.why } : {}),
    }) + '\n'
  );
}

interface CalibratedRun {
  opt: CalibrateOptions;
  backend: string;
  counts: { noise: number; changed?: number };
  baselineDir: string;
  noiseDir: string | undefined;
}

/** --write-config: the gates, the settings they were measured with and a `calibrated` record; all or nothing. */
function writeConfigFile(file: string, chosen: Calibration[], settings: Settings, run: CalibratedRun): void {
  const gates = chosen.map((r) => r.gate!);
  const max = mapOfGates(gates.filter((g) => g.bound === 'max'));
  const min = mapOfGates(gates.filter((g) => g.bound === 'min'));
  const config = {
    ...settings,
    ...(Object.keys(max).length ? { max } : {}),
    ...(Object.keys(min).length ? { min } : {}),
    calibrated: {
      when: new Date().toISOString(),
      baseline: run.baselineDir,
      ...(run.noiseDir !== undefined ? { noise: run.noiseDir } : {}),
      ...(run.opt.history !== undefined ? { history: run.opt.history } : {}),
      ...(run.opt.changed !== undefined ? { changed: run.opt.changed } : {}),
      pairs: run.counts,
      backend: run.backend,
      margin: run.opt.margin,
      gates: Object.fromEntries(chosen.map((r) => [gateLine(r.gate!).split('=')[0], calibratedGate(r)])),
    },
  };
  writeAllOrNothing(
    path.dirname(file),
    [{ name: path.basename(file), bytes: Buffer.from(JSON.stringify(config, null, 2) + '\n') }],
    `--write-config ${file}`,
  );
}

/** JSON has no Infinity: an unbounded number (psnr of identical images) is null. */
const finite = (v: number) => (Number.isFinite(v) ? v : null);

/** One gate's record: its limit, the noise ceiling and, with --changed, the nearest change and separation. */
function calibratedGate(r: Calibration) {
  return {
    limit: r.gate!.limit,
    ceiling: finite(r.ceiling),
    ...(r.nearest !== undefined ? { nearest: finite(r.nearest) } : {}),
    ...(r.separation !== undefined ? { separation: finite(r.separation) } : {}),
    ...(r.caught !== undefined ? { caught: r.caught, changed: r.changed } : {}),
  };
}
