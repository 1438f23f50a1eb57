import { test } from 'node:test';
import assert from 'node:assert/strict';
import { congruence, pivotedCholesky, sumsOf } from '../../src/losses/frechet.js';

/** Seeded float32 features spanning several binades (so that TwoSum's low parts are not all zero). */
function features(n: number, d: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n * d }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s >>> 8) / 2 ** 24) * 2 ** ((s & 15) - 6);
  });
}

test('sumsOf (blocked) equals one image at a time with TwoSum per element, bit for bit', () => {
  // The reference: the definition, written out here (TwoSum: s = a + p, b = s - a, err = a - (s - b) + (p - b)).
  const n = 300,
    d = 7; // more than one block of images, an odd dimension
  const x = features(n, d, 3);
  const hi = new Float64Array(d * d),
    lo = new Float64Array(d * d),
    sh = new Float64Array(d),
    sl = new Float64Array(d);
  const add = (h: Float64Array, l: Float64Array, k: number, p: number) => {
    const a = h[k],
      s = a + p,
      b = s - a;
    l[k] += a - (s - b) + (p - b);
    h[k] = s;
  };
  for (let r = 0; r < n; r++)
    for (let i = 0; i < d; i++) {
      add(sh, sl, i, x[r * d + i]);
      for (let j = i; j < d; j++) add(hi, lo, i * d + j, x[r * d + i] * x[r * d + j]);
    }
  const got = sumsOf(x, n, d);
  assert.equal(got.count, n);
  assert.deepEqual([...got.sum], [...sh]);
  assert.deepEqual([...got.sumLo], [...sl]);
  for (let i = 0; i < d; i++)
    for (let j = i; j < d; j++) {
      assert.equal(got.outer[i * d + j], hi[i * d + j], `outer ${i},${j}`);
      assert.equal(got.outerLo[i * d + j], lo[i * d + j], `outerLo ${i},${j}`);
    }
  assert.ok(
    lo.some((v) => v !== 0),
    'the low parts are exercised',
  );
});

test('pivoted Cholesky reproduces S, and C S C^T equals the triple loop, at odd sizes', () => {
  const n = 5,
    d = 9; // rank 5 < d: the factorisation stops early
  const x = features(n, d, 11);
  const s = new Float64Array(d * d);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) s[i * d + j] += x[r * d + i] * x[r * d + j];
  const { c, rank } = pivotedCholesky(s, d);
  assert.equal(rank, n);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let v = 0;
      for (let k = 0; k < rank; k++) v += c[k * d + i] * c[k * d + j];
      assert.ok(Math.abs(v - s[i * d + j]) <= 1e-12 * (s[i * d + i] + s[j * d + j]), `S ${i},${j}`);
    }
  const s2 = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) s2[i * d + j] = 1 / (1 + i + j); // Hilbert, symmetric
  const m = congruence(c, rank, s2, d);
  for (let a = 0; a < rank; a++)
    for (let b = 0; b < rank; b++) {
      let v = 0;
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) v += c[a * d + i] * s2[i * d + j] * c[b * d + j];
      assert.ok(
        Math.abs(m[a * rank + b] - v) <= 1e-12 * Math.abs(v),
        `M ${a},${b}: ${m[a * rank + b]} vs ${v}`,
      );
    }
});
