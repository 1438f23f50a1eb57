import { hostGather, type HostGathered } from '../losses/map-scan.js';
import type { MapStats } from '../model.js';

export type { MapStats } from '../model.js';

/** Buckets per radix digit: a float32's order key is read 16 bits at a time. */
const DIGIT = 1 << 16;
const scratch = new Int32Array(1);
const scratchF = new Float32Array(scratch.buffer);
/** A float32 -0's bits (as int32); +0's are 0. */
const MINUS_ZERO = -0x80000000;
/** The gathered keys' array, reused from map to map (a fresh 3.7 MB array cost its page faults each time). */
let kept = new Int32Array(0);

/**
 * mean, median, p95, p99 and max of `map` (only where `mask` is nonzero), the percentiles exactly as
 * numpy.percentile's default (the order statistics at floor and ceil of q (n - 1), mixed as numpy's
 * `_lerp` does). Radix selection, no sort of the map: a float32's bits, sign-flipped, order like its
 * value. One pass sets the +0 entries aside (a screenshot's map is mostly +0: they are counted, not
 * sorted) and, for the others, gathers their bits, counts the keys' top 16 bits, and takes the float64 sum
 * (in map order: adding +0 changes no sum) and the max; a second counts the low 16 bits of the gathered keys
 * in the few buckets that hold the wanted ranks. Undefined when no pixel is compared. NaN-free maps are
 * assumed (a NaN would order as the largest value).
 */
export function mapStats(
  map: Float32Array,
  mask?: Uint8Array,
  cells?: { width: number; threshold: number },
): MapStats | undefined {
  // The WebAssembly pass (+0 entries skipped four at a time; with `cells`, also marking the changed
  // regions' hot cells for the regions' pass that follows), or the same pass in JavaScript.
  const g =
    hostGather(map, mask, cells) ?? gather(map, new Int32Array(map.buffer, map.byteOffset, map.length), mask);
  const n = g.zeros + g.m;
  if (!n) return undefined;
  const qs = [0.5, 0.95, 0.99];
  const ranks = [...new Set(qs.flatMap((q) => [Math.floor(q * (n - 1)), Math.ceil(q * (n - 1))]))].sort(
    (a, b) => a - b,
  );
  // In the full order the +0 entries sit after the `neg` gathered keys below them (negatives and -0).
  const gathered = ranks
    .filter((r) => r < g.neg || r >= g.neg + g.zeros)
    .map((r) => (r < g.neg ? r : r - g.zeros));
  const order = orderStatistics(g.keys.subarray(0, g.m), g.counts, gathered);
  const valueAt = (r: number) =>
    r < g.neg ? order.get(r)! : r < g.neg + g.zeros ? 0 : order.get(r - g.zeros)!;
  const at = (q: number) => {
    const h = q * (n - 1),
      lo = Math.floor(h),
      t = h - lo,
      a = valueAt(lo),
      b = valueAt(Math.ceil(h));
    return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
  };
  return { mean: g.sum / n, median: at(0.5), p95: at(0.95), p99: at(0.99), max: maxOf(g) };
}

/** The max as one pass in map order finds it (`v > max`): among zeros, the first of +0 and -0 met. */
function maxOf(g: Gathered): number {
  if (!g.zeros || g.max > 0) return g.max;
  if (g.max < 0 || g.m === 0) return 0;
  // max is -0 and +0 entries exist: the one met first wins.
  return g.firstMinusZero < g.firstZero ? -0 : 0;
}

function valueOf(key: number): number {
  scratch[0] = key >= 0x80000000 ? key ^ 0x80000000 : ~key;
  return scratchF[0];
}

type Gathered = HostGathered;

/**
 * A float32's bits (as int32) become a uint32 key that orders as the value (negatives flipped, positives
 * signed): (b ^ ((b >> 31) | 0x80000000)) >>> 0, written out in the loops. One pass over the compared
 * entries: the +0 ones counted, the others gathered and their keys' top 16 bits counted; the float64 sum
 * and the max.
 */
function gather(map: Float32Array, bits: Int32Array, mask?: Uint8Array): Gathered {
  const counts = new Uint32Array(DIGIT);
  if (kept.length < map.length) kept = new Int32Array(map.length);
  const keys = kept;
  let sum = 0,
    max = -Infinity,
    m = 0,
    zeros = 0,
    neg = 0,
    firstZero = -1,
    firstMinusZero = -1;
  for (let i = 0; i < map.length; i++) {
    const b = bits[i];
    if (b === 0) {
      if (mask && !mask[i]) continue;
      if (zeros++ === 0) firstZero = i;
      continue;
    }
    if (mask && !mask[i]) continue;
    const v = map[i];
    keys[m++] = b;
    counts[(b ^ ((b >> 31) | 0x80000000)) >>> 16]++;
    sum += v;
    if (v > max) max = v;
    if (b < 0) {
      neg++;
      if (b === MINUS_ZERO && firstMinusZero < 0) firstMinusZero = i;
    }
  }
  return { keys, m, counts, zeros, neg, sum, max, firstZero, firstMinusZero };
}

/**
 * The values at the given 0-based ranks (ascending) of `keys`: a second pass counts the low 16 bits of the
 * keys in the few buckets that hold those ranks (one 2^16 histogram per bucket, in one flat array indexed by
 * local variables: no per-bucket arrays or sorts, whose writes through objects cost ~150 ms a 1280x720 map
 * whose values are mostly equal, against ~3 ms then, and less once its +0 entries were set aside).
 */
function orderStatistics(keys: Int32Array, counts: Uint32Array, ranks: number[]): Map<number, number> {
  if (!ranks.length) return new Map();
  // Each rank's bucket, and its rank inside that bucket.
  const where: { rank: number; bucket: number; within: number }[] = [];
  let below = 0,
    r = 0;
  for (let b = 0; b < DIGIT && r < ranks.length; b++) {
    while (r < ranks.length && ranks[r] < below + counts[b])
      where.push({ rank: ranks[r], bucket: b, within: ranks[r++] - below });
    below += counts[b];
  }
  const buckets = [...new Set(where.map((w) => w.bucket))];
  const slot = new Int32Array(DIGIT).fill(-1);
  buckets.forEach((b, j) => (slot[b] = j << 16));
  const low = new Uint32Array(buckets.length * DIGIT);
  for (let i = 0; i < keys.length; i++) {
    const b = keys[i]!,
      k = (b ^ ((b >> 31) | 0x80000000)) >>> 0,
      j = slot[k >>> 16]!;
    if (j >= 0) low[j | (k & 0xffff)]!++;
  }
  return new Map(where.map((w) => [w.rank, valueOf(select(low, slot[w.bucket]!, w.bucket, w.within))]));
}

/** The key of the given rank inside one bucket, from its low-16-bit histogram at `base` of `low`. */
function select(low: Uint32Array, base: number, bucket: number, rank: number): number {
  let below = 0,
    d = 0;
  while (below + low[base + d]! <= rank) below += low[base + d++]!;
  return ((bucket << 16) | d) >>> 0;
}
