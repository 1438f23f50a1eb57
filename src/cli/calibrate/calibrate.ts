import path from 'node:path';
import type { JobResult } from '../../engine/pool.js';
import { UserError } from '../../errors.js';
import { pairFolders } from '../../io/pairs.js';
import { locateWeights } from '../../io/weights/locate.js';
import { writeAllOrNothing } from '../../io/write.js';
import { isLoss, lossRequires, LOSS_NAMES } from '../../losses/registry.js';
import {
  DEFAULTS,
  setMetricMisuse,
  type Job,
  type Kind,
  type Pairing,
  type RegionSettings,
  type WorkerInit,
} from '../../model.js';
import type { Gate } from '../../engine/decide/gates.js';
import { runJobs } from '../batch.js';
import { historyNoise } from './history-noise.js';
import {
  calibrateAll,
  chooseGates,
  type Calibration,
  type Measured,
} from '../../engine/decide/calibration.js';
import { combinations, combinationText, type Combination } from '../../engine/decide/combinations.js';
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

/** The losses named must be per-pair losses, with the options they need. */
function checkLosses(opt: CalibrateOptions): void {
  for (const l of opt.losses) {
    const misuse = setMetricMisuse(l, 'calibrate --loss');
    if (misuse) throw new UserError(misuse);
    if (!isLoss(l)) throw new UserError(`unknown loss '${l}' (choose from ${LOSS_NAMES.join(', ')})`);
  }
  checkLossOptions(opt.losses, opt.run);
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
  checkLosses(opt);
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
  const combos = combinations(
    noise,
    changed,
    chosen.map((r) => r.gate!),
    opt.margin,
  );
  const allow = regionChoice(combos, missed.length);
  if (opt.writeGates) writeGatesFile(opt.writeGates, chosen, head, measuredWith, allow);
  const counts = { noise: noise.length, ...(changed ? { changed: changed.length } : {}) };
  if (opt.writeConfig) {
    const run = { opt, backend, counts, noiseDir, baselineDir };
    writeConfigFile(opt.writeConfig, chosen, measuredWith, run, allow);
  }
  const report = opt.json ? jsonReport(rows, chosen, head, counts, backend, allow, combos) : undefined;
  out(report ?? textReport(rows, chosen, head, missed, allow, combos));
  return (allow ? allow.errors : missed.length) ? 1 : 0;
}

/**
 * The recommended allow-list and region gates: the combination of fewest errors on the sets, when it makes
 * fewer than the numeric gates alone miss (on a tie they stay the recommendation).
 */
export interface AllowChoice {
  allow: Kind[];
  gates: Gate[];
  errors: number;
  why: string;
}

/** Why a combination: its errors on the sets, beside the numeric gates'. */
const comboWhy = (c: Combination, missed: number) =>
  `on these sets it fails ${c.failsNoise.length} noise pairs and passes ${c.passesChanged.length} ` +
  `changed ones, against the numeric gates' ${missed} missed changes`;

function regionChoice(combos: Combination[] | undefined, missed: number): AllowChoice | undefined {
  const best = combos?.[0];
  if (!best || best.errors >= missed || (!best.allow.length && !best.gates.length)) return undefined;
  const what = best.allow.length ? "the noise's kinds" : 'the noise';
  return {
    allow: best.allow,
    gates: best.gates,
    errors: best.errors,
    why: `${what}; ${comboWhy(best, missed)}`,
  };
}

/** The allow line (when an allow-list is recommended) and the region gate lines, with the reason. */
const choiceLines = (a: AllowChoice) => [
  ...(a.allow.length ? [`allow=${a.allow.join(',')}  # ${a.why}`] : []),
  ...a.gates.map((g) => `${gateLine(g)}  # ${a.allow.length ? 'with the allow-list' : a.why}`),
];

/** A job's numbers; a pair that could not be compared is the run's error. */
function measuredOf(results: JobResult[], job: Job, role: Role): Measured {
  const r = results.find((x) => x.job.id === job.id)!;
  if (r.error !== undefined) throw new UserError(`${role} pair ${job.pair.name}: ${r.error}`);
  const c = r.comparison;
  const kinds = c.regions
    ? { kinds: [...new Set(c.regions.map((g) => g.kind))], kind: c.kind, regions: c.regions }
    : {};
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
    ...regionSettingsOf(c.regions),
  };
}

/**
 * The region settings that differ from the defaults (the regions, kinds and region gates depend on them):
 * recorded so that batch --gates and the config find the same regions with no other flag.
 */
function regionSettingsOf(r: RegionSettings | undefined): Settings {
  if (!r) return {};
  const d = DEFAULTS.regions;
  return {
    ...(r.threshold !== undefined ? { regionThreshold: r.threshold } : {}),
    ...(r.minArea !== d.minArea ? { minRegionArea: r.minArea } : {}),
    ...(r.maxDisplacement !== d.maxDisplacement ? { maxDisplacement: r.maxDisplacement } : {}),
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
    ...(allow ? choiceLines(allow) : []),
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
  combos?: Combination[],
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
  const allowed = allow
    ? `allow (regions' kinds):\n${choiceLines(allow)
        .map((l) => `  ${l}\n`)
        .join('')}`
    : '';
  const ranking = combos ? comboRanking(combos, allow) : '';
  return `calibrate: ${head}\n${line(cols)}\n${cells.map((c) => line(c) + '\n').join('')}${ranking}${allowed}chosen gates:\n${picked}${miss}`;
}

/** The combinations tried, fewest errors first: what each fails and passes on the sets. */
function comboRanking(combos: Combination[], allow?: AllowChoice): string {
  const w = Math.max(...combos.map((c) => combinationText(c).length));
  const rows = combos.map((c, i) => {
    const names = [
      ...c.failsNoise.map((n) => `${n} (noise)`),
      ...c.passesChanged.map((n) => `${n} (changed)`),
    ];
    const mark = allow && i === 0 ? '  <- recommended' : '';
    const shown = names.slice(0, 4).join(', ') + (names.length > 4 ? `, … ${names.length - 4} more` : '');
    return `  ${combinationText(c).padEnd(w)}  ${c.errors} errors${names.length ? `: ${shown}` : ''}${mark}\n`;
  });
  return `combinations (regions' kinds and gates with the numeric gates; fewest errors on these sets first):\n${rows.join('')}`;
}

/** --json: one object (fields in docs/gates.md). */
function jsonReport(
  rows: Calibration[],
  chosen: Calibration[],
  head: string,
  counts: { noise: number; changed?: number },
  backend: string,
  allow?: AllowChoice,
  combos?: Combination[],
): string {
  const { noise, changed } = counts;
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
      ...(allow?.allow.length ? { allow: allow.allow, allowErrors: allow.errors, allowWhy: allow.why } : {}),
      ...(allow?.gates.length ? { regionGates: allow.gates.map(gateLine) } : {}),
      ...(combos
        ? {
            combinations: combos.map((c) => ({
              allow: c.allow,
              gates: c.gates.map(gateLine),
              errors: c.errors,
              failsNoise: c.failsNoise,
              passesChanged: c.passesChanged,
            })),
          }
        : {}),
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
function writeConfigFile(
  file: string,
  chosen: Calibration[],
  settings: Settings,
  run: CalibratedRun,
  allow?: AllowChoice,
): void {
  const gates = [...chosen.map((r) => r.gate!), ...(allow?.gates ?? [])];
  const max = mapOfGates(gates.filter((g) => g.bound === 'max'));
  const min = mapOfGates(gates.filter((g) => g.bound === 'min'));
  const config = {
    ...settings,
    ...(allow?.allow.length ? { allow: allow.allow } : {}),
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
