import { option, said, UserError, type Phrase } from '../../errors.js';
import { regionGateValue } from '../../io/change.js';
import { lossTraits } from '../../losses/registry.js';
import type { Kind, MapStats, Region } from '../../model.js';

/** Statistics of a pair's per-pixel map (bright = differs) that a gate may bound. */
export const STATS = ['mean', 'median', 'p95', 'p99', 'max'] as const;
export type Stat = (typeof STATS)[number];
/** What a region gate bounds: `regions` the count of changed regions, `region.<stat>` the largest one's. */
export const REGION_STATS = ['area', 'max', 'mean'] as const;
export type RegionStat = (typeof REGION_STATS)[number];
/** The names of the region gates, in place of a loss. */
export const REGION_GATES = ['regions', 'region'] as const;

/**
 * A threshold: `--max sobel=0.05` bounds the value; `--max sobel.p99=0.3` a statistic of the map;
 * `--min ssim=0.9` the value of a higher-is-better metric.
 */
export interface Gate {
  /** A loss, or `regions` (the count of changed regions) or `region` (with a RegionStat). */
  loss: string;
  /** Absent: the loss's value. */
  stat?: Stat | RegionStat;
  bound: 'max' | 'min';
  limit: number;
}

/** Which way a loss's value points (registry traits: no loss is loaded). */
export function better(loss: string): 'lower' | 'higher' {
  return lossTraits(loss).higherIsBetter ? 'higher' : 'lower';
}

/**
 * One gate from its name and limit: `sobel` bounds the value, `sobel.p99` a statistic of the map. Throws a
 * UserError that says what was expected (the CLI's --max/--min and the matchers' max/min objects share it).
 */
export function parseGate(key: string, limit: number, bound: 'max' | 'min'): Gate {
  const m = /^([a-z0-9-]+)(?:\.([a-z0-9]+))?$/i.exec(key);
  if (!m || !Number.isFinite(limit))
    throw new UserError(
      `expected loss=number or loss.stat=number, e.g. sobel=0.1 or sobel.p99=0.3`,
      'BAD_OPTION',
    );
  if (m[1] === 'regions' || m[1] === 'region') return regionGate(m[1], m[2], limit, bound);
  const stat = m[2] as Stat | undefined;
  if (stat !== undefined && !STATS.includes(stat))
    throw new UserError(`unknown statistic '${stat}' (choose from ${STATS.join(', ')})`, 'BAD_OPTION');
  return { loss: m[1]!, ...(stat ? { stat } : {}), bound, limit };
}

/** `regions=0`, `region.area=400`, `region.max=0.5`: upper bounds only. */
function regionGate(
  name: 'regions' | 'region',
  stat: string | undefined,
  limit: number,
  bound: 'max' | 'min',
): Gate {
  if (bound === 'min')
    throw new UserError(`${name}: region gates are upper bounds: use --max ${name}…=…`, 'BAD_OPTION');
  if (name === 'regions' && stat !== undefined)
    throw new UserError(
      `regions takes no statistic: regions=N bounds the count of changed regions`,
      'BAD_OPTION',
    );
  if (name === 'region' && !(REGION_STATS as readonly string[]).includes(stat ?? ''))
    throw new UserError(
      `region.<stat>: choose the statistic from ${REGION_STATS.join(', ')}, e.g. region.area=400`,
      'BAD_OPTION',
    );
  return { loss: name, ...(stat ? { stat: stat as RegionStat } : {}), bound, limit };
}

/** Whether a gate bounds changed regions (regions=N, region.<stat>=N) rather than a loss. */
export const isRegionGate = (g: Gate) => (REGION_GATES as readonly string[]).includes(g.loss);

/**
 * For a run that finds no changed regions: refuses a region gate, else an allow-list (named `allowName`),
 * either of which would pass every pair unjudged; `fix` says, in the caller's words, how to find them.
 */
export function refuseRegionJudges(
  gates: readonly Gate[],
  allow: readonly Kind[] | undefined,
  allowName: string,
  fix: string,
): void {
  const gate = gates.find(isRegionGate);
  const what = gate ? `the gate ${gate.loss}` : allow !== undefined ? allowName : undefined;
  if (what !== undefined) throw new UserError(`${what} judges changed regions: ${fix}`, 'BAD_OPTION');
}

/**
 * Gates must name computed losses and point the right way: a value's bound follows its direction (--max
 * for lower-is-better losses, --min for higher-is-better metrics); map statistics are of a dissimilarity
 * map (bright = differs) and take --max only.
 */
export function checkGates(gates: readonly Gate[], losses: readonly string[]): void {
  const bad = (p: Phrase) => new UserError(p, 'BAD_OPTION');
  for (const g of gates) {
    if (isRegionGate(g)) continue;
    const key = `${g.loss}${g.stat ? `.${g.stat}` : ''}`;
    const gate = option(`${g.bound}: { '${key}': … }`, `--${g.bound} ${key}=…`);
    const [max, min] = [bound('max', g.loss), bound('min', g.loss)];
    if (!losses.includes(g.loss))
      throw bad(said`${gate}: ${g.loss} is not among ${option('loss', '--loss')} ${losses.join(',')}`);
    if (g.stat && g.bound === 'min')
      throw bad(
        said`${gate}: statistics are of the per-pixel dissimilarity map (bright = differs): bound them with ${option('max', '--max')}`,
      );
    if (!g.stat && better(g.loss) === 'higher' && g.bound === 'max')
      throw bad(said`${gate}: ${g.loss} is higher-is-better: use ${min} to fail below a value`);
    if (!g.stat && better(g.loss) === 'lower' && g.bound === 'min')
      throw bad(
        said`${gate}: ${g.loss} is lower-is-better (0 = identical): use ${max} to fail above a value`,
      );
  }
}

/** A value's gate as each entry point writes it: `min: { ssim: … }`, `--min ssim=…`. */
const bound = (b: 'max' | 'min', loss: string) => option(`${b}: { ${loss}: … }`, `--${b} ${loss}=…`);

/**
 * The gates a pair fails, each as `sobel 0.123 > 0.1` or `sobel p99 0.41 > 0.3` (the value, as `show`
 * writes it, beside its limit).
 */
export function failedGates(
  gates: readonly Gate[],
  values: Record<string, number>,
  stats?: Record<string, MapStats>,
  show: (v: number) => number | string = (v) => v,
  regions?: readonly Region[],
): string[] {
  const out: string[] = [];
  for (const g of gates) {
    const v = gateValue(g, values, stats, regions);
    if (v === undefined) continue;
    const fails = g.bound === 'max' ? v > g.limit : v < g.limit;
    if (fails)
      out.push(
        `${g.loss}${g.stat ? ` ${g.stat}` : ''} ${show(v)} ${g.bound === 'max' ? '>' : '<'} ${g.limit}`,
      );
  }
  return out;
}

/**
 * The number a gate bounds: a loss's value, a statistic of its map, the count of changed regions, or the
 * largest region's area, max or mean (0 without regions); undefined when the pair has none of it.
 */
export function gateValue(
  g: Gate,
  values: Record<string, number>,
  stats?: Record<string, MapStats>,
  regions?: readonly Region[],
): number | undefined {
  if (isRegionGate(g)) return regionGateValue(g.loss, g.stat, regions);
  return g.stat ? stats?.[g.loss]?.[g.stat as Stat] : values[g.loss];
}

/**
 * A pair's verdict with the kinds allowed (--allow): a pair whose every changed region is of an allowed kind
 * passes, whatever the numbers; otherwise the gates decide, the region gates counting only the regions of
 * kinds not allowed; and with --allow but no region gate, any region of a kind not allowed fails the pair
 * (`content not allowed (--allow rendering,shift)`).
 */
export function failedVerdict(
  gates: readonly Gate[],
  allow: readonly Kind[] | undefined,
  values: Record<string, number>,
  stats: Record<string, MapStats> | undefined,
  regions: readonly Region[] | undefined,
  show: (v: number) => number | string = (v) => v,
): string[] {
  if (!allow || !regions) return failedGates(gates, values, stats, show, regions);
  const counted = regions.filter((r) => !allow.includes(r.kind));
  if (!counted.length) return [];
  const out = failedGates(gates, values, stats, show, counted);
  if (!gates.some(isRegionGate)) {
    const kinds = [...new Set(counted.map((r) => r.kind))];
    out.push(`${kinds.join(', ')} not allowed (--allow ${allow.join(',')})`);
  }
  return out;
}
