import { readFileSync } from 'node:fs';
import path from 'node:path';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { UserError } from '../../errors.js';
import { decodeNpyArray, encodeNpyArray } from '../../io/npz.js';
import { writeAllOrNothing } from '../../io/write.js';
import { emptySums, gaussianOf, mergeSums, sumsOf, type FeatureSums } from '../../losses/frechet.js';
import type { FidCliOptions, Side } from './types.js';
import { fidFromStats, formatFid, formatKid, kidFromFeatures } from './report.js';

/**
 * A shard's part of `fid|kid --shard i/n --results <file>`: a zip (fflate) of `meta.json` and .npy arrays:
 * per side `<side>_sum`, `<side>_sum_lo` (d), `<side>_outer`, `<side>_outer_lo` (d x d), float64, the
 * sufficient statistics of frechet.ts (sums held as hi + lo, so shards merge bit for bit), and where KID or
 * the bootstrap needs them, `<side>_features` (float32 n x d) with each row's index in the whole sorted
 * folder (meta). `merge` adds the sums (never averages per-shard FIDs) and puts features back in order.
 */
interface ShardMeta {
  nectarLossFidResults: 1;
  metric: 'fid' | 'kid';
  shard: string;
  dims: number;
  dirs: string[];
  options: { bootstrap?: number; seed?: number; subsets?: number; subsetSize?: number };
  sides: { count: number; indices?: number[] }[];
}

const SIDES = ['real', 'fake'] as const;

export function writeShardResults(
  file: string,
  metric: 'fid' | 'kid',
  o: FidCliOptions,
  sides: Side[],
  feats: (Float32Array | null)[],
): void {
  const { index, total } = o.shard!;
  const withFeatures = metric === 'kid' || Boolean(o.bootstrap);
  const entries: Record<string, Uint8Array> = {};
  const meta: ShardMeta = {
    nectarLossFidResults: 1,
    metric,
    shard: `${index}/${total}`,
    dims: o.dims,
    dirs: sides.map((s) => (s.kind === 'dir' ? path.resolve(s.dir) : s.file)),
    options: { bootstrap: o.bootstrap, seed: o.seed, subsets: o.subsets, subsetSize: o.subsetSize },
    sides: [],
  };
  sides.forEach((s, k) => {
    if (s.kind !== 'dir') return;
    const n = s.files.length;
    const sums = sumsOf(feats[k]!, n, o.dims);
    const name = SIDES[k];
    const d = o.dims;
    entries[`${name}_sum.npy`] = encodeNpyArray({ data: sums.sum, shape: [d] });
    entries[`${name}_sum_lo.npy`] = encodeNpyArray({ data: sums.sumLo, shape: [d] });
    entries[`${name}_outer.npy`] = encodeNpyArray({ data: sums.outer, shape: [d, d] });
    entries[`${name}_outer_lo.npy`] = encodeNpyArray({ data: sums.outerLo, shape: [d, d] });
    const side: ShardMeta['sides'][number] = { count: n };
    if (withFeatures && (metric === 'kid' || k === 1)) {
      entries[`${name}_features.npy`] = encodeNpyArray({ data: feats[k]!, shape: [n, d] });
      side.indices = Array.from({ length: n }, (_, i) => i * total + index - 1);
    }
    meta.sides.push(side);
  });
  entries['meta.json'] = strToU8(JSON.stringify(meta));
  const bytes = Buffer.from(zipSync(entries, { level: 0 }));
  writeAllOrNothing(
    path.dirname(path.resolve(file)),
    [{ name: path.basename(file), bytes }],
    `--results ${file}`,
  );
}

interface Shard {
  file: string;
  meta: ShardMeta;
  arrays: Partial<Record<string, Uint8Array>>;
}

/** Whether `file` is a results file of `fid|kid --shard` (a zip holding meta.json). */
export function isFidResults(file: string): boolean {
  try {
    const buf = readFileSync(file);
    return (
      buf[0] === 0x50 &&
      buf[1] === 0x4b &&
      'meta.json' in unzipSync(buf, { filter: (f) => f.name === 'meta.json' })
    );
  } catch {
    return false;
  }
}

function readShard(file: string): Shard {
  let arrays: Partial<Record<string, Uint8Array>>;
  try {
    arrays = unzipSync(readFileSync(file));
  } catch (err) {
    throw new UserError(
      `${file}: cannot read FID results (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  const meta = JSON.parse(strFromU8(arrays['meta.json'] ?? strToU8('{}'))) as Partial<ShardMeta>;
  if (meta.nectarLossFidResults !== 1) throw new UserError(`${file}: not a results file of fid/kid --shard`);
  return { file, meta: meta as ShardMeta, arrays };
}

function checkShards(shards: Shard[]): void {
  const key = (m: ShardMeta) => JSON.stringify([m.metric, m.dims, m.dirs, m.options, m.shard.split('/')[1]]);
  const first = shards[0];
  for (const s of shards)
    if (key(s.meta) !== key(first.meta))
      throw new UserError(
        `${s.file}: not from the same run as ${first.file} (metric, dims, folders or options differ)`,
      );
  const total = Number(first.meta.shard.split('/')[1]);
  const seen = new Set(shards.map((s) => s.meta.shard));
  if (seen.size !== shards.length) throw new UserError('the same shard was given twice');
  const missing = Array.from({ length: total }, (_, i) => `${i + 1}/${total}`).filter((s) => !seen.has(s));
  if (missing.length)
    throw new UserError(
      `shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing: merge needs all ${total}`,
    );
}

const arr = (s: Shard, name: string) => {
  const a = s.arrays[`${name}.npy`];
  if (!a) throw new UserError(`${s.file}: ${name} missing`);
  return decodeNpyArray(a, `${s.file} ${name}`).data;
};

function sumsOfShard(s: Shard, side: number): FeatureSums {
  const name = SIDES[side];
  const out = emptySums(s.meta.dims);
  out.count = s.meta.sides[side].count;
  out.sum.set(arr(s, `${name}_sum`));
  out.sumLo.set(arr(s, `${name}_sum_lo`));
  out.outer.set(arr(s, `${name}_outer`));
  out.outerLo.set(arr(s, `${name}_outer_lo`));
  return out;
}

/** The side's features in the single run's order (sorted file names), from every shard. */
function featuresInOrder(shards: Shard[], side: number, d: number): Float32Array {
  const n = shards.reduce((t, s) => t + s.meta.sides[side].count, 0);
  const out = new Float32Array(n * d);
  for (const s of shards) {
    const f = arr(s, `${SIDES[side]}_features`);
    s.meta.sides[side].indices!.forEach((g, i) => out.set(f.subarray(i * d, (i + 1) * d), g * d));
  }
  return out;
}

/** `nectar-loss merge` of fid/kid results: prints what the single run prints. */
export function mergeFidResults(files: string[], json: boolean): string {
  const shards = files.map(readShard);
  checkShards(shards);
  const m = shards[0].meta;
  const o = { ...m.options, dims: m.dims, json } as FidCliOptions;
  if (m.metric === 'kid')
    return formatKid(
      kidFromFeatures(featuresInOrder(shards, 0, m.dims), featuresInOrder(shards, 1, m.dims), o),
      json,
    );
  const sums = [0, 1].map((k) => shards.map((s) => sumsOfShard(s, k)).reduce(mergeSums));
  for (const [k, s] of sums.entries())
    if (s.count < 2)
      throw new UserError(`${m.dirs[k]}: ${s.count} images in all shards; FID needs at least 2`);
  const stats = sums.map((s) => ({ count: s.count, gaussian: gaussianOf(s) }));
  const fake = m.options.bootstrap
    ? { feats: featuresInOrder(shards, 1, m.dims), count: sums[1].count }
    : null;
  return formatFid(fidFromStats(stats, fake, o), json);
}
