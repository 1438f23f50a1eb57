import type { JobResult } from '../engine/pool.js';
import { failedVerdict } from '../engine/decide/gates.js';
import type { Kind, MapStats, PairRecord, Region, Unpaired } from '../model.js';
import { formatFloat32, roundFloat32 } from './format.js';
import { better, type Gate } from './gates.js';

/** A loss's value as reported: float32's shortest decimal. */
const round = roundFloat32;

/** Statistics as reported: each float32's shortest decimal. */
export function roundStats(s: MapStats): MapStats {
  return {
    mean: round(s.mean),
    median: round(s.median),
    p95: round(s.p95),
    p99: round(s.p99),
    max: round(s.max),
  };
}

/**
 * The record of a pair that could not be paired: an error, a new image without a baseline, or an obsolete
 * baseline without a current image.
 */
export function unpairedRecord(u: Unpaired): PairRecord {
  const sides = { ...(u.real ? { real: u.real } : {}), ...(u.fake ? { fake: u.fake } : {}) };
  if (u.new) return { name: u.name, ...sides, losses: {}, files: {}, status: 'new' };
  if (u.obsolete) return { name: u.name, ...sides, losses: {}, files: {}, status: 'obsolete' };
  return { name: u.name, ...sides, losses: {}, files: {}, status: 'error', error: u.error };
}

/** Regions as reported: mean and max as float32's shortest decimal. */
export function roundRegions(regions: readonly Region[]): Region[] {
  return regions.map((g) => ({ ...g, mean: round(g.mean), max: round(g.max) }));
}

/** The record of a finished job, checked against the gates (--max, --min) and the kinds allowed (--allow). */
export function jobRecord(r: JobResult, gates: readonly Gate[], allow?: readonly Kind[]): PairRecord {
  const { pair } = r.job;
  const epoch = pair.epoch !== undefined ? { epoch: pair.epoch } : {};
  if (r.error !== undefined)
    return {
      name: pair.name,
      real: pair.real,
      fake: pair.fake,
      ...epoch,
      losses: {},
      files: {},
      status: 'error',
      error: r.error,
      ms: Math.round(r.ms),
    };
  const values = r.comparison.values;
  const losses = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, round(v)]));
  const stats = Object.fromEntries(Object.entries(r.comparison.stats).map(([l, s]) => [l, roundStats(s)]));
  const c = r.comparison;
  const over = failedVerdict(gates, allow, values, c.stats, c.regions, formatFloat32);
  const ignored = c.ignored !== undefined ? { ignored: c.ignored } : {};
  const regions = c.regions ? { kind: c.kind ?? 'identical', regions: roundRegions(c.regions) } : {};
  return {
    name: pair.name,
    real: pair.real,
    fake: pair.fake,
    ...epoch,
    losses,
    stats,
    files: r.comparison.files,
    status: over.length ? 'over' : 'ok',
    ...(over.length ? { over } : {}),
    ...regions,
    ...ignored,
    ms: Math.round(r.ms),
  };
}

export interface BatchSummary {
  counts: {
    pairs: number;
    ok: number;
    over: number;
    error: number;
    new: number;
    updated: number;
    obsolete: number;
  };
  /**
   * 2 if any pair could not be compared, else 1 if any is over a threshold or new and not updated, else 0.
   * Obsolete baselines never fail a run: they are listed, and `--update obsolete` removes them.
   */
  exit: number;
  /** Per loss, the five largest values. */
  worst: Record<string, { name: string; value: number | undefined }[]>;
}

/** A record's value of a loss: absent where the pair failed before computing it. */
const valueOf = (r: PairRecord, l: string): number | undefined => r.losses[l];

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Sorts the records by name (in place) and counts them. */
export function summarise(records: PairRecord[], losses: readonly string[]): BatchSummary {
  records.sort(byName);
  const count = (s: PairRecord['status']) => records.filter((r) => r.status === s).length;
  const counts = {
    pairs: records.length,
    ok: count('ok'),
    over: count('over'),
    error: count('error'),
    new: count('new'),
    updated: records.filter((r) => r.updated).length,
    obsolete: count('obsolete'),
  };
  const failing = records.some((r) => (r.status === 'over' || r.status === 'new') && !r.updated);
  // Worst: the largest values, or the smallest of a higher-is-better metric.
  const sign = (l: string) => (better(l) === 'higher' ? -1 : 1);
  const worst = Object.fromEntries(
    losses.map((l) => [
      l,
      records
        .flatMap((r) => {
          const value = valueOf(r, l);
          return value === undefined ? [] : [{ name: r.name, value }];
        })
        .sort((a, b) => sign(l) * (b.value - a.value) || byName(a, b))
        .slice(0, 5),
    ]),
  );
  return { counts, exit: counts.error ? 2 : failing ? 1 : 0, worst };
}

/**
 * Trainer layouts: per loss, the epoch whose pairs have the best mean value (lowest; highest for a
 * higher-is-better metric; the earliest on a tie). Empty when no pair has an epoch.
 */
export function bestEpochs(
  series: ReturnType<typeof epochSeries>,
): Partial<Record<string, { epoch: number; value: number }>> {
  const out: Partial<Record<string, { epoch: number; value: number }>> = {};
  for (const s of series) {
    const sign = better(s.name) === 'higher' ? -1 : 1;
    const best = [...s.points]
      .sort((a, b) => a.x - b.x)
      .reduce<{ x: number; y: number } | undefined>(
        (m, p) => (!m || sign * p.y < sign * m.y ? p : m),
        undefined,
      );
    if (best) out[s.name] = { epoch: best.x, value: roundFloat32(best.y) };
  }
  return out;
}

/** Trainer layouts: per loss, the mean value per epoch. */
export function epochSeries(
  records: PairRecord[],
  losses: readonly string[],
): { name: string; points: { x: number; y: number }[] }[] {
  return losses.map((l) => {
    const acc = new Map<number, number[]>();
    for (const r of records) {
      const e = r.epoch;
      const v = valueOf(r, l);
      if (e !== undefined && v !== undefined) acc.set(e, [...(acc.get(e) ?? []), v]);
    }
    return { name: l, points: [...acc].map(([x, v]) => ({ x, y: v.reduce((a, b) => a + b, 0) / v.length })) };
  });
}
