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
import { slug, USED_BASELINES_ENV } from './snapshot.js';

export interface ReporterOptions {
  /** Delete unused baselines in an update run (Jest -u, Vitest -u). Default false: only list them. */
  remove?: boolean;
}

/** The baselines under the test files' `__image_snapshots__` that no assertion of this run used. */
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
      if (n.startsWith(prefix) && n.endsWith('.png') && !used.has(path.resolve(dir, n)))
        out.push(path.join(dir, n));
  }
  return out;
}

export default class NectarLossReporter {
  private readonly folder: string;
  private update = false;
  private readonly remove: boolean;

  /** Jest: (globalConfig, options); Vitest: (options). */
  constructor(a?: { updateSnapshot?: string } & ReporterOptions, b?: ReporterOptions) {
    const opts = b ?? a ?? {};
    this.remove = opts.remove === true;
    this.update = a?.updateSnapshot === 'all';
    // Workers start after the reporters and inherit the environment: each lists the baselines it used.
    this.folder = mkdtempSync(path.join(tmpdir(), 'nectar-loss-used-'));
    process.env[USED_BASELINES_ENV] = this.folder;
  }

  /** Vitest: whether the run updates snapshots. */
  onInit(ctx: { config: { snapshotOptions?: { updateSnapshot?: string } } }): void {
    this.update = ctx.config.snapshotOptions?.updateSnapshot === 'all';
  }

  /** Jest. */
  onRunComplete(_contexts: unknown, results: { testResults: { testFilePath: string }[] }): void {
    this.finish(results.testResults.map((r) => r.testFilePath));
  }

  /** Vitest. */
  onTestRunEnd(modules: readonly { moduleId: string }[]): void {
    this.finish(modules.map((m) => m.moduleId));
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
