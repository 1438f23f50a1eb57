import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeNpy } from '../../src/io/npy.js';
import { frechetDistance, gaussianOf, resampledFrechet, sumsOf } from '../../src/losses/frechet.js';
import { fixture, relErr } from '../helpers.js';
import { FID_REF } from './fid-ref.js';

/**
 * The bootstrap's resampled FID (no d x d covariance per resample) against the direct path on the same rows:
 * the resample's own sums, gaussianOf and frechetDistance (pytorch-fid's calculate_frechet_distance within
 * 1e-4 / 1e-3 in fid-stats.test.ts), on pytorch-fid's committed features: 70 images at 64 dimensions (full
 * rank) and 7 at 2048 (rank-deficient).
 */
const npy = (p: string) => decodeNpy(readFileSync(fixture(`fixtures/${p}`)));

test('resampledFrechet equals frechetDistance of the resampled rows (1e-7 relative: float64 roundoff)', () => {
  for (const [kind, dims] of [
    ['many', 64],
    ['mixed', 2048],
    ['mixed', 64],
  ] as const) {
    const ref = FID_REF.cases[kind].dims[String(dims)];
    const r = npy(ref.features.real),
      f = npy(ref.features.fake);
    const n = f.shape[0];
    const real = gaussianOf(sumsOf(r.data, r.shape[0], dims));
    // Resamples with repeats, a permutation, and the identity (the plain FID).
    const picks = [
      Array.from({ length: n }, (_, i) => (i * 7 + 3) % n),
      Array.from({ length: n }, (_, i) => Math.floor(i / 2)),
      Array.from({ length: n }, (_, i) => i),
    ];
    const got = resampledFrechet(real, f.data, n, picks);
    picks.forEach((idx, b) => {
      const rows = new Float32Array(n * dims);
      idx.forEach((j, i) => rows.set(f.data.subarray(j * dims, (j + 1) * dims), i * dims));
      const want = frechetDistance(real, gaussianOf(sumsOf(rows, n, dims)));
      assert.ok(relErr(got[b], want) <= 1e-7, `${kind} ${dims} resample ${b}: ${got[b]} vs ${want}`);
    });
  }
});
