import { UserError } from '../../errors.js';
import {
  frechetDistance,
  gaussianOf,
  resampledFrechet,
  sumsOf,
  type FeatureSums,
  type Gaussian,
} from '../../losses/frechet.js';
import { KID_DEFAULTS, kernelInceptionDistance, lowbias32 } from '../../losses/kid.js';
import type { FidCliOptions, Side, SideStats } from './types.js';

export const DEFAULT_SEED = 2020;

/** One stderr line when a covariance is rank-deficient: n images give rank <= n - 1 < d. */
export function rankWarning(label: string, count: number | null, dims: number): string | undefined {
  if (count === null || count - 1 >= dims) return undefined;
  return (
    `nectar-loss: warning: ${label}: ${count} images for ${dims} dimensions: the covariance is rank-deficient ` +
    `(rank <= ${count - 1}); --dims ${dims} needs at least ${dims + 1} images (more for a stable FID; ` +
    `a smaller --dims or KID suits small sets)\n`
  );
}

/** numpy.percentile's default (linear) of sorted values. */
export function percentile(sorted: number[], p: number): number {
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * FID over k resamples (with replacement, seeded: index j of resample b is floor(u m), u from lowbias32 of
 * seed * 0x9E3779B9 + (b + 1) * 0x85EBCA6B + j) of the fake set; the 2.5th and 97.5th percentiles.
 */
export function bootstrapInterval(
  real: Gaussian,
  fake: Float32Array,
  m: number,
  d: number,
  k: number,
  seed: number,
): [number, number] {
  const picks: number[][] = [];
  for (let b = 0; b < k; b++) {
    const base = Number((BigInt(seed) * 0x9e3779b9n + BigInt(b + 1) * 0x85ebca6bn) % 2n ** 32n);
    picks.push(Array.from({ length: m }, (_, j) => Math.floor((lowbias32((base + j) >>> 0) / 2 ** 32) * m)));
  }
  if (real.mu.length !== d) throw new Error(`statistics of ${real.mu.length} dimensions, features of ${d}`);
  const values = resampledFrechet(real, fake, m, picks).sort((a, b) => a - b);
  return [percentile(values, 2.5), percentile(values, 97.5)];
}

/** Statistics of each side, from its features or its .npz. */
export function sideStats(sides: Side[], feats: (Float32Array | null)[], dims: number): SideStats[] {
  return sides.map((s, i) =>
    s.kind === 'npz'
      ? s.stats
      : { count: s.files.length, gaussian: gaussianOf(sumsOf(feats[i]!, s.files.length, dims)) },
  );
}

/** The FID object of the JSON: {fid, dims, real: {count}, fake: {count}} (+ interval). */
export interface FidJson {
  fid: number;
  dims: number;
  real: { count: number | null };
  fake: { count: number | null };
  interval?: [number, number];
}

export function formatFid(r: FidJson, json: boolean): string {
  if (json) return JSON.stringify(r) + '\n';
  const count = (c: number | null) => (c === null ? 'statistics' : `${c} images`);
  const interval = r.interval
    ? ` (95% bootstrap interval ${r.interval[0].toFixed(6)} to ${r.interval[1].toFixed(6)})`
    : '';
  return `FID ${r.fid.toFixed(6)}${interval}  dims ${r.dims}, real ${count(r.real.count)}, fake ${count(r.fake.count)}\n`;
}

/** FID from both sides' statistics; warnings on stderr; the bootstrap needs the fake features. */
export function fidFromStats(
  stats: SideStats[],
  fake: { feats: Float32Array | null; count: number } | null,
  o: FidCliOptions,
): FidJson {
  for (const [i, s] of stats.entries()) {
    const w = rankWarning(i ? 'fake' : 'real', s.count, o.dims);
    if (w) process.stderr.write(w);
  }
  const r: FidJson = {
    fid: frechetDistance(stats[0].gaussian, stats[1].gaussian),
    dims: o.dims,
    real: { count: stats[0].count },
    fake: { count: stats[1].count },
  };
  if (o.bootstrap) {
    if (!fake?.feats) throw new UserError('--bootstrap needs the fake images, not .npz statistics');
    r.interval = bootstrapInterval(
      stats[0].gaussian,
      fake.feats,
      fake.count,
      o.dims,
      o.bootstrap,
      o.seed ?? DEFAULT_SEED,
    );
  }
  return r;
}

export function fidOutcome(sides: Side[], feats: (Float32Array | null)[], o: FidCliOptions): string {
  const stats = sideStats(sides, feats, o.dims);
  const fake = sides[1].kind === 'dir' ? { feats: feats[1], count: sides[1].files.length } : null;
  return formatFid(fidFromStats(stats, fake, o), Boolean(o.json));
}

export interface KidJson {
  kid: number;
  std: number;
  subsets: number;
  subsetSize: number;
  real: { count: number };
  fake: { count: number };
}

export function kidFromFeatures(real: Float32Array, fake: Float32Array, o: FidCliOptions): KidJson {
  const d = o.dims;
  const nr = real.length / d,
    nf = fake.length / d;
  const k = kernelInceptionDistance(real, nr, fake, nf, d, {
    subsets: o.subsets ?? KID_DEFAULTS.subsets,
    subsetSize: o.subsetSize ?? KID_DEFAULTS.subsetSize,
    seed: o.seed ?? KID_DEFAULTS.seed,
  });
  return { ...k, real: { count: nr }, fake: { count: nf } };
}

export function formatKid(r: KidJson, json: boolean): string {
  if (json) return JSON.stringify(r) + '\n';
  return (
    `KID ${r.kid.toExponential(6)} ± ${r.std.toExponential(6)}  ${r.subsets} subsets of ${r.subsetSize}, ` +
    `real ${r.real.count} images, fake ${r.fake.count} images\n`
  );
}

export function kidOutcome(feats: (Float32Array | null)[], o: FidCliOptions): string {
  return formatKid(kidFromFeatures(feats[0]!, feats[1]!, o), Boolean(o.json));
}

export type { FeatureSums };
