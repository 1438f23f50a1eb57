/**
 * numpy's legacy `np.random.RandomState(seed)`, as far as torch-fidelity's KID uses it:
 * `rng.choice(n, size, replace=False)`, which is `rng.permutation(n)[:size]`.
 *
 * - Generator: MT19937 (Matsumoto & Nishimura), seeded from a 32-bit integer by the reference init_genrand
 *   recurrence mt[i] = 1812433253 (mt[i-1] ^ (mt[i-1] >>> 30)) + i; outputs tempered 32-bit words.
 * - permutation(n): arange(n) shuffled in place by the legacy shuffle: for i = n-1 down to 1, swap i with
 *   j = interval(i).
 * - interval(max): numpy's legacy bounded integer in [0, max]: mask = the smallest 2^k - 1 >= max, draw
 *   32-bit words (max < 2^32 here) and keep the first whose `& mask` is <= max (rejection, no modulo).
 * Written from those definitions (numpy's _mt19937.pyx, distributions.c, mtrand.pyx), not from their code.
 */
const N = 624;
const M = 397;

export class LegacyRandomState {
  private readonly mt = new Uint32Array(N);
  private pos = N;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new RangeError(`seed must be an integer in [0, 2^32 - 1], got ${seed}`);
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** Refills the state (the generator's "twist"). */
  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < N; i++) {
      const y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
      mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.pos = 0;
  }

  /** The next tempered 32-bit output (numpy's next_uint32, Python's getrandbits(32)). */
  nextUint32(): number {
    if (this.pos >= N) this.twist();
    let y = this.mt[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A uniform integer in [0, max] by masked rejection (numpy's legacy random_interval), max < 2^32. */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    for (const s of [1, 2, 4, 8, 16]) mask |= mask >>> s;
    mask >>>= 0;
    for (;;) {
      const v = (this.nextUint32() & mask) >>> 0;
      if (v <= max) return v;
    }
  }

  /** `rng.permutation(n)`: 0..n-1 shuffled by the legacy in-place shuffle. */
  permutation(n: number): number[] {
    const a = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.interval(i);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }

  /** `rng.choice(n, size, replace=False)`. */
  choice(n: number, size: number): number[] {
    if (size > n) throw new RangeError(`cannot take ${size} of ${n} without replacement`);
    return this.permutation(n).slice(0, size);
  }
}
