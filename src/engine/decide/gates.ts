import { UserError } from '../../errors.js';
import { lossTraits } from '../../losses/registry.js';
import type { MapStats } from '../../model.js';

/** Statistics of a pair's per-pixel map (bright = differs) that a gate may bound. */
export const STATS = ['mean', 'median', 'p95', 'p99', 'max'] as const;
export type Stat = (typeof STATS)[number];

/**
 * A threshold: `--max sobel=0.05` bounds the value; `--max sobel.p99=0.3` a statistic of the map;
 * `--min ssim=0.9` the value of a higher-is-better metric.
 */
export interface Gate {
  loss: string;
  /** Absent: the loss's value. */
  stat?: Stat;
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
    throw new UserError(`expected loss=number or loss.stat=number, e.g. sobel=0.1 or sobel.p99=0.3`);
  const stat = m[2] as Stat | undefined;
  if (stat !== undefined && !STATS.includes(stat))
    throw new UserError(`unknown statistic '${stat}' (choose from ${STATS.join(', ')})`);
  return { loss: m[1]!, ...(stat ? { stat } : {}), bound, limit };
}

/**
 * Gates must name computed losses and point the right way: a value's bound follows its direction (--max
 * for lower-is-better losses, --min for higher-is-better metrics); map statistics are of a dissimilarity
 * map (bright = differs) and take --max only.
 */
export function checkGates(gates: readonly Gate[], losses: readonly string[]): void {
  for (const g of gates) {
    const flag = `--${g.bound} ${g.loss}${g.stat ? `.${g.stat}` : ''}=…`;
    if (!losses.includes(g.loss))
      throw new UserError(`${flag}: ${g.loss} is not among --loss ${losses.join(',')}`);
    if (g.stat && g.bound === 'min')
      throw new UserError(
        `${flag}: statistics are of the per-pixel dissimilarity map (bright = differs): bound them with ` +
          `--max`,
      );
    if (!g.stat && better(g.loss) === 'higher' && g.bound === 'max')
      throw new UserError(
        `${flag}: ${g.loss} is higher-is-better: use --min ${g.loss}=… to fail below a value`,
      );
    if (!g.stat && better(g.loss) === 'lower' && g.bound === 'min')
      throw new UserError(
        `${flag}: ${g.loss} is lower-is-better (0 = identical): use --max ${g.loss}=… to fail above a value`,
      );
  }
}

/**
 * The gates a pair fails, each as `sobel 0.123 > 0.1` or `sobel p99 0.41 > 0.3` (the value, as `show`
 * writes it, beside its limit).
 */
export function failedGates(
  gates: readonly Gate[],
  values: Record<string, number>,
  stats?: Record<string, MapStats>,
  show: (v: number) => number | string = (v) => v,
): string[] {
  const out: string[] = [];
  for (const g of gates) {
    const v = g.stat ? stats?.[g.loss]?.[g.stat] : values[g.loss];
    if (v === undefined) continue;
    const fails = g.bound === 'max' ? v > g.limit : v < g.limit;
    if (fails)
      out.push(
        `${g.loss}${g.stat ? ` ${g.stat}` : ''} ${show(v)} ${g.bound === 'max' ? '>' : '<'} ${g.limit}`,
      );
  }
  return out;
}
