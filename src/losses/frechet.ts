/**
 * Fréchet distance of two Gaussians in float64 (pytorch-fid's calculate_frechet_distance):
 *   FID = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr sqrtm(S1 S2)
 * S1 and S2 are symmetric positive semidefinite, so the eigenvalues of S1 S2 are real and >= 0 and
 *   tr sqrtm(S1 S2) = sum_i sqrt(lambda_i(S1 S2)) = sum_i sqrt(lambda_i(C S2 C^T))   where S1 = C^T C;
 * C (r x d) comes from a pivoted Cholesky factorisation of S1 that stops at S1's numerical rank r, and
 * C S2 C^T (r x r) is symmetric, so its eigenvalues come from a Householder tridiagonalisation and the
 * implicit QL iteration. scipy's sqrtm (Schur form) returns the same trace; where roundoff makes an
 * eigenvalue slightly negative, its square root's real part (what pytorch-fid keeps) is 0, as here.
 * Statistics are sufficient sums (count, sum, sum of outer products), so shards merge exactly.
 */

/**
 * Sufficient statistics of a set of d-dimensional float32 features: count n, sum_i x_i and
 * sum_i x_i x_i^T, each held as an unevaluated sum hi + lo of two float64 arrays. A product of two float32
 * values is exact in float64, and each addition keeps its rounding error in lo (Knuth's TwoSum), so the
 * sums are exact to ~2^-106 whatever the order of the images: one run, or shards merged in any order,
 * give the same float64 statistics (and so the same FID), bit for bit.
 */
export interface FeatureSums {
  dims: number;
  count: number;
  sum: Float64Array;
  sumLo: Float64Array;
  /** d x d, row-major, symmetric */
  outer: Float64Array;
  outerLo: Float64Array;
}

export interface Gaussian {
  mu: Float64Array;
  sigma: Float64Array;
}

export function emptySums(dims: number): FeatureSums {
  const v = () => new Float64Array(dims),
    m = () => new Float64Array(dims * dims);
  return { dims, count: 0, sum: v(), sumLo: v(), outer: m(), outerLo: m() };
}

/** hi[k] + lo[k] += p, keeping hi's rounding error in lo (TwoSum). */
function twoSumInto(hi: Float64Array, lo: Float64Array, k: number, p: number): void {
  const a = hi[k];
  const s = a + p;
  const b = s - a;
  lo[k] += a - (s - b) + (p - b);
  hi[k] = s;
}

/** Images per block of addFeatures (the block's features, transposed to float64, stay in cache). */
const SUM_BLOCK = 128;

/**
 * Adds float32 feature rows (row-major, n x d) to `s`. The same TwoSums, in the same (image) order, per
 * element as one image at a time, so the result is bit for bit the same; but a block of images is
 * transposed (xt[i][r] = x_r[i]) and each element's running hi + lo stays in registers over the block
 * (two elements at a time, independent chains), instead of a pass over the d x d arrays per image.
 */
export function addFeatures(s: FeatureSums, rows: Float32Array, n: number): FeatureSums {
  const d = s.dims;
  for (let r0 = 0; r0 < n; r0 += SUM_BLOCK) {
    const b = Math.min(SUM_BLOCK, n - r0);
    const xt = new Float64Array((d + 1) * b).fill(1, d * b); // row d: ones, so x_i 1 sums x_i
    for (let r = 0; r < b; r++) for (let i = 0; i < d; i++) xt[i * b + r] = rows[(r0 + r) * d + i];
    for (let i = 0; i < d; i++) {
      twoSumRows(s.sum, s.sumLo, i, i, xt, i * b, d * b, d * b, b);
      let j = i;
      for (; j + 1 < d; j += 2)
        twoSumRows(s.outer, s.outerLo, i * d + j, i * d + j + 1, xt, i * b, j * b, j * b + b, b);
      if (j < d) twoSumRows(s.outer, s.outerLo, i * d + j, i * d + j, xt, i * b, j * b, j * b, b);
    }
  }
  s.count += n;
  return s;
}

/**
 * (hi + lo)[k] += sum_r x[xi + r] x[xj + r] and (hi + lo)[l] += sum_r x[xi + r] x[xl + r], r = 0..b-1 in
 * order, by TwoSum; where k === l, only k (the second chain then repeats the first's arithmetic).
 */
function twoSumRows(
  hiA: Float64Array,
  loA: Float64Array,
  k: number,
  l: number,
  x: Float64Array,
  xi: number,
  xj: number,
  xl: number,
  b: number,
): void {
  let h1 = hiA[k],
    l1 = loA[k],
    h2 = hiA[l],
    l2 = loA[l];
  for (let r = 0; r < b; r++) {
    const xr = x[xi + r];
    const p = xr * x[xj + r],
      q = xr * x[xl + r];
    const t = h1 + p,
      u = h2 + q;
    const v = t - h1,
      w = u - h2;
    l1 += h1 - (t - v) + (p - v);
    l2 += h2 - (u - w) + (q - w);
    h1 = t;
    h2 = u;
  }
  hiA[k] = h1;
  loA[k] = l1;
  hiA[l] = h2;
  loA[l] = l2;
}

export const sumsOf = (rows: Float32Array, n: number, d: number): FeatureSums =>
  addFeatures(emptySums(d), rows, n);

/** The statistics of the union of two parts (shards) of one set. */
export function mergeSums(a: FeatureSums, b: FeatureSums): FeatureSums {
  if (a.dims !== b.dims) throw new Error(`cannot merge ${a.dims}- and ${b.dims}-dimensional statistics`);
  const out = emptySums(a.dims);
  out.count = a.count + b.count;
  const add = (hi: Float64Array, lo: Float64Array, x: FeatureSums, key: 'sum' | 'outer') => {
    const xh = x[key],
      xl = x[key === 'sum' ? 'sumLo' : 'outerLo'];
    for (let k = 0; k < xh.length; k++) {
      twoSumInto(hi, lo, k, xh[k]);
      lo[k] += xl[k];
    }
  };
  for (const x of [a, b]) {
    add(out.sum, out.sumLo, x, 'sum');
    add(out.outer, out.outerLo, x, 'outer');
  }
  return out;
}

/** mean and np.cov(rowvar=False): mu = S / n, sigma_ij = (P_ij - S_i S_j / n) / (n - 1). Needs n >= 2. */
export function gaussianOf(s: FeatureSums): Gaussian {
  const { dims: d, count: n } = s;
  const sum = s.sum.map((v, i) => v + s.sumLo[i]);
  const sigma = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = i; j < d; j++) {
      const k = i * d + j;
      sigma[k] = sigma[j * d + i] = (s.outer[k] + s.outerLo[k] - (sum[i] * sum[j]) / n) / (n - 1);
    }
  return { mu: sum.map((v) => v / n), sigma };
}

/**
 * Pivoted Cholesky: rows c_k (each of length d) with S = sum_k c_k c_k^T, stopping when the largest remaining
 * diagonal is <= d * 2^-52 * max diag(S) (S's numerical rank). Returns the r x d matrix C.
 */
export function pivotedCholesky(s: Float64Array, d: number): { c: Float64Array; rank: number } {
  const diag = new Float64Array(d);
  let maxDiag = 0;
  for (let i = 0; i < d; i++) maxDiag = Math.max(maxDiag, (diag[i] = s[i * d + i]));
  const tol = d * 2 ** -52 * maxDiag;
  const used = new Uint8Array(d);
  const rows: Float64Array[] = [];
  for (let k = 0; k < d; k++) {
    let p = -1;
    for (let i = 0; i < d; i++) if (!used[i] && (p < 0 || diag[i] > diag[p])) p = i;
    if (p < 0 || !(diag[p] > tol)) break;
    const piv = Math.sqrt(diag[p]);
    // c_i = (S_ip - sum_m r_m[i] r_m[p]) / piv, the sum taken over the earlier rows in order (row by row,
    // so each pass reads one contiguous row)
    const c = s.slice(p * d, (p + 1) * d);
    for (const r of rows) {
      const rp = r[p];
      for (let i = 0; i < d; i++) c[i] -= r[i] * rp;
    }
    for (let i = 0; i < d; i++) c[i] = used[i] ? 0 : i === p ? piv : c[i] / piv;
    used[p] = 1;
    for (let i = 0; i < d; i++) if (!used[i]) diag[i] -= c[i] * c[i];
    rows.push(c);
  }
  const out = new Float64Array(rows.length * d);
  rows.forEach((r, k) => out.set(r, k * d));
  return { c: out, rank: rows.length };
}

/**
 * C S C^T for C (r x d) and symmetric S (d x d), symmetrised. T = C S as dot products of rows,
 * T_ki = sum_j C_kj S_ij (S_ij = S_ji), j in order; two rows of C by two of S at a time, so that each
 * row read serves two products.
 */
export function congruence(c: Float64Array, r: number, s: Float64Array, d: number): Float64Array {
  const t = new Float64Array(r * d);
  for (let k = 0; k < r; k += 2) {
    const k2 = Math.min(k + 1, r - 1);
    for (let i = 0; i < d; i += 2) {
      const i2 = Math.min(i + 1, d - 1);
      const [a, b, e, f] = dot2x2(c, k * d, k2 * d, s, i * d, i2 * d, d);
      t[k * d + i] = a;
      t[k * d + i2] = b;
      t[k2 * d + i] = e;
      t[k2 * d + i2] = f;
    }
  }
  const m = new Float64Array(r * r);
  for (let a = 0; a < r; a += 2) {
    const a2 = Math.min(a + 1, r - 1); // row a2's entry at b = a is below the diagonal: replaced below
    for (let b = a; b < r; b += 2) {
      const b2 = Math.min(b + 1, r - 1);
      const [v, w, x, y] = dot2x2(t, a * d, a2 * d, c, b * d, b2 * d, d);
      m[a * r + b] = v;
      m[a * r + b2] = w;
      m[a2 * r + b] = x;
      m[a2 * r + b2] = y;
    }
  }
  for (let a = 0; a < r; a++) for (let b = a + 1; b < r; b++) m[b * r + a] = m[a * r + b];
  return m;
}

/** The four dot products (each summed in index order) of rows x[a..], x[b..] with y[c..], y[e..] (length n). */
function dot2x2(
  x: Float64Array,
  a: number,
  b: number,
  y: Float64Array,
  c: number,
  e: number,
  n: number,
): [number, number, number, number] {
  let ac = 0,
    ae = 0,
    bc = 0,
    be = 0;
  for (let j = 0; j < n; j++) {
    const xa = x[a + j],
      xb = x[b + j],
      yc = y[c + j],
      ye = y[e + j];
    ac += xa * yc;
    ae += xa * ye;
    bc += xb * yc;
    be += xb * ye;
  }
  return [ac, ae, bc, be];
}

/**
 * Householder reduction of the symmetric n x n matrix `a` (overwritten) to tridiagonal form T = H^T a H:
 * diagonal `d` and off-diagonal `e` (e[i] couples i and i + 1; e[n - 1] = 0). Step k reflects column k
 * below the diagonal onto its first entry: v = x - alpha e1 normalised, alpha = -sign(x0) |x|; with
 * p = A v, K = v^T p, w = p - K v, the trailing block becomes A - 2 v w^T - 2 w v^T.
 */
export function tridiagonalize(a: Float64Array, n: number): { d: Float64Array; e: Float64Array } {
  const e = new Float64Array(n);
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    let norm = 0;
    for (let i = k + 1; i < n; i++) norm += a[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    const x0 = a[(k + 1) * n + k];
    const alpha = x0 > 0 ? -norm : norm;
    e[k] = alpha;
    for (let i = k + 1; i < n; i++) v[i] = a[i * n + k];
    v[k + 1] -= alpha;
    let vn = 0;
    for (let i = k + 1; i < n; i++) vn += v[i] * v[i];
    if (vn === 0) {
      e[k] = x0;
      continue;
    }
    vn = Math.sqrt(vn);
    for (let i = k + 1; i < n; i++) v[i] /= vn;
    reflect(a, n, k + 1, v, w);
  }
  if (n >= 2) e[n - 2] = a[(n - 1) * n + (n - 2)];
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = a[i * n + i];
  return { d, e };
}

/** A[s:, s:] -= 2 v w^T + 2 w v^T with p = A v, w = p - (v^T p) v (v unit, indices >= s). */
function reflect(a: Float64Array, n: number, s: number, v: Float64Array, w: Float64Array): void {
  let kk = 0;
  for (let i = s; i < n; i++) {
    let p = 0;
    for (let j = s; j < n; j++) p += a[i * n + j] * v[j];
    w[i] = p;
    kk += v[i] * p;
  }
  for (let i = s; i < n; i++) w[i] -= kk * v[i];
  for (let i = s; i < n; i++) {
    const vi = 2 * v[i],
      wi = 2 * w[i];
    for (let j = s; j < n; j++) a[i * n + j] -= vi * w[j] + wi * v[j];
  }
}

/** Eigenvalues of the symmetric tridiagonal (d, e) by the implicit QL iteration with Wilkinson shifts. */
export function tridiagonalEigenvalues(d0: Float64Array, e0: Float64Array): Float64Array {
  const d = Float64Array.from(d0),
    e = Float64Array.from(e0);
  const n = d.length;
  for (let l = 0; l < n; l++) {
    for (let iter = 0; ; iter++) {
      let m = l;
      for (; m < n - 1; m++) if (Math.abs(e[m]) <= 2 ** -52 * (Math.abs(d[m]) + Math.abs(d[m + 1]))) break;
      if (m === l) break;
      if (iter === 60) throw new Error('tridiagonal QL did not converge');
      qlStep(d, e, l, m);
    }
  }
  return d;
}

/** One implicit QL sweep over rows l..m (Numerical Recipes' tqli inner loop, without eigenvectors). */
function qlStep(d: Float64Array, e: Float64Array, l: number, m: number): void {
  let g = (d[l + 1] - d[l]) / (2 * e[l]);
  let r = Math.hypot(g, 1);
  g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
  let s = 1,
    c = 1,
    p = 0;
  for (let i = m - 1; i >= l; i--) {
    const f = s * e[i],
      b = c * e[i];
    e[i + 1] = r = Math.hypot(f, g);
    if (r === 0) {
      d[i + 1] -= p;
      e[m] = 0;
      return;
    }
    s = f / r;
    c = g / r;
    g = d[i + 1] - p;
    r = (d[i] - g) * s + 2 * c * b;
    d[i + 1] = g + (p = s * r);
    g = c * r - b;
  }
  d[l] -= p;
  e[l] = g;
  e[m] = 0;
}

/** tr sqrtm(S1 S2) for symmetric positive semidefinite S1, S2 (d x d). */
export function traceSqrtProduct(s1: Float64Array, s2: Float64Array, d: number): number {
  const { c, rank } = pivotedCholesky(s1, d);
  if (rank === 0) return 0;
  const m = congruence(c, rank, s2, d);
  const { d: diag, e } = tridiagonalize(m, rank);
  let t = 0;
  for (const lambda of tridiagonalEigenvalues(diag, e)) if (lambda > 0) t += Math.sqrt(lambda);
  return t;
}

/** pytorch-fid's calculate_frechet_distance (eps: the diagonal offset used when the result is not finite). */
export function frechetDistance(a: Gaussian, b: Gaussian, eps = 1e-6): number {
  const d = a.mu.length;
  if (b.mu.length !== d) throw new Error(`statistics of ${d} and ${b.mu.length} dimensions`);
  let diff = 0,
    tr = 0;
  for (let i = 0; i < d; i++) {
    diff += (a.mu[i] - b.mu[i]) ** 2;
    tr += a.sigma[i * d + i] + b.sigma[i * d + i];
  }
  let covmean = traceSqrtProduct(a.sigma, b.sigma, d);
  if (!Number.isFinite(covmean)) {
    const offset = (s: Float64Array) => s.map((v, i) => (i % (d + 1) === 0 ? v + eps : v));
    covmean = traceSqrtProduct(offset(a.sigma), offset(b.sigma), d);
  }
  return diff + tr - 2 * covmean;
}

/** Numerical rank of a covariance (its pivoted Cholesky's), for the rank-deficiency warning. */
export function covarianceRank(sigma: Float64Array, d: number): number {
  return pivotedCholesky(sigma, d).rank;
}

/** Eigenvalue square roots' sum of the symmetric n x n matrix `a` (overwritten): tr sqrtm(a). */
function traceSqrt(a: Float64Array, n: number): number {
  if (n === 0) return 0;
  const { d, e } = tridiagonalize(a, n);
  let t = 0;
  for (const lambda of tridiagonalEigenvalues(d, e)) if (lambda > 0) t += Math.sqrt(lambda);
  return t;
}

/**
 * FID of the Gaussian `a` against each resample of the rows of `x` (n x d, float32): resample b takes the rows
 * `picks[b]` (repeats allowed), as frechetDistance(a, gaussianOf(sumsOf(those rows))) would, without forming
 * a d x d covariance per resample. With S1 = C^T C (pivoted Cholesky, once) and P = X C^T (n x r, once), a
 * resample's centred rows B = (X_pick - mean) / sqrt(m - 1) give C S2 C^T = G^T G with G = B C^T, the picked
 * rows of P centred and scaled, so tr sqrtm(S1 S2) is the sum of the roots of the eigenvalues of the smaller
 * of G^T G (r x r) and G G^T (m x m). A resample costs O(m d + m r min(m, r)) instead of O(m d^2 + d^2 r).
 */
export function resampledFrechet(a: Gaussian, x: Float32Array, n: number, picks: number[][]): number[] {
  const d = a.mu.length;
  const { c, rank: r } = pivotedCholesky(a.sigma, d);
  let trA = 0;
  for (let i = 0; i < d; i++) trA += a.sigma[i * d + i];
  const p = new Float64Array(n * r);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < r; k++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += x[i * d + t] * c[k * d + t];
      p[i * r + k] = s;
    }
  return picks.map((idx) => {
    const m = idx.length;
    const mu = new Float64Array(d);
    for (const j of idx) for (let t = 0; t < d; t++) mu[t] += x[j * d + t];
    let diff = 0,
      trB = 0;
    for (let t = 0; t < d; t++) diff += (a.mu[t] - (mu[t] /= m)) ** 2;
    for (const j of idx) for (let t = 0; t < d; t++) trB += (x[j * d + t] - mu[t]) ** 2;
    return diff + trA + trB / (m - 1) - 2 * traceSqrt(centredGram(p, r, idx), Math.min(m, r));
  });
}

/** G^T G (r x r) or G G^T (m x m), the smaller, of G = the picked rows of P centred, over sqrt(m - 1). */
function centredGram(p: Float64Array, r: number, idx: number[]): Float64Array {
  const m = idx.length;
  const pm = new Float64Array(r);
  for (const j of idx) for (let k = 0; k < r; k++) pm[k] += p[j * r + k];
  for (let k = 0; k < r; k++) pm[k] /= m;
  const g = new Float64Array(m * r);
  const scale = 1 / Math.sqrt(m - 1);
  idx.forEach((j, i) => {
    for (let k = 0; k < r; k++) g[i * r + k] = (p[j * r + k] - pm[k]) * scale;
  });
  const small = Math.min(m, r);
  const out = new Float64Array(small * small);
  for (let u = 0; u < small; u++)
    for (let v = u; v < small; v++) {
      let s = 0;
      if (r <= m) for (let i = 0; i < m; i++) s += g[i * r + u] * g[i * r + v];
      else for (let k = 0; k < r; k++) s += g[u * r + k] * g[v * r + k];
      out[u * small + v] = out[v * small + u] = s;
    }
  return out;
}
