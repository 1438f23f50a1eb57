import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { PairRecord } from '../model.js';
import { parseJson, toJson } from './format.js';
import { conclude, relocateFiles, type ReportOptions, type RunMeta } from './batch.js';

/** One results file: its header, records (paths resolved against the file's folder) and summary. */
export interface Shard {
  file: string;
  meta: RunMeta;
  records: PairRecord[];
}

export function readShard(file: string): Shard {
  let lines: unknown[];
  try {
    lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => parseJson(l));
  } catch (err) {
    throw new UserError(
      `${file}: cannot read results (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  const head = lines[0] as (RunMeta & { nectarLossResults?: number }) | undefined;
  if (!head || head.nectarLossResults !== 1)
    throw new UserError(`${file}: not a results file of nectar-loss batch --results`);
  const dir = path.dirname(path.resolve(file));
  const records = (lines.slice(1) as (PairRecord & { summary?: boolean })[])
    .filter((l) => !l.summary)
    .map((r) => relocateFiles(r, (p) => path.relative(process.cwd(), path.resolve(dir, p))));
  return { file, meta: head, records };
}

/** The shards must be runs of one batch: same losses, range, thresholds and folders, each shard once. */
function checkShards(shards: Shard[]): void {
  const key = (m: RunMeta) => JSON.stringify([m.losses, m.range, m.gates, m.dirs]);
  const first = shards[0];
  for (const s of shards)
    if (key(s.meta) !== key(first.meta))
      throw new UserError(
        `${s.file}: not from the same batch as ${first.file} (losses, range, thresholds or folders differ)`,
      );
  const total = first.meta.shard ? Number(first.meta.shard.split('/')[1]) : 1;
  const seen = new Set(shards.map((s) => s.meta.shard ?? '1/1'));
  if (seen.size !== shards.length) throw new UserError('the same shard was given twice');
  const missing = Array.from({ length: total }, (_, i) => `${i + 1}/${total}`).filter((s) => !seen.has(s));
  if (missing.length)
    throw new UserError(
      `shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing: merge needs all ${total}`,
    );
}

/** `nectar-loss merge`: the shards' records as one batch would report them. Returns the exit code. */
export async function merge(files: string[], opt: ReportOptions, out: (s: string) => void): Promise<number> {
  const shards = files.map(readShard);
  checkShards(shards);
  const records = shards.flatMap((s) => s.records);
  const names = new Set<string>();
  for (const r of records) {
    if (names.has(r.name))
      throw new UserError(
        `pair ${r.name} is in more than one results file: were the shards made with the same --shard n?`,
      );
    names.add(r.name);
  }
  const meta = shards[0].meta;
  const backends = [...new Set(shards.map((s) => s.meta.backend))].join('+');
  const merged: RunMeta = {
    dirs: meta.dirs,
    losses: meta.losses,
    range: meta.range,
    gates: meta.gates,
    backend: backends,
    seconds: shards.reduce((t, s) => t + s.meta.seconds, 0),
  };
  if (opt.json)
    for (const r of [...records].sort((a, b) => (a.name < b.name ? -1 : 1))) out(toJson(r) + '\n');
  return conclude(records, merged, opt, out);
}
