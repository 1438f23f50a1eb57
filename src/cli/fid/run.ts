import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../errors.js';
import { decodeNpz, encodeNpz } from '../../io/npz.js';
import { writeAllOrNothing } from '../../io/write.js';
import { gaussianOf, sumsOf } from '../../losses/frechet.js';
import type { FidDims } from '../../losses/inception-layout.js';
import { makeProgress, type Progress } from '../progress.js';
import { fidOutcome, kidOutcome } from './report.js';
import type { FidCliOptions, Side, SideStats } from './types.js';
import { writeShardResults } from './results.js';

/**
 * `nectar-loss fid|kid`: lists each folder (or reads an .npz of mu and sigma), computes the Inception
 * features of every image (batched; cached per image), and prints the distance; with --save-stats writes
 * one folder's statistics; with --shard/--results writes this shard's sufficient statistics instead.
 */

const isNpz = (p: string) => p.toLowerCase().endsWith('.npz') && existsSync(p) && statSync(p).isFile();

/** mu and sigma of a pytorch-fid --save-stats file. */
export function readStatsNpz(file: string, dims: number): SideStats {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    throw new UserError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code})`);
  }
  const a = decodeNpz(buf, file);
  if (!a.mu || !a.sigma) throw new UserError(`${file}: no mu and sigma arrays (not pytorch-fid statistics)`);
  const d = a.mu.shape[0];
  if (a.mu.shape.length !== 1 || a.sigma.shape.join() !== `${d},${d}`)
    throw new UserError(`${file}: mu is [${a.mu.shape.join(', ')}] and sigma [${a.sigma.shape.join(', ')}]`);
  if (d !== dims) throw new UserError(`${file}: statistics of ${d} dimensions, but --dims is ${dims}`);
  return {
    count: null,
    gaussian: { mu: Float64Array.from(a.mu.data), sigma: Float64Array.from(a.sigma.data) },
  };
}

async function resolveSide(p: string, o: FidCliOptions, metric: string): Promise<Side> {
  if (isNpz(p)) {
    if (metric === 'kid') throw new UserError(`${p}: KID needs the images' features, not .npz statistics`);
    if (o.shard) throw new UserError(`${p}: --shard needs folders, not .npz statistics`);
    return { kind: 'npz', file: p, stats: readStatsNpz(p, o.dims) };
  }
  const { listImages } = await import('../../engine/fid.js');
  const all = await listImages(p);
  const files = o.shard ? all.filter((_, i) => i % o.shard!.total === o.shard!.index - 1) : all;
  if (!o.shard && files.length < 2)
    throw new UserError(
      `${p}: ${files.length} image${files.length === 1 ? '' : 's'}; FID and KID need at least 2`,
    );
  return { kind: 'dir', dir: p, files };
}

function checkArgs(paths: string[], o: FidCliOptions, metric: 'fid' | 'kid'): void {
  const want = o.saveStats ? 1 : 2;
  if (paths.length !== want)
    throw new UserError(
      o.saveStats
        ? `--save-stats takes one folder (got ${paths.length} paths)`
        : `${metric} takes two paths, real and fake (got ${paths.length})`,
    );
  if (o.shard && !o.results) throw new UserError('--shard needs --results <file>');
  if (o.results && !o.shard) throw new UserError('--results needs --shard i/n');
  if (o.saveStats && !o.saveStats.toLowerCase().endsWith('.npz'))
    throw new UserError(`--save-stats ${o.saveStats}: the file name must end in .npz`);
}

/** Features of every folder side (the weights are loaded only when some image needs the network). */
async function featuresOf(
  sides: Side[],
  o: FidCliOptions,
  progress: Progress,
): Promise<(Float32Array | null)[]> {
  const dirs = sides.filter((s) => s.kind === 'dir');
  if (!dirs.length) return sides.map(() => null);
  const { featureProvider } = await import('./features.js');
  const provider = await featureProvider(o, progress);
  try {
    const out: (Float32Array | null)[] = [];
    for (const s of sides) out.push(s.kind === 'dir' ? await provider.features(s.files, s.dir) : null);
    return out;
  } finally {
    provider.dispose();
  }
}

/** Runs `fid` or `kid`; returns the exit code. */
export async function runMetric(paths: string[], o: FidCliOptions, metric: 'fid' | 'kid'): Promise<number> {
  checkArgs(paths, o, metric);
  const sides: Side[] = [];
  for (const p of paths) sides.push(await resolveSide(p, o, metric));
  const progress = makeProgress();
  let feats: (Float32Array | null)[];
  try {
    feats = await featuresOf(sides, o, progress);
  } finally {
    progress.stop();
  }
  const dims = o.dims as FidDims;
  if (o.saveStats) return saveStats(sides[0], feats[0]!, dims, o.saveStats);
  if (o.shard) {
    writeShardResults(o.results!, metric, o, sides, feats);
    return 0;
  }
  const out = metric === 'fid' ? fidOutcome(sides, feats, o) : kidOutcome(feats, o);
  process.stdout.write(out);
  return 0;
}

function saveStats(side: Side, feats: Float32Array, dims: FidDims, file: string): number {
  if (side.kind !== 'dir') throw new UserError(`--save-stats takes a folder, not ${side.file}`);
  const n = side.files.length;
  const g = gaussianOf(sumsOf(feats, n, dims));
  const bytes = encodeNpz({
    mu: { data: g.mu, shape: [dims] },
    sigma: { data: g.sigma, shape: [dims, dims] },
  });
  writeAllOrNothing(
    path.dirname(path.resolve(file)),
    [{ name: path.basename(file), bytes }],
    `--save-stats ${file}`,
  );
  process.stderr.write(`nectar-loss: wrote ${file} (mu and sigma of ${n} images, ${dims} dimensions)\n`);
  return 0;
}
