/**
 * The reporter's results file: the assertions the workers listed (results.ts) as the NDJSON that
 * `batch --results` writes, for `nectar-loss report` and `approve`. Each snapshot is a pair named by its
 * baseline's path relative to a root folder (the runner's root, or the folder above every baseline); the
 * current images the report shows are kept in `<stem>-current/<that path>` beside the results file, and the
 * diffs in `<stem>-diff/`, so `approve` finds the current image of pair `p` at `<current folder>/p`.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { PairRecord } from '../model.js';
import { writeAllOrNothing, type FileToWrite } from '../io/write.js';
import type { AssertionLine } from './results.js';

const posix = (p: string) => p.split(path.sep).join('/');

/** The deepest folder that holds `root` and every file. */
function commonRoot(root: string, files: string[]): string {
  let r = path.resolve(root);
  for (const f of files) while (path.relative(r, f).startsWith('..')) r = path.dirname(r);
  return r;
}

/** Every line the workers wrote; a snapshot asserted twice (a retry) keeps its last line. */
function readLines(folder: string): AssertionLine[] {
  const byBaseline = new Map<string, AssertionLine>();
  for (const f of readdirSync(folder).sort())
    if (f.endsWith('.ndjson'))
      for (const l of readFileSync(path.join(folder, f), 'utf8').split('\n'))
        if (l) {
          const a = JSON.parse(l, (_k, v: unknown) =>
            v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v,
          ) as AssertionLine;
          byBaseline.set(a.baseline, a);
        }
  return [...byBaseline.values()];
}

/** The summary line: the counts and the exit code as batch's (docs/results-format.md). */
function summaryOf(records: PairRecord[], losses: string[]) {
  const count = (s: string) => records.filter((r) => r.status === s).length;
  const failing = records.some((r) => (r.status === 'over' || r.status === 'new') && !r.updated);
  return {
    summary: true,
    pairs: records.length,
    ...Object.fromEntries(['ok', 'over', 'error', 'new'].map((s) => [s, count(s)])),
    updated: records.filter((r) => r.updated).length,
    obsolete: count('obsolete'),
    losses,
    exit: count('error') ? 2 : failing ? 1 : 0,
  };
}

export interface RunnerRun {
  runner: 'jest' | 'vitest' | 'playwright';
  /** The runner's root folder (its rootDir / root). */
  root: string;
  seconds: number;
}

/**
 * Writes `file` (and its `-current/` and `-diff/` folders, replaced) all or nothing from the lists in
 * `folder`. Paths in the file: `dirs`, `real` and `fake` relative to the working folder (as batch's, given on
 * the command line), `files` relative to the results file. Returns the number of snapshots.
 */
export function writeRunnerResults(folder: string, file: string, run: RunnerRun): number {
  const lines = readLines(folder).sort((a, b) => (a.baseline < b.baseline ? -1 : 1));
  const out = path.dirname(path.resolve(file));
  const stem = path.basename(file, path.extname(file));
  const root = commonRoot(
    run.root,
    lines.map((l) => l.baseline),
  );
  const currentDir = path.join(out, `${stem}-current`);
  const cwd = (p: string) => posix(path.relative(process.cwd(), p)) || '.';
  const files: FileToWrite[] = [];
  const records: PairRecord[] = lines.map((l) => {
    const name = posix(path.relative(root, l.baseline));
    const hasBaseline = !(l.status === 'new' && !l.updated);
    const heat = l.diff && l.diffLoss ? { [l.diffLoss]: { heatmap: `${stem}-diff/${name}` } } : {};
    if (l.current) files.push({ name: `${stem}-current/${name}`, from: l.current });
    if (l.diff) files.push({ name: `${stem}-diff/${name}`, from: l.diff });
    return {
      name,
      ...(hasBaseline ? { real: cwd(l.baseline) } : {}),
      ...(l.current ? { fake: cwd(path.join(currentDir, name)) } : {}),
      losses: l.losses,
      files: heat,
      status: l.status,
      ...(l.over ? { over: l.over } : {}),
      ...(l.error ? { error: l.error } : {}),
      ...(l.updated ? { updated: l.updated } : {}),
      ...(l.variant ? { variant: l.variant } : {}),
      test: l.test,
    } as PairRecord;
  });
  const losses = [...new Set(lines.flatMap((l) => Object.keys(l.losses)))];
  const header = {
    nectarLossResults: 1,
    runner: run.runner,
    dirs: [cwd(root), cwd(currentDir)],
    losses,
    range: 'unit',
    backend: [...new Set(lines.flatMap((l) => (l.backend ? [l.backend] : [])))].join('+') || 'none',
    seconds: run.seconds,
    gates: [],
  };
  const summary = summaryOf(records, losses);
  const json = (v: unknown) =>
    JSON.stringify(v, (_k, x: unknown) => (x === Infinity ? 'inf' : x === -Infinity ? '-inf' : x));
  const text = [header, ...records, summary].map(json).join('\n') + '\n';
  for (const d of ['current', 'diff'])
    rmSync(path.join(out, `${stem}-${d}`), { recursive: true, force: true });
  writeAllOrNothing(
    out,
    [...files, { name: path.basename(file), bytes: Buffer.from(text) }],
    `results ${file}`,
  );
  return records.length;
}
