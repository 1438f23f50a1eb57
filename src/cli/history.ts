import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { writeAllOrNothing } from '../io/write.js';
import type { PairHistory, PairRecord } from '../model.js';
import { parseJson } from './format.js';
import type { Gate } from './gates.js';

/** batch --history: where the results files are kept, how many, and the flips that quarantine a pair. */
export interface HistoryOptions {
  dir: string;
  /** --history-size: the runs kept, this one included (default 30). */
  size: number;
  /** --quarantine k: a pair whose verdict flipped at least k times in the window is `flaky`. */
  quarantine?: number;
}

/** A kept run: `run-<000001>.ndjson`, numbered so that names sort oldest first. */
const RUN_FILE = /^run-(\d{6,})\.ndjson$/;

export const runFiles = (dir: string): string[] => {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new UserError(`--history ${dir}: cannot read (${(err as NodeJS.ErrnoException).code})`);
  }
  return names.filter((n) => RUN_FILE.test(n)).sort((a, b) => runNumber(a) - runNumber(b));
};

const runNumber = (name: string) => Number(RUN_FILE.exec(name)![1]);

/** What calibrate --history reads of a results file's header (docs/results-format.md). */
export interface ResultsHeader {
  nectarLossResults: 1;
  losses?: string[];
  range?: string;
}

/** A results file's header and records (its summary line left out). */
export function readResultsFile(file: string): { header: ResultsHeader; records: PairRecord[] } {
  let lines: (PairRecord & { summary?: boolean; nectarLossResults?: number })[];
  try {
    lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => parseJson(l) as PairRecord);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UserError(`--history: cannot read ${file} (${why})`);
  }
  if (lines[0]?.nectarLossResults !== 1) throw new UserError(`--history: ${file} is not a results file`);
  const header = lines[0] as unknown as ResultsHeader;
  return { header, records: lines.slice(1).filter((l) => !l.summary) };
}

/** One kept run's records by pair name. */
function readRun(file: string): Map<string, PairRecord> {
  return new Map(readResultsFile(file).records.map((r) => [r.name, r]));
}

/** A record's verdict for the history: failed when over a gate or in error (a flaky one keeps `over`). */
export const failed = (r: PairRecord): boolean =>
  r.status === 'over' || r.status === 'error' || (r.status === 'flaky' && (r.over?.length ?? 0) > 0);

/** The value the trend follows: the first gate's (its statistic when it names one), else the first loss's. */
function trendValue(r: PairRecord, gates: readonly Gate[], losses: readonly string[]): number | null {
  const g = gates.length ? gates[0] : undefined;
  const v = !g ? r.losses[losses[0]!] : g.stat ? r.stats?.[g.loss]?.[g.stat as 'p99'] : r.losses[g.loss];
  return typeof v === 'number' ? v : null;
}

/** A pair over its runs (oldest first, this run last): runs, failed, flips and values. */
function pairHistory(seen: PairRecord[], gates: readonly Gate[], losses: readonly string[]): PairHistory {
  const verdicts = seen.map(failed);
  return {
    runs: seen.length,
    failed: verdicts.filter(Boolean).length,
    flips: verdicts.filter((v, i) => i > 0 && v !== verdicts[i - 1]).length,
    values: seen.map((r) => trendValue(r, gates, losses)),
  };
}

/**
 * Reads the earlier runs kept in the folder (the last size−1) and gives each record its `history`; with
 * --quarantine, a pair (ok or over) that flipped at least k times becomes `flaky`. Returns the flaky names.
 */
export function annotateHistory(
  records: PairRecord[],
  opt: HistoryOptions,
  gates: readonly Gate[],
  losses: readonly string[],
): string[] {
  const files = runFiles(opt.dir);
  const earlier = files
    .slice(Math.max(0, files.length - (opt.size - 1)))
    .map((n) => readRun(path.join(opt.dir, n)));
  const flaky: string[] = [];
  for (const r of records) {
    const seen = [...earlier.flatMap((run) => run.get(r.name) ?? []), r];
    r.history = pairHistory(seen, gates, losses);
    const k = opt.quarantine;
    if (k !== undefined && r.history.flips >= k && (r.status === 'ok' || r.status === 'over')) {
      r.status = 'flaky';
      flaky.push(r.name);
    }
  }
  return flaky;
}

/** Keeps this run's results file in the folder (all or nothing), then removes the runs beyond the window. */
export function keepRun(opt: HistoryOptions, bytes: Buffer): string {
  const files = runFiles(opt.dir);
  const next = files.length ? runNumber(files[files.length - 1]!) + 1 : 1;
  const name = `run-${String(next).padStart(6, '0')}.ndjson`;
  writeAllOrNothing(opt.dir, [{ name, bytes }], `--history ${opt.dir}`);
  for (const old of files.slice(0, Math.max(0, files.length + 1 - opt.size)))
    rmSync(path.join(opt.dir, old), { force: true });
  return path.join(opt.dir, name);
}
