import { appendFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { PairRecord } from '../model.js';
import { annotations } from '../io/report/annotations.js';
import { worstFirst } from '../io/report/junit.js';
import { markdownSummary, type MarkdownInput } from '../io/report/markdown.js';

/** GitHub keeps at most 1 MiB of a step's summary (the whole file the step appended to). */
export const STEP_SUMMARY_BYTES = 1024 * 1024;
/** GitHub shows at most 10 error annotations per step. */
export const ANNOTATIONS = 10;

/**
 * On GitHub Actions, batch and merge also report there:
 * - `GITHUB_STEP_SUMMARY` set: the Markdown summary is appended to that file, within what is left of the
 *   step's 1 MiB (measured in bytes, counting what earlier commands of the step appended);
 * - `GITHUB_ACTIONS=true`: `::error` annotations for the first failing pairs, on stderr. The runner reads
 *   workflow commands from stderr as from stdout (actions/runner's ScriptHandler gives both streams to its
 *   command manager), so stdout stays the table, or pure NDJSON with --json.
 */
export function reportToGitHub(
  records: PairRecord[],
  summary: MarkdownInput,
  env: NodeJS.ProcessEnv = process.env,
  err: (s: string) => void = (s) => process.stderr.write(s),
): void {
  const file = env.GITHUB_STEP_SUMMARY;
  if (file) appendSummary(file, records, summary, err);
  if (env.GITHUB_ACTIONS === 'true') {
    const workspace = path.resolve(env.GITHUB_WORKSPACE || process.cwd());
    const higher = new Set(summary.losses.filter((l) => l.better === 'higher').map((l) => l.name));
    const ordered = worstFirst(
      records,
      summary.losses.map((l) => l.name),
      higher,
    );
    const fileOf = (r: PairRecord) => {
      const p = r.fake ?? r.real;
      if (p === undefined) return undefined;
      const rel = path.relative(workspace, path.resolve(p));
      return rel.startsWith('..') || path.isAbsolute(rel) ? undefined : rel.split(path.sep).join('/');
    };
    for (const line of annotations(ordered, fileOf, ANNOTATIONS)) err(line + '\n');
  }
}

function appendSummary(
  file: string,
  records: PairRecord[],
  summary: MarkdownInput,
  err: (s: string) => void,
): void {
  let used = 0;
  try {
    used = statSync(file).size;
  } catch {
    // A summary file not made yet: the whole budget is left.
  }
  // After what the step appended before, on a line of its own.
  const sep = used ? '\n' : '';
  const md = markdownSummary(records, summary, STEP_SUMMARY_BYTES - used - sep.length);
  if (md === undefined) {
    err(
      `nectar-loss: warning: no room left in GITHUB_STEP_SUMMARY ${file} (1 MiB per step): ` +
        'summary not written\n',
    );
    return;
  }
  try {
    appendFileSync(file, sep + md);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new UserError(`GITHUB_STEP_SUMMARY ${file}: cannot append (${why})`);
  }
}
