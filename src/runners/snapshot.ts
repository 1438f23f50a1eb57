import { appendFileSync, existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import type { CompareImagesOptions, ImageComparison } from '../engine/session.js';
import { better } from '../engine/decide/gates.js';
import { isImageError, SizeMismatchError, UserError } from '../errors.js';
import { asPng } from '../io/png.js';
import { variantsBeside } from '../io/variants.js';
import { writeAllOrNothing } from '../io/write.js';
import type { ImageInput } from '../model.js';
import { recordAssertion, recording } from './results.js';

/** The matchers' options: compareImages' (the CLI's flag names) and where files go. */
export interface LossSnapshotOptions extends Omit<CompareImagesOptions, 'diff'> {
  /** The baseline's file name without `.png` (default: test file, test name and a counter). */
  customSnapshotIdentifier?: string;
  /** Default: `__image_snapshots__` beside the test file. */
  customSnapshotsDir?: string;
  /** Default: `__diff_output__` inside the snapshots folder. */
  customDiffDir?: string;
  /**
   * Write a new or updated baseline as usual, yet fail the assertion, naming it (batch --fail-on-update):
   * for CI jobs that open a pull request with the new images.
   */
  failOnUpdate?: boolean;
}

/** The parts of Jest's and Vitest's SnapshotState the matcher reads and counts in. */
export interface SnapshotStateLike {
  /** Jest: 'all' with -u, 'none' with --ci, else 'new'. */
  _updateSnapshot?: 'all' | 'new' | 'none';
  /** Vitest's public name for the same. */
  snapshotUpdateState?: 'all' | 'new' | 'none';
  added: Counter;
  updated: Counter;
  matched: Counter;
  unmatched: Counter;
}

/** Jest counts in numbers; Vitest in CounterMaps keyed by test id. */
type Counter = number | { increment(key: string): void };

/** `this` of a Jest or Vitest matcher, as far as the matcher reads it. */
export interface SnapshotMatcherContext {
  isNot?: boolean;
  testPath?: string;
  currentTestName?: string;
  snapshotState?: SnapshotStateLike;
  /** Vitest: the running test (its id keys the counters). */
  task?: { id: string };
}

/**
 * `this` as the runners' own matcher types declare it: their SnapshotState classes keep the fields read
 * here private, so the public type only promises an object (snapshot.ts reads it as SnapshotStateLike).
 */
export type RunnerMatcherThis = Omit<SnapshotMatcherContext, 'snapshotState'> & { snapshotState?: object };

export interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/** Environment variable naming a folder where each worker lists the baselines it used (reporter.ts). */
export const USED_BASELINES_ENV = 'NECTAR_LOSS_USED_BASELINES';

/** Assertions per test so far, per SnapshotState (a new one per test file and run). */
const counters = new WeakMap<object, Map<string, number>>();

/** A file-name-safe slug: lower case, runs of other characters as one `-`. */
export function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Where a snapshot's files go. */
function snapshotPaths(ctx: SnapshotMatcherContext, state: SnapshotStateLike, o: LossSnapshotOptions) {
  const testPath = ctx.testPath!;
  const name = ctx.currentTestName ?? '';
  const seen = counters.get(state) ?? new Map<string, number>();
  counters.set(state, seen);
  const n = (seen.get(name) ?? 0) + 1;
  seen.set(name, n);
  const id = o.customSnapshotIdentifier ?? `${slug(path.basename(testPath))}-${slug(name)}-${n}`;
  const dir = o.customSnapshotsDir ?? path.join(path.dirname(testPath), '__image_snapshots__');
  const diffDir = o.customDiffDir ?? path.join(dir, '__diff_output__');
  return { baseline: path.join(dir, `${id}.png`), diff: path.join(diffDir, `${id}-diff.png`), dir, diffDir };
}

function count(state: SnapshotStateLike, key: 'added' | 'updated' | 'matched' | 'unmatched', id: string) {
  const c = state[key];
  if (typeof c === 'number') state[key] = c + 1;
  else c.increment(id);
}

/** Lists a used baseline for the reporter, when it asked (one file per worker: nothing shared). */
function recordUse(baseline: string): void {
  const dir = process.env[USED_BASELINES_ENV];
  if (dir) appendFileSync(path.join(dir, `${process.pid}-${threadId}.txt`), path.resolve(baseline) + '\n');
}

/** Without max or min, any difference fails (as jest-image-snapshot's default threshold 0). */
function withDefaultGate(o: LossSnapshotOptions): LossSnapshotOptions {
  if (o.max !== undefined || o.min !== undefined) return o;
  const first = typeof o.loss === 'string' ? o.loss : (o.loss?.[0] ?? 'sobel');
  if (better(first) === 'higher')
    throw new UserError(
      `${first} is higher-is-better: give min (e.g. { loss: '${first}', min: 0.99 })`,
      'BAD_OPTION',
    );
  return { ...o, max: 0 };
}

interface Where {
  p: ReturnType<typeof snapshotPaths>;
  state: SnapshotStateLike;
  id: string;
  mode: 'all' | 'new' | 'none';
  test: string;
  rel: string;
}

/** No baseline yet: written (not in CI), or the assertion fails. */
async function newBaseline(
  { p, state, id, mode, test, rel }: Where,
  received: ImageInput,
  options: LossSnapshotOptions,
  hints: { update: string; ci: string },
): Promise<MatcherResult> {
  if (mode === 'none') {
    recordAssertion({
      baseline: p.baseline,
      test,
      status: 'new',
      actual: recording() ? await asPng(received) : undefined,
    });
    count(state, 'unmatched', id);
    return fail(
      `No baseline ${rel}: new snapshots are not written in CI (${hints.ci}). Run without it, or ${hints.update}.`,
    );
  }
  writeAllOrNothing(p.dir, [{ name: path.basename(p.baseline), bytes: await asPng(received) }], p.dir);
  recordAssertion({ baseline: p.baseline, test, status: 'new', updated: 'new' });
  count(state, 'added', id);
  return written(`wrote ${rel}`, options);
}

/** The matcher a runner registers (`expect.extend({ toMatchLossSnapshot })`), speaking its flags in hints. */
export function snapshotMatcher(hints: { update: string; ci: string }) {
  return function toMatchLossSnapshot(
    this: RunnerMatcherThis,
    received: ImageInput,
    options?: LossSnapshotOptions,
  ): Promise<MatcherResult> {
    return matchLossSnapshot(this as SnapshotMatcherContext, received, options, hints);
  };
}

/**
 * toMatchLossSnapshot for Jest and Vitest: compares `received` with the test's baseline, writing it when
 * it is new (not in CI) or when the run updates snapshots and it differs; counts in the runner's summary.
 */
export async function matchLossSnapshot(
  ctx: SnapshotMatcherContext,
  received: ImageInput,
  options: LossSnapshotOptions = {},
  hints: { update: string; ci: string } = { update: 'with -u', ci: '--ci' },
): Promise<MatcherResult> {
  const { update } = hints;
  if (ctx.isNot) throw new Error('toMatchLossSnapshot cannot be used with .not');
  const state = ctx.snapshotState;
  if (!state || !ctx.testPath) throw new Error('toMatchLossSnapshot runs inside a test (no snapshot state)');
  // The config's settings (failOnUpdate, gates…) under the call's: read once, before the baseline is written.
  const { withConfig } = await import('../engine/with-config.js');
  options = await withConfig(options);
  const p = snapshotPaths(ctx, state, options);
  const id = ctx.task?.id ?? ctx.currentTestName ?? '';
  const mode = state.snapshotUpdateState ?? state._updateSnapshot ?? 'new';
  recordUse(p.baseline);
  const rel = path.relative(process.cwd(), p.baseline);
  const test = ctx.currentTestName ?? '';
  if (!existsSync(p.baseline))
    return newBaseline({ p, state, id, mode, test, rel }, received, options, hints);
  const { result, rewritable } = await compareWithBaseline(p.baseline, received, options);
  const comparison = typeof result === 'string' ? undefined : result;
  const seen = { baseline: p.baseline, test, comparison, why: comparison ? undefined : (result as string) };
  if (comparison?.pass) {
    recordAssertion({ ...seen, status: 'ok' });
    removeDiff(p.diff);
    count(state, 'matched', id);
    return { pass: true, message: () => `${rel} matches` };
  }
  const v = await passingVariant(p.baseline, received, options);
  if (v.match) {
    recordAssertion({
      ...seen,
      comparison: v.match.comparison,
      why: undefined,
      status: 'ok',
      variant: v.match.name,
    });
    removeDiff(p.diff);
    count(state, 'matched', id);
    return { pass: true, message: () => `${rel} matches its accepted variant ${v.match!.name}` };
  }
  if (mode === 'all' && rewritable) {
    writeAllOrNothing(p.dir, [{ name: path.basename(p.baseline), bytes: await asPng(received) }], p.dir);
    recordAssertion({ ...seen, status: 'over', updated: 'changed' });
    removeDiff(p.diff);
    count(state, 'updated', id);
    return written(`updated ${rel}`, options);
  }
  const status = rewritable ? 'over' : 'error';
  recordAssertion({ ...seen, status, actual: recording() ? await asPng(received) : undefined });
  count(state, 'unmatched', id);
  return fail(failureMessage(rel, result, p.diff, update, v.tried));
}

/**
 * The first accepted variant (`<stem>.variant-<n>.png` beside the baseline, by n, as batch's) that the image
 * passes against, and how many were tried.
 */
export async function passingVariant(
  baseline: string,
  received: ImageInput,
  options: LossSnapshotOptions,
): Promise<{ tried: number; match?: { name: string; comparison: ImageComparison } }> {
  const variants = variantsBeside(baseline);
  for (const file of variants) {
    const { result } = await compareWithBaseline(file, received, { ...options, diffOff: true });
    if (typeof result !== 'string' && result.pass)
      return { tried: variants.length, match: { name: path.basename(file), comparison: result } };
  }
  return { tried: variants.length };
}

/** Removes a stale diff, and its folder when that leaves it empty (as jest-image-snapshot leaves none). */
function removeDiff(diff: string): void {
  rmSync(diff, { force: true });
  const dir = path.dirname(diff);
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // Absent, or not ours to remove: nothing to clean.
  }
}

/** The comparison, or the reason it could not be made (rewritable: a size mismatch, which -u replaces). */
async function compareWithBaseline(
  baseline: string,
  received: ImageInput,
  options: LossSnapshotOptions & { diffOff?: boolean },
): Promise<{ result: ImageComparison | string; rewritable: boolean }> {
  try {
    const { compareImages } = await import('../engine/session.js');
    const { withConfig } = await import('../engine/with-config.js');
    const { failOnUpdate: _, diffOff, ...compareOptions } = options;
    const result = await compareImages(baseline, received, {
      ...withDefaultGate(await withConfig(compareOptions)),
      diff: diffOff ? 'never' : 'failure',
      stats: false,
    });
    return { result, rewritable: true };
  } catch (err) {
    if (!isImageError(err)) throw err;
    return { result: err.message, rewritable: err instanceof SizeMismatchError };
  }
}

const fail = (text: string): MatcherResult => ({ pass: false, message: () => text });

/** A baseline written: the assertion passes, or with failOnUpdate fails saying so. */
const written = (what: string, o: LossSnapshotOptions): MatcherResult =>
  o.failOnUpdate
    ? fail(`${what} (failOnUpdate: the baseline is written, the assertion fails so that it is reviewed)`)
    : { pass: true, message: () => what };

/** Names the metric, the value and the threshold of each failed gate, what changed, and where the diff went. */
function failureMessage(
  rel: string,
  result: ImageComparison | string,
  diffPath: string,
  update: string,
  variants = 0,
): string {
  const tried = variants ? ` (nor any of its ${variants} accepted variant(s))` : '';
  if (typeof result === 'string')
    return `Image does not match ${rel}${tried}: ${result}. Update it ${update}.`;
  // The first failed gate says what changed: `sobel p99 0.47 > 0.3 — content changed in 1 region, 84×18 at
  // (412,96)`.
  const change = (i: number) => (i === 0 && result.change ? ` — ${result.change}` : '');
  const lines = [
    `Image does not match ${rel}${tried} (nectar-loss):`,
    ...result.failures.map((f, i) => `  ${f}${change(i)}`),
  ];
  if (result.diff) {
    const diffDir = path.dirname(diffPath);
    writeAllOrNothing(diffDir, [{ name: path.basename(diffPath), bytes: result.diff }], diffDir);
    lines.push(
      `Diff (${result.diffLoss} heatmap, bright = differs): ${path.relative(process.cwd(), diffPath)}`,
    );
  }
  lines.push(`Update the baseline ${update} if the change is intended.`);
  return lines.join('\n');
}
