/**
 * A Jest and Vitest reporter that lists baselines no test used in the run (stale ones of deleted or renamed
 * tests): `reporters: ['default', 'nectar-loss/reporter']` (Jest) or `['default', 'nectar-loss/reporter']`
 * (Vitest). With `['nectar-loss/reporter', { remove: true }]` an update run (-u) also deletes them. Only the
 * `__image_snapshots__` folders beside the test files that ran are read, and only the files named after those
 * test files: run the whole suite, or a filtered run will call the others' baselines unused.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isVariantOfAny } from '../io/variants.js';
import { slug, USED_BASELINES_ENV } from './snapshot.js';
import { RECORDS_ENV } from './results.js';
import { writeRunnerResults, type RunnerRun } from './results-file.js';

export interface ReporterOptions {
  /** Delete unused baselines in an update run (Jest -u, Vitest -u). Default false: only list them. */
  remove?: boolean;
  /**
   * Also write every snapshot assertion of the run to this NDJSON file (the records `batch --results`
   * writes; the current images and diffs in folders beside it), for `nectar-loss report` and `approve`.
   */
  results?: string;
}

/**
 * The baselines under the test files' `__image_snapshots__` that no assertion of this run used; an accepted
 * variant (`name.variant-<n>.png`) of a used `name.png` counts as used.
 */
export function unusedBaselines(testFiles: readonly string[], used: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const file of new Set(testFiles)) {
    const dir = path.join(path.dirname(file), '__image_snapshots__');
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    const prefix = `${slug(path.basename(file))}-`;
    for (const n of names.sort())
      if (
        n.startsWith(prefix) &&
        n.endsWith('.png') &&
        !used.has(path.resolve(dir, n)) &&
        !isVariantOfAny(path.resolve(dir, n), used)
      )
        out.push(path.join(dir, n));
  }
  return out;
}

export default class NectarLossReporter {
  private readonly folder: string;
  private update = false;
  private readonly remove: boolean;
  private readonly results?: { file: string; folder: string; started: number };
  private root = process.cwd();

  /** Jest: (globalConfig, options); Vitest: (options). */
  constructor(a?: { updateSnapshot?: string; rootDir?: string } & ReporterOptions, b?: ReporterOptions) {
    const opts = b ?? a ?? {};
    this.remove = opts.remove === true;
    this.update = a?.updateSnapshot === 'all';
    // Workers start after the reporters and inherit the environment: each lists the baselines it used.
    this.folder = mkdtempSync(path.join(tmpdir(), 'nectar-loss-used-'));
    process.env[USED_BASELINES_ENV] = this.folder;
    if (typeof a?.rootDir === 'string') this.root = a.rootDir;
    if (opts.results) {
      const folder = mkdtempSync(path.join(tmpdir(), 'nectar-loss-records-'));
      this.results = { file: opts.results, folder, started: performance.now() };
      process.env[RECORDS_ENV] = folder;
    }
  }

  /** Vitest: whether the run updates snapshots. */
  onInit(ctx: { config: { root?: string; snapshotOptions?: { updateSnapshot?: string } } }): void {
    this.update = ctx.config.snapshotOptions?.updateSnapshot === 'all';
    if (ctx.config.root) this.root = ctx.config.root;
  }

  /** Jest. */
  onRunComplete(_contexts: unknown, results: { testResults: { testFilePath: string }[] }): void {
    this.finish(results.testResults.map((r) => r.testFilePath));
    this.writeResults('jest');
  }

  /** Vitest. */
  onTestRunEnd(modules: readonly { moduleId: string }[]): void {
    this.finish(modules.map((m) => m.moduleId));
    this.writeResults('vitest');
  }

  /** Playwright: its root folder (the config's). */
  onBegin(config: { rootDir: string }): void {
    this.root = config.rootDir;
  }

  /** Playwright: the results file (its baselines are not listed as unused: only `results` applies). */
  onEnd(): void {
    rmSync(this.folder, { recursive: true, force: true });
    this.writeResults('playwright');
  }

  /** Playwright: this reporter prints nothing on stdout (its list or line reporter still does). */
  printsToStdio(): boolean {
    return false;
  }

  private writeResults(runner: RunnerRun['runner']): void {
    const r = this.results;
    if (!r) return;
    try {
      const seconds = (performance.now() - r.started) / 1000;
      const n = writeRunnerResults(r.folder, r.file, { runner, root: this.root, seconds });
      process.stderr.write(`nectar-loss: ${n} snapshot(s) written to ${r.file}\n`);
    } catch (err) {
      process.stderr.write(`nectar-loss: ${(err as Error).message}\n`);
      process.exitCode = 2;
    } finally {
      rmSync(r.folder, { recursive: true, force: true });
    }
  }

  private finish(testFiles: string[]): void {
    const used = new Set<string>();
    for (const f of readdirSync(this.folder))
      for (const line of readFileSync(path.join(this.folder, f), 'utf8').split('\n'))
        if (line) used.add(line);
    rmSync(this.folder, { recursive: true, force: true });
    const unused = unusedBaselines(testFiles, used);
    if (!unused.length) return;
    const act = this.remove && this.update;
    if (act) for (const f of unused) rmSync(f, { force: true });
    const list = unused.map((f) => `  ${path.relative(process.cwd(), f)}`).join('\n');
    process.stderr.write(
      `nectar-loss: ${unused.length} baseline(s) no test used${act ? ', removed' : ''}:\n${list}\n`,
    );
  }
}
