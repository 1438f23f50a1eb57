/**
 * The matchers' side of the reporter's results file (reporter.ts, option `results`): when the reporter asked
 * (an environment variable naming a folder, inherited by the workers), each assertion appends one line to
 * its worker's own list there, and keeps the current image and the diff as files beside it. The reporter
 * turns the lists into the NDJSON `batch --results` writes (docs/approving.md).
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import type { ImageComparison } from '../engine/session.js';
import type { PairRecord } from '../model.js';

/** Environment variable naming the folder where each worker lists its assertions (reporter.ts). */
export const RECORDS_ENV = 'NECTAR_LOSS_RECORDS';

/** One assertion as a worker lists it: absolute paths; `current` and `diff` are files in the folder. */
export interface AssertionLine {
  baseline: string;
  test: string;
  status: PairRecord['status'];
  updated?: PairRecord['updated'];
  losses: Record<string, number>;
  over?: string[];
  error?: string;
  backend?: string;
  current?: string;
  diff?: string;
  diffLoss?: string;
  /** The file name of the accepted variant the image passed against. */
  variant?: string;
}

/** What a matcher knows after one assertion. */
export interface Assertion {
  baseline: string;
  test: string;
  status: PairRecord['status'];
  updated?: PairRecord['updated'];
  comparison?: ImageComparison;
  /** Why it could not be compared (a size mismatch is `over` with this as its reason). */
  why?: string;
  /** The file name of the accepted variant the image passed against (the baseline itself did not). */
  variant?: string;
  /** The received image, kept for the report when the assertion did not pass or update. */
  actual?: Buffer;
}

let n = 0;

/** Whether the reporter asked for a results file (the matchers keep the received image only then). */
export const recording = (): boolean => Boolean(process.env[RECORDS_ENV]);

/** float32's shortest decimal (as the CLI reports values); infinity stays. */
function round(x: number): number {
  const f = Math.fround(x);
  if (!Number.isFinite(f)) return f;
  for (let p = 1; p <= 9; p++)
    if (Math.fround(Number(f.toPrecision(p))) === f) return Number(f.toPrecision(p));
  return f;
}

/** Lists one assertion for the reporter, when it asked for a results file; otherwise does nothing. */
export function recordAssertion(a: Assertion): void {
  const dir = process.env[RECORDS_ENV];
  if (!dir) return;
  const stem = path.join(dir, `${process.pid}-${threadId}-${++n}`);
  const kept = a.status !== 'ok' && !a.updated;
  const c = a.comparison;
  const line: AssertionLine = {
    baseline: path.resolve(a.baseline),
    test: a.test,
    status: a.status,
    ...(a.updated ? { updated: a.updated } : {}),
    losses: c ? Object.fromEntries(Object.entries(c.values).map(([k, v]) => [k, round(v)])) : {},
    ...(a.status === 'over' ? { over: c && !c.pass ? c.failures : [a.why ?? 'differs'] } : {}),
    ...(a.status === 'error' ? { error: a.why ?? 'not compared' } : {}),
    ...(c ? { backend: c.backend } : {}),
    ...(a.variant ? { variant: a.variant } : {}),
  };
  if (kept && a.actual) {
    writeFileSync(`${stem}-current.png`, a.actual);
    line.current = `${stem}-current.png`;
  }
  if (kept && c?.diff) {
    writeFileSync(`${stem}-diff.png`, c.diff);
    line.diff = `${stem}-diff.png`;
    line.diffLoss = c.diffLoss;
  }
  const json = JSON.stringify(line, (_k, v: unknown) =>
    v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v,
  );
  appendFileSync(path.join(dir, `${process.pid}-${threadId}.ndjson`), json + '\n');
}
