import type { MapStats } from '../model.js';

export type { MapStats } from '../model.js';

/** Buckets per radix digit: a float32's order key is read 16 bits at a time. */
const DIGIT = 1 << 16;
/** Below this many keys a bucket is sorted; above, its low 16 bits are counted. */
const SORT_BELOW = 4096;
const scratch = new Int32Array(1);
const scratchF = new Float32Array(scratch.buffer);

/**
 * mean, median, p95, p99 and max of `map` (only where `mask` is nonzero), the percentiles exactly as
 * numpy.percentile's default (the order statistics at floor and ceil of q (n - 1), mixed as numpy's
 * `_lerp` does). Radix selection, no sort of the map: a float32's bits, sign-flipped, order like its
 * value, so one pass counts the top 16 bits of every key (with the float64 sum and the max), and a second
 * gathers the keys of the few buckets that hold the wanted ranks; those are resolved on the low 16 bits.
 * Undefined when no pixel is compared. NaN-free maps are assumed (a NaN would order as the largest value).
 */
export function mapStats(map: Float32Array, mask?: Uint8Array): MapStats | undefined {
  const bits = new Int32Array(map.buffer, map.byteOffset, map.length);
  const { counts, sum, max, n } = countHigh(map, bits, mask);
  if (!n) return undefined;
  const qs = [0.5, 0.95, 0.99];
  const ranks = [...new Set(qs.flatMap((q) => [Math.floor(q * (n - 1)), Math.ceil(q * (n - 1))]))].sort(
    (a, b) => a - b,
  );
  const order = orderStatistics(bits, mask, counts, ranks);
  const at = (q: number) => {
    const h = q * (n - 1),
      lo = Math.floor(h),
      t = h - lo,
      a = order.get(lo)!,
      b = order.get(Math.ceil(h))!;
    return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
  };
  return { mean: sum / n, median: at(0.5), p95: at(0.95), p99: at(0.99), max };
}

/** A float32's bits (as int32) to a uint32 that orders as the value: negatives flipped, positives signed. */
const keyOf = (b: number) => (b ^ ((b >> 31) | 0x80000000)) >>> 0;

function valueOf(key: number): number {
  scratch[0] = key >= 0x80000000 ? key ^ 0x80000000 : ~key;
  return scratchF[0];
}

/** One pass: counts of the keys' top 16 bits, the float64 sum, the max and the number compared. */
function countHigh(
  map: Float32Array,
  bits: Int32Array,
  mask?: Uint8Array,
): { counts: Uint32Array; sum: number; max: number; n: number } {
  const counts = new Uint32Array(DIGIT);
  let sum = 0,
    max = -Infinity,
    n = 0;
  if (mask) {
    for (let i = 0; i < map.length; i++) {
      if (!mask[i]) continue;
      const v = map[i],
        b = bits[i];
      counts[(b ^ ((b >> 31) | 0x80000000)) >>> 16]++;
      sum += v;
      if (v > max) max = v;
      n++;
    }
  } else {
    for (let i = 0; i < map.length; i++) {
      const v = map[i],
        b = bits[i];
      counts[(b ^ ((b >> 31) | 0x80000000)) >>> 16]++;
      sum += v;
      if (v > max) max = v;
    }
    n = map.length;
  }
  return { counts, sum, max, n };
}

/** The values at the given 0-based ranks (ascending) of the compared keys. */
function orderStatistics(
  bits: Int32Array,
  mask: Uint8Array | undefined,
  counts: Uint32Array,
  ranks: number[],
): Map<number, number> {
  // Each rank's bucket, and its rank inside that bucket.
  const where: { rank: number; bucket: number; within: number }[] = [];
  let below = 0,
    r = 0;
  for (let b = 0; b < DIGIT && r < ranks.length; b++) {
    while (r < ranks.length && ranks[r] < below + counts[b])
      where.push({ rank: ranks[r], bucket: b, within: ranks[r++] - below });
    below += counts[b];
  }
  // The keys of those few buckets, gathered in a second pass.
  const slot = new Int8Array(DIGIT).fill(-1);
  const buckets = [...new Set(where.map((w) => w.bucket))];
  const held = buckets.map((b, j) => ((slot[b] = j), { keys: new Uint32Array(counts[b]), n: 0 }));
  for (let i = 0; i < bits.length; i++) {
    if (mask && !mask[i]) continue;
    const k = keyOf(bits[i]),
      j = slot[k >>> 16];
    if (j >= 0) held[j].keys[held[j].n++] = k;
  }
  return new Map(where.map((w) => [w.rank, valueOf(select(held[buckets.indexOf(w.bucket)].keys, w.within))]));
}

/** The key of the given rank among keys that share their top 16 bits: sorted when few, else counted. */
function select(keys: Uint32Array, rank: number): number {
  if (keys.length < SORT_BELOW) return keys.sort()[rank];
  const low = new Uint32Array(DIGIT);
  for (let i = 0; i < keys.length; i++) low[keys[i] & 0xffff]++;
  let below = 0,
    d = 0;
  while (below + low[d] <= rank) below += low[d++];
  return ((keys[0] & 0xffff0000) | d) >>> 0;
}
