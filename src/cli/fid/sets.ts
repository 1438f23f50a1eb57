import { frechetDistance, gaussianOf, sumsOf } from '../../losses/frechet.js';
import type { Progress } from '../progress.js';
import { bootstrapInterval, DEFAULT_SEED, kidFromFeatures } from './report.js';
import type { SetMetric } from '../../model.js';
import type { FidCliOptions } from './types.js';

/**
 * FID and KID between sets of images inside other commands (`batch --loss fid,kid`, `review --loss fid,kid`):
 * each group's real and fake files compared as two sets. The features of every file are computed once (the
 * worker pool over all groups together; cached per image) and shared by the groups that hold it.
 */
export { SET_METRICS, splitSetMetrics, type SetMetric } from '../../model.js';

export interface SetGroup {
  /** What the group is (a test run, an epoch, `all`). */
  label: string;
  real: string[];
  fake: string[];
}

/** One group's distances: the record a JSON/NDJSON output prints and a report shows. */
export interface SetDistances {
  real: { count: number };
  fake: { count: number };
  /** FID with its 95% bootstrap interval over resamples of the fake set (`interval` when bootstrap > 0). */
  fid?: { value: number; dims: number; interval?: [number, number]; rankDeficient: boolean };
  kid?: { value: number; std: number; subsets: number; subsetSize: number };
  /** Why nothing was computed (fewer than 2 images on a side). */
  skipped?: string;
}

export interface SetOptions extends FidCliOptions {
  metrics: readonly SetMetric[];
}

function distances(real: Float32Array, fake: Float32Array, o: SetOptions): SetDistances {
  const d = o.dims;
  const nr = real.length / d,
    nf = fake.length / d;
  const out: SetDistances = { real: { count: nr }, fake: { count: nf } };
  if (nr < 2 || nf < 2) return { ...out, skipped: 'FID and KID need at least 2 images on each side' };
  if (o.metrics.includes('fid')) {
    const g = gaussianOf(sumsOf(real, nr, d));
    out.fid = {
      value: frechetDistance(g, gaussianOf(sumsOf(fake, nf, d))),
      dims: d,
      rankDeficient: Math.min(nr, nf) - 1 < d,
    };
    if (o.bootstrap)
      out.fid.interval = bootstrapInterval(g, fake, nf, d, o.bootstrap, o.seed ?? DEFAULT_SEED);
  }
  if (o.metrics.includes('kid')) {
    const { kid, std, subsets, subsetSize } = kidFromFeatures(real, fake, o);
    out.kid = { value: kid, std, subsets, subsetSize };
  }
  return out;
}

/** Each group's distances, and how many images' features were computed or read from the cache. */
export async function setDistances(
  groups: SetGroup[],
  o: SetOptions,
  progress: Progress,
): Promise<{ groups: SetDistances[]; features: { computed: number; reused: number } }> {
  const files = [...new Set(groups.flatMap((g) => [...g.real, ...g.fake]))];
  if (!files.length) return { groups: [], features: { computed: 0, reused: 0 } };
  const { featureProvider } = await import('./features.js');
  const provider = await featureProvider(o, progress);
  let all: Float32Array;
  try {
    all = await provider.features(files, `${groups.length} set${groups.length === 1 ? '' : 's'}`);
  } finally {
    provider.dispose();
  }
  const d = o.dims;
  const at = new Map(files.map((f, i) => [f, i]));
  const rows = (list: string[]) => {
    const m = new Float32Array(list.length * d);
    list.forEach((f, j) => m.set(all.subarray(at.get(f)! * d, (at.get(f)! + 1) * d), j * d));
    return m;
  };
  return {
    groups: groups.map((g) => distances(rows(g.real), rows(g.fake), o)),
    features: { ...provider.counts },
  };
}

/** One line of text: `FID 41.2 [39.8, 43.1] (dims 2048, rank-deficient)  KID 0.0123 ± 0.0011`. */
export function setLine(s: SetDistances): string {
  if (s.skipped) return s.skipped;
  const parts: string[] = [];
  if (s.fid) {
    const iv = s.fid.interval ? ` [${s.fid.interval[0].toFixed(4)}, ${s.fid.interval[1].toFixed(4)}]` : '';
    const rank = s.fid.rankDeficient ? `, rank-deficient: ${s.fid.dims + 1} images needed` : '';
    parts.push(`FID ${s.fid.value.toFixed(4)}${iv} (dims ${s.fid.dims}${rank})`);
  }
  if (s.kid) parts.push(`KID ${s.kid.value.toExponential(4)} ± ${s.kid.std.toExponential(4)}`);
  return `${parts.join('  ')}  (real ${s.real.count}, fake ${s.fake.count} images)`;
}
