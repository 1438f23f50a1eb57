import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeNpy } from '../../src/io/npy.js';
import {
  frechetDistance,
  gaussianOf,
  mergeSums,
  sumsOf,
  traceSqrtProduct,
} from '../../src/losses/frechet.js';
import { kernelInceptionDistance } from '../../src/losses/kid.js';
import { fixture, relErr } from '../helpers.js';
import { FID_REF } from './fid-ref.js';

const npy = (p: string) => decodeNpy(readFileSync(fixture(`fixtures/${p}`)));

test('tr sqrtm(S1 S2) of diagonal and rank-1 matrices, by hand', () => {
  // diag(4, 9) diag(1, 4) = diag(4, 36): sqrt trace 2 + 6 = 8
  assert.ok(
    Math.abs(traceSqrtProduct(Float64Array.of(4, 0, 0, 9), Float64Array.of(1, 0, 0, 4), 2) - 8) < 1e-12,
  );
  // u u^T v v^T with u = (1, 2), v = (3, 1): eigenvalue (u.v)^2 = 25, sqrt 5
  const uu = Float64Array.of(1, 2, 2, 4),
    vv = Float64Array.of(9, 3, 3, 1);
  assert.ok(Math.abs(traceSqrtProduct(uu, vv, 2) - 5) < 1e-12);
  // a full 3x3 case: S1 = S2 = S, so tr sqrtm(S S) = tr S = 6
  const s = Float64Array.of(2, 1, 0, 1, 2, 1, 0, 1, 2);
  assert.ok(Math.abs(traceSqrtProduct(s, s, 3) - 6) < 1e-12);
});

test('FID and KID of pytorch-fid features equal pytorch-fid and numpy', async (t) => {
  for (const [kind, c] of Object.entries(FID_REF.cases))
    for (const [dims, ref] of Object.entries(c.dims))
      await t.test(`${kind} dims ${dims}`, () => {
        const d = Number(dims);
        const r = npy(ref.features.real),
          f = npy(ref.features.fake);
        const nr = r.shape[0],
          nf = f.shape[0];
        const fid = frechetDistance(gaussianOf(sumsOf(r.data, nr, d)), gaussianOf(sumsOf(f.data, nf, d)));
        // pytorch-fid's sqrtm moves FID by up to 8e-5 when n < d; fidExact is the n x n eigenproblem's value.
        assert.ok(relErr(fid, ref.fid) <= (d === 2048 ? 1e-3 : 1e-4), `FID ${fid} vs pytorch-fid ${ref.fid}`);
        assert.ok(relErr(fid, ref.fidExact) <= 1e-6, `FID ${fid} vs exact ${ref.fidExact}`);
        const kid = kernelInceptionDistance(r.data, nr, f.data, nf, d, { ...ref.kidFull, subsetSize: 1e6 });
        assert.equal(kid.subsetSize, ref.kidFull.subsetSize);
        assert.ok(relErr(kid.kid, ref.kidFull.kid) <= 1e-6, `KID ${kid.kid} vs numpy ${ref.kidFull.kid}`);
        assert.equal(kid.std, 0);
        if (ref.kidSubsets) {
          const k = kernelInceptionDistance(r.data, nr, f.data, nf, d, ref.kidSubsets);
          assert.ok(relErr(k.kid, ref.kidSubsets.kid) <= 1e-6, `KID mean ${k.kid} vs ${ref.kidSubsets.kid}`);
          assert.ok(relErr(k.std, ref.kidSubsets.std) <= 1e-6, `KID std ${k.std} vs ${ref.kidSubsets.std}`);
        }
      });
});

test('sums of three shards merge to the single run exactly (1e-9)', () => {
  const ref = FID_REF.cases.many.dims['64'];
  const r = npy(ref.features.real),
    f = npy(ref.features.fake);
  const whole = frechetDistance(gaussianOf(sumsOf(r.data, 70, 64)), gaussianOf(sumsOf(f.data, 70, 64)));
  const part = (lo: number, hi: number) => sumsOf(r.data.subarray(lo * 64, hi * 64), hi - lo, 64);
  const merged = mergeSums(mergeSums(part(0, 20), part(20, 45)), part(45, 70));
  const fid = frechetDistance(gaussianOf(merged), gaussianOf(sumsOf(f.data, 70, 64)));
  assert.ok(relErr(fid, whole) <= 1e-9, `${fid} vs ${whole}`);
});
