import type { Kind, MapStats, Region } from '../../model.js';
import { lossTraits } from '../../losses/registry.js';
import { better, type Gate } from './gates.js';

/**
 * What `calibrate` measures per loss: `mean` is the loss's value (the SSIM index, PSNR in dB, the loss
 * itself: a gate line `loss=v`); p95, p99 and max are statistics of its per-pixel dissimilarity map (`loss.p99=v`).
 */
export const CALIBRATED = ['mean', 'p95', 'p99', 'max'] as const;
export type Calibrated = (typeof CALIBRATED)[number];

/** One compared pair's numbers. */
export interface Measured {
  name: string;
  values: Record<string, number>;
  stats: Record<string, MapStats>;
  /** The pair's kinds of difference: every region's (none: identical); absent with --no-regions. */
  kinds?: Kind[];
  /** The pair's kind (its worst region's). */
  kind?: Kind;
  /** Its changed regions (absent with --no-regions). */
  regions?: Region[];
}

/** One loss and statistic, calibrated: what the noise reached, the gate, and what the gate catches. */
export interface Calibration {
  loss: string;
  stat: Calibrated;
  /** Which way this number points: the value of ssim, ms-ssim, psnr is higher-is-better; map statistics lower. */
  better: 'lower' | 'higher';
  /** The worst noise pair: the largest number, or the smallest when higher is better. */
  ceiling: number;
  /** The changed pair nearest to the noise (--changed only). */
  nearest?: number;
  /** Every changed pair is worse than every noise pair (--changed only). */
  separable?: boolean;
  /** midpoint: halfway from the ceiling to the nearest change, in dissimilarity; margin: ceiling widened. */
  rule: 'midpoint' | 'margin';
  /** The suggested gate; absent when no finite one passes the noise (psnr of identical noise pairs). */
  gate?: Gate;
  /** Changed pairs the gate fails, of how many (--changed only), and the names of those it misses. */
  caught?: number;
  changed?: number;
  missed?: string[];
  /** Dissimilarity of the nearest change over that of the ceiling (> 1: separable; Infinity: clean noise). */
  separation?: number;
}

/** A number on a dissimilarity scale (0 = identical, growing with difference) and back. */
interface Scale {
  to: (v: number) => number;
  from: (d: number) => number;
}

const IDENTITY: Scale = { to: (v) => v, from: (d) => d };

/**
 * The dissimilarity scale of a loss's number: map statistics and lower-is-better values are dissimilarities;
 * a higher-is-better value goes by its registry trait: 'unit' 1 - v, 'decibel' 10^(-v/10) (the error).
 */
function scaleOf(loss: string, stat: Calibrated): Scale {
  if (stat !== 'mean' || better(loss) === 'lower') return IDENTITY;
  return lossTraits(loss).similarity === 'decibel'
    ? { to: (v) => 10 ** (-v / 10), from: (d) => -10 * Math.log10(d) }
    : { to: (v) => 1 - v, from: (d) => 1 - d };
}

/** The number a pair has for this loss and statistic (undefined: none, e.g. a mapless loss's p99). */
function numberOf(m: Measured, loss: string, stat: Calibrated): number | undefined {
  if (stat === 'mean') return Object.hasOwn(m.values, loss) ? m.values[loss] : undefined;
  return Object.hasOwn(m.stats, loss) ? m.stats[loss][stat] : undefined;
}

/** Whether a pair with number v fails the gate (as batch's failedGates decides). */
const fails = (g: Pick<Gate, 'bound' | 'limit'>, v: number) =>
  g.bound === 'max' ? v > g.limit : v < g.limit;

/**
 * The gate's limit written short: the fewest significant digits whose value still passes every noise
 * pair, fails the same changed pairs, and lies within a tenth of `spread` (in dissimilarity) of the exact
 * limit.
 */
function shortLimit(
  exact: number,
  bound: Gate['bound'],
  s: Scale,
  spread: number,
  noise: number[],
  changed: number[],
) {
  const caught = changed.filter((v) => fails({ bound, limit: exact }, v)).length;
  for (let p = 2; p <= 17; p++) {
    const limit = Number(exact.toPrecision(p));
    if (
      noise.every((v) => !fails({ bound, limit }, v)) &&
      changed.filter((v) => fails({ bound, limit }, v)).length === caught &&
      Math.abs(s.to(limit) - s.to(exact)) <= spread / 10
    )
      return limit;
  }
  return exact;
}

/**
 * Calibrates one loss and statistic over the noise pairs (which must pass) and the changed pairs (which
 * should fail). The gate lies halfway, in dissimilarity, between the worst noise pair and the nearest
 * changed pair when every change is beyond every noise pair; otherwise (or without changed pairs) at the
 * worst noise pair's dissimilarity times 1 + margin.
 */
export function calibrateOne(
  loss: string,
  stat: Calibrated,
  noiseSet: readonly Measured[],
  changedSet: readonly Measured[] | undefined,
  margin: number,
): Calibration | undefined {
  const noise = noiseSet.map((m) => numberOf(m, loss, stat));
  const changed = (changedSet ?? []).map((m) => numberOf(m, loss, stat));
  if (!noise.length || noise.some((v) => v === undefined) || changed.some((v) => v === undefined))
    return undefined;
  const dir = stat === 'mean' ? better(loss) : 'lower';
  const s = scaleOf(loss, stat);
  const n = noise as number[],
    c = changed as number[];
  const ceilD = Math.max(...n.map(s.to));
  const nearD = c.length ? Math.min(...c.map(s.to)) : undefined;
  const separable = nearD !== undefined ? nearD > ceilD : undefined;
  const rule = separable ? 'midpoint' : 'margin';
  const gateD = separable ? (ceilD + nearD!) / 2 : ceilD * (1 + margin);
  const bound = dir === 'lower' ? 'max' : 'min';
  const exact = s.from(gateD);
  const spread = separable ? nearD! - ceilD : gateD - ceilD;
  const limit = Number.isFinite(exact) ? shortLimit(exact, bound, s, spread, n, c) : undefined;
  const gate: Gate | undefined =
    limit === undefined ? undefined : { loss, ...(stat === 'mean' ? {} : { stat }), bound, limit };
  const out: Calibration = { loss, stat, better: dir, ceiling: s.from(ceilD), rule };
  if (gate) out.gate = gate;
  if (changedSet) {
    Object.assign(out, { nearest: s.from(nearD!), separable, changed: c.length });
    out.caught = gate ? c.filter((v) => fails(gate, v)).length : 0;
    out.missed = changedSet.filter((_, i) => !gate || !fails(gate, c[i]!)).map((m) => m.name);
    out.separation = nearD! === 0 && ceilD === 0 ? 1 : nearD! / ceilD;
  }
  return out;
}

/**
 * Every loss and statistic calibrated, best first: by changed pairs caught, then by separation, then in
 * the order asked (losses as given; mean, p95, p99, max).
 */
export function calibrateAll(
  losses: readonly string[],
  noise: readonly Measured[],
  changed: readonly Measured[] | undefined,
  margin: number,
): Calibration[] {
  const rows = losses.flatMap((l) =>
    CALIBRATED.map((st) => calibrateOne(l, st, noise, changed, margin)).filter(
      (r): r is Calibration => r !== undefined,
    ),
  );
  if (!changed) return rows;
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.caught! - a.r.caught! || b.r.separation! - a.r.separation! || a.i - b.i)
    .map(({ r }) => r);
}

/**
 * The gates to write: with changed pairs (`changed`, their names), the best-ranked rows, each kept when it
 * catches a change the ones before did not, until every change is caught; without (or when no gate
 * catches any), each loss's value gate and its p99 gate (the value alone for a loss without a map).
 */
export function chooseGates(rows: readonly Calibration[], changed: readonly string[]): Calibration[] {
  const chosen: Calibration[] = [];
  const caught = new Set<string>();
  for (const r of rows) {
    if (caught.size === changed.length) break;
    if (!r.gate || !r.missed) continue;
    const adds = changed.filter((n) => !r.missed!.includes(n) && !caught.has(n));
    if (!adds.length) continue;
    adds.forEach((n) => caught.add(n));
    chosen.push(r);
  }
  if (chosen.length) return chosen;
  return rows.filter((r) => r.gate && (r.stat === 'mean' || r.stat === 'p99'));
}
