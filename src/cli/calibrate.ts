import path from 'node:path';
import type { JobResult } from '../engine/pool.js';
import { UserError } from '../errors.js';
import { pairFolders } from '../io/pairs.js';
import { locateWeights } from '../io/weights/locate.js';
import { writeAllOrNothing } from '../io/write.js';
import { isLoss, lossRequires, LOSS_NAMES } from '../losses/registry.js';
import type { Job, Kind, Pairing, WorkerInit } from '../model.js';
import { runJobs } from './batch.js';
import { calibrateAll, calibrateAllow, chooseGates, type Calibration, type Measured } from './calibration.js';
import { formatFloat32, toJson } from './format.js';
import { gateLine } from './gates.js';
import { checkLossOptions, type RunSettings } from './options.js';
import { downloadProgress, type Progress } from './progress.js';

/** The calibrate command's options. */
export interface CalibrateOptions {
  run: RunSettings;
  losses: string[];
  /** --changed DIR: images that must fail against the baselines. */
  changed?: string;
  json: boolean;
  /** --write-gates FILE */
  writeGates?: string;
  jobs: number;
  /** --margin: a gate without a clean separation lies at the noise's dissimilarity times 1 + margin. */
  margin: number;
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
  noiseDir: string,
  opt: CalibrateOptions,
  progress: Progress,
  out: (s: string) => void,
): Promise<number> {
  for (const l of opt.losses)
    if (!isLoss(l)) throw new UserError(`unknown loss '${l}' (choose from ${LOSS_NAMES.join(', ')})`);
  checkLossOptions(opt.losses, opt.run);
  const noiseJobs = setJobs(await pairFolders(baselineDir, noiseDir), 'noise', 0);
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
  const noise = measured(noiseJobs, 'noise');
  const changed = opt.changed ? measured(changedJobs, 'changed') : undefined;
  const rows = calibrateAll(opt.losses, noise, changed, opt.margin);
  const chosen = chooseGates(
    rows,
    (changed ?? []).map((m) => m.name),
  );
  const { range, shift } = opt.run.compute;
  const settings = `range ${range}${shift ? `, --shift-tolerance ${shift}` : ''}`;
  const head = `${noise.length} noise pairs${changed ? `, ${changed.length} changed pairs` : ''} (${opt.losses.join(', ')}; ${settings}; ${backend}; margin ${opt.margin})`;
  const missed = changed ? changed.filter((m) => chosen.every((r) => r.missed!.includes(m.name))) : [];
  const allow = allowChoice(noise, changed, missed.length);
  if (opt.writeGates) writeGatesFile(opt.writeGates, chosen, head, allow);
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

/** --write-gates: the chosen gates, one `loss[.stat]=value` a line, with comments; all or nothing. */
function writeGatesFile(file: string, chosen: Calibration[], head: string, allow?: AllowChoice): void {
  const lines = [
    `# nectar-loss calibrate: ${head}`,
    '# read by: nectar-loss batch <baselineDir> <currentDir> --gates <this file> (with the same range and shift)',
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

/** --json: one object (fields in the README). */
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
