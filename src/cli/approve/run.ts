import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../errors.js';
import { approveAll, type Change } from '../../io/approve.js';
import { readApprovals, RefusedError, reportId } from '../../io/approvals.js';

/** The options of `nectar-loss approve`. */
export interface ApproveOptionValues {
  baselines?: string;
  current?: string;
  report?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** The id of the report at `file` (an HTML report of a run with a baseline and a current folder). */
export function readReportId(file: string): string {
  let html: string;
  try {
    html = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`--report ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? ''})`);
  }
  return reportId(html, `--report ${file}`);
}

const VERB: Record<Change['action'], [string, string]> = {
  replaced: ['replaced', 'would replace'],
  written: ['written', 'would write'],
  removed: ['removed', 'would remove'],
  variant: ['added as variant', 'would add as variant'],
  left: ['left (rejected)', 'would leave (rejected)'],
};

/** The counts of each action. */
const counts = (changes: Change[]) =>
  Object.fromEntries(
    (['replaced', 'written', 'removed', 'variant', 'left'] as const).map((a) => [
      a,
      changes.filter((c) => c.action === a).length,
    ]),
  );

/** `nectar-loss approve`: applies (or checks) the approvals; the text or JSON to print. */
export async function runApprove(file: string, o: ApproveOptionValues): Promise<string> {
  const a = readApprovals(file);
  if (o.report !== undefined && readReportId(o.report) !== a.report)
    throw new RefusedError(`${file}: the approvals belong to another report than ${o.report}`);
  const dirs = {
    baselineDir: path.resolve(o.baselines ?? a.baselineDir),
    currentDir: path.resolve(o.current ?? a.currentDir),
  };
  const changes = await approveAll(a.pairs, dirs, Boolean(o.dryRun));
  const n = counts(changes);
  if (o.json)
    return (
      JSON.stringify({
        approve: true,
        report: a.report,
        dryRun: Boolean(o.dryRun),
        ...dirs,
        counts: n,
        changes,
      }) + '\n'
    );
  const lines = changes.map((c) => `${VERB[c.action][o.dryRun ? 1 : 0]}: ${c.file}\n`);
  const changed = changes.length - n.left;
  return (
    lines.join('') +
    `${o.dryRun ? 'dry run: would change' : 'changed'} ${changed} baseline file${changed === 1 ? '' : 's'} ` +
    `in ${dirs.baselineDir} (${n.replaced} replaced, ${n.written} written, ${n.removed} removed, ` +
    `${n.variant} variants; ${n.left} rejected left as they are)\n`
  );
}
