import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { UserError } from '../errors.js';
import { writeAllOrNothing } from '../io/write.js';
import type { PairRecord, ReportRun } from '../model.js';
import { better } from './gates.js';
import { readShard } from './merge.js';
import { summarise } from './records.js';

/** `nectar-loss report` options. */
export interface ReportCommandOptions {
  out: string;
}

/** The run the report's approvals apply to: the folders every file names (two), resolved. */
function approvalRun(dirs: string[][], files: string[]): ReportRun | undefined {
  const resolved = dirs.map((d) => d.map((x) => path.resolve(x)));
  const first = resolved[0]!;
  if (first.length !== 2) return undefined;
  for (const [i, d] of resolved.entries())
    if (d.length !== 2 || d[0] !== first[0] || d[1] !== first[1])
      throw new UserError(
        `${files[i]}: compares other folders than ${files[0]} (${d.join(' vs ')}): ` +
          'one report approves one baseline folder; report them apart',
      );
  return { id: randomUUID(), baselineDir: first[0]!, currentDir: first[1]! };
}

/**
 * `nectar-loss report <results…> --out <dir>`: the HTML report (`<dir>/index.html` and `<dir>/index-files/`)
 * of results files written by `batch --results` or by the runners' reporter (`nectar-loss/reporter`, option
 * `results`), with the approval controls when they compare one baseline folder with one current folder.
 * Returns the line printed.
 */
export async function report(files: string[], o: ReportCommandOptions): Promise<string> {
  const shards = files.map(readShard);
  const records: PairRecord[] = shards.flatMap((s) => s.records);
  const names = new Set<string>();
  for (const r of records) {
    if (names.has(r.name)) throw new UserError(`pair ${r.name} is in more than one results file`);
    names.add(r.name);
  }
  const run = approvalRun(
    shards.map((s) => s.meta.dirs),
    files,
  );
  const losses = [...new Set(shards.flatMap((s) => s.meta.losses))];
  const c = summarise(records, losses).counts;
  const extra = (['new', 'obsolete', 'updated'] as const)
    .filter((k) => c[k])
    .map((k) => `, ${c[k]} ${k}`)
    .join('');
  const line = `${c.pairs} pairs: ${c.ok} ok, ${c.over} over a threshold, ${c.error} errors${extra}`;
  const gates = [
    ...new Set(
      shards.flatMap((s) =>
        s.meta.gates.map((g) => `--${g.bound} ${g.loss}${g.stat ? `.${g.stat}` : ''}=${g.limit}`),
      ),
    ),
  ];
  const runner = (shards[0]!.meta as { runner?: string }).runner;
  const { reportFiles } = await import('../io/report/html.js');
  const html = path.join(o.out, 'index.html');
  const out = await reportFiles(html, records, {
    title: runner ? `nectar-loss: ${runner} snapshots` : `nectar-loss: ${shards[0]!.meta.dirs.join(' vs ')}`,
    line,
    losses: losses.map((name) => ({ name, better: better(name) })),
    gates,
    ...(run ? { run } : {}),
  });
  writeAllOrNothing(o.out, out, `--out ${o.out}`);
  return `${html}: ${line}${run ? '' : ' (no approvals: not a run with a baseline and a current folder)'}\n`;
}
