import { option, said, UserError, type Phrase } from '../../errors.js';
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
    throw new UserError(
      `expected loss=number or loss.stat=number, e.g. sobel=0.1 or sobel.p99=0.3`,
      'BAD_OPTION',
    );
  const stat = m[2] as Stat | undefined;
  if (stat !== undefined && !STATS.includes(stat))
    throw new UserError(`unknown statistic '${stat}' (choose from ${STATS.join(', ')})`, 'BAD_OPTION');
  return { loss: m[1]!, ...(stat ? { stat } : {}), bound, limit };
}

/**
 * Gates must name computed losses and point the right way: a value's bound follows its direction (--max
 * for lower-is-better losses, --min for higher-is-better metrics); map statistics are of a dissimilarity
 * map (bright = differs) and take --max only.
 */
export function checkGates(gates: readonly Gate[], losses: readonly string[]): void {
  const bad = (p: Phrase) => new UserError(p, 'BAD_OPTION');
  for (const g of gates) {
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
