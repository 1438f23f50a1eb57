/**
 * Kernel Inception Distance as torch-fidelity computes it (kid.py): polynomial kernel k(x, y) = (x.y / d + 1)^3,
 * the unbiased MMD^2 of two equal-size subsets
 *   MMD^2 = (sum_{i != j} k(x_i, x_j) + sum_{i != j} k(y_i, y_j)) / (m (m - 1)) - 2 sum_{i, j} k(x_i, y_j) / m^2
 * and the mean and (population, np.std) standard deviation over `subsets` subsets of `subsetSize` drawn
 * without replacement from each set; subsetSize is capped at the smaller set, and one subset of the whole
 * sets is the deterministic full-set estimate. The dot products are computed once for all pairs (float64).
 * The subsets are torch-fidelity's: `rng = np.random.RandomState(seed)`, then per subset
 * `rng.choice(nx, size, replace=False)` for the real side and `rng.choice(ny, size, replace=False)` for the
 * fake side (numpy-random.ts), so a seed picks the images torch-fidelity picks.
 */
import { LegacyRandomState } from './numpy-random.js';

export interface KidResult {
  kid: number;
  std: number;
  subsets: number;
  subsetSize: number;
}

export interface KidOptions {
  subsets: number;
  subsetSize: number;
  seed: number;
}

/** torch-fidelity's defaults (kid_subsets 100, kid_subset_size 1000, rng_seed 2020). */
export const KID_DEFAULTS: KidOptions = { subsets: 100, subsetSize: 1000, seed: 2020 };

/** A 32-bit integer hash (the bootstrap's resampling in cli/fid/report.ts). */
export function lowbias32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** Gram matrix a b^T (float64) of row-major feature sets a (na x d) and b (nb x d). */
export function gram(
  a: ArrayLike<number>,
  na: number,
  b: ArrayLike<number>,
  nb: number,
  d: number,
): Float64Array {
  const g = new Float64Array(na * nb);
  const x = new Float64Array(d);
  for (let i = 0; i < na; i++) {
    for (let t = 0; t < d; t++) x[t] = a[i * d + t];
    for (let j = 0; j < nb; j++) {
      let v = 0;
      for (let t = 0; t < d; t++) v += x[t] * b[j * d + t];
      g[i * nb + j] = v;
    }
  }
  return g;
}

/** The unbiased MMD^2 of the subsets `ix` of X and `iy` of Y, from the precomputed dot products. */
function mmd2(
  gxx: Float64Array,
  gyy: Float64Array,
  gxy: Float64Array,
  n: [number, number],
  ix: number[],
  iy: number[],
  d: number,
): number {
  const k = (dot: number) => (dot / d + 1) ** 3;
  const m = ix.length;
  let sxx = 0,
    syy = 0,
    sxy = 0;
  for (let a = 0; a < m; a++)
    for (let b = 0; b < m; b++) {
      if (a !== b) {
        sxx += k(gxx[ix[a] * n[0] + ix[b]]);
        syy += k(gyy[iy[a] * n[1] + iy[b]]);
      }
      sxy += k(gxy[ix[a] * n[1] + iy[b]]);
    }
  return (sxx + syy) / (m * (m - 1)) - (2 * sxy) / (m * m);
}

/** KID of feature sets x (nx x d) and y (ny x d), row-major. */
export function kernelInceptionDistance(
  x: ArrayLike<number>,
  nx: number,
  y: ArrayLike<number>,
  ny: number,
  d: number,
  opt: KidOptions = KID_DEFAULTS,
): KidResult {
  const size = Math.min(opt.subsetSize, nx, ny);
  if (size < 2) throw new Error('KID needs at least 2 features on each side');
  const gxx = gram(x, nx, x, nx, d),
    gyy = gram(y, ny, y, ny, d),
    gxy = gram(x, nx, y, ny, d);
  const mmds: number[] = [];
  const rng = new LegacyRandomState(opt.seed);
  for (let s = 0; s < opt.subsets; s++) {
    const ix = rng.choice(nx, size);
    const iy = rng.choice(ny, size);
    mmds.push(mmd2(gxx, gyy, gxy, [nx, ny], ix, iy, d));
  }
  const mean = mmds.reduce((a, b) => a + b, 0) / mmds.length;
  const std = Math.sqrt(mmds.reduce((a, b) => a + (b - mean) ** 2, 0) / mmds.length);
  return { kid: mean, std, subsets: opt.subsets, subsetSize: size };
}
