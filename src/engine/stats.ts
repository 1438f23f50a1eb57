import type { MapStats } from '../model.js';

export type { MapStats } from '../model.js';

const BINS = 1 << 16;

/**
 * mean, median, p95, p99 and max of `map` (only where `mask` is nonzero), the percentiles exactly as
 * numpy.percentile's default: linear interpolation between the order statistics at floor and ceil of
 * q (n - 1). O(n) without sorting the map: a histogram over [min, max] finds the bins that hold the needed
 * order statistics, and only those bins' values are sorted. Undefined when no pixel is compared.
 */
export function mapStats(map: Float32Array, mask?: Uint8Array): MapStats | undefined {
  const range = minMaxSum(map, mask);
  if (!range.n) return undefined;
  const { min, max, n } = range;
  const qs = [0.5, 0.95, 0.99];
  const ranks = [...new Set(qs.flatMap((q) => [Math.floor(q * (n - 1)), Math.ceil(q * (n - 1))]))].sort((a, b) => a - b);
  const order = max === min ? new Map(ranks.map((k) => [k, min])) : orderStatistics(map, mask, min, max, ranks);
  const at = (q: number) => {
    const h = q * (n - 1), lo = Math.floor(h), a = order.get(lo)!, b = order.get(Math.ceil(h))!;
    return a + (b - a) * (h - lo);
  };
  return { mean: range.sum / n, median: at(0.5), p95: at(0.95), p99: at(0.99), max };
}

function minMaxSum(map: Float32Array, mask?: Uint8Array): { min: number; max: number; sum: number; n: number } {
  let min = Infinity, max = -Infinity, sum = 0, n = 0;
  for (let i = 0; i < map.length; i++) {
    if (mask && !mask[i]) continue;
    const v = map[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    n++;
  }
  return { min, max, sum, n };
}

/** The k-th smallest values (0-based ranks, ascending), through a histogram over [min, max]. */
function orderStatistics(map: Float32Array, mask: Uint8Array | undefined, min: number, max: number, ranks: number[]): Map<number, number> {
  const scale = (BINS - 1) / (max - min);
  const counts = new Uint32Array(BINS);
  for (let i = 0; i < map.length; i++) if (!mask || mask[i]) counts[Math.min(BINS - 1, ((map[i]! - min) * scale) | 0)]!++;
  // For each rank: its bin, and the rank of that bin's first value.
  const binOf = new Map<number, number>(), first = new Map<number, number>();
  let below = 0, r = 0;
  for (let b = 0; b < BINS && r < ranks.length; b++) {
    while (r < ranks.length && ranks[r]! < below + counts[b]!) {
      binOf.set(ranks[r++]!, b);
      first.set(b, below);
    }
    below += counts[b]!;
  }
  // Only the values of those few bins are gathered and sorted.
  const slot = new Int32Array(BINS).fill(-1);
  const held = [...first.keys()].map((b, j) => ((slot[b] = j), { values: new Float64Array(counts[b]!), n: 0 }));
  for (let i = 0; i < map.length; i++) {
    if (mask && !mask[i]) continue;
    const j = slot[Math.min(BINS - 1, ((map[i]! - min) * scale) | 0)]!;
    if (j >= 0) held[j]!.values[held[j]!.n++] = map[i]!;
  }
  for (const h of held) h.values.sort();
  return new Map(ranks.map((k) => {
    const b = binOf.get(k)!;
    return [k, held[slot[b]!]!.values[k - first.get(b)!]!];
  }));
}
