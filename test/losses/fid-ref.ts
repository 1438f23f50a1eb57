import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixture } from '../helpers.js';
import { writeSeededInception } from './seeded-inception.js';

/** fixtures/make_fid_fixtures.py: pytorch-fid's features, calculate_frechet_distance and numpy's KID. */
export interface FidRef {
  cases: Record<
    string,
    {
      real: string[];
      fake: string[];
      dims: Record<
        string,
        {
          features: { real: string; fake: string };
          fid: number;
          fidExact: number;
          kidFull: { kid: number; std: number; subsets: number; subsetSize: number; seed: number };
          kidSubsets?: {
            kid: number;
            std: number;
            subsets: number;
            subsetSize: number;
            seed: number;
            /** Per subset, numpy's RandomState(seed).choice draws: [real indices, fake indices]. */
            indices: [number[], number[]][];
          };
        }
      >;
    }
  >;
  /** numpy's legacy RandomState(seed): `times` successive choice(n, size, replace=False) draws. */
  randomState: { seed: number; n: number; size: number; draws: number[][] }[];
}
export const FID_REF = JSON.parse(readFileSync(fixture('fixtures/reference/fid/fid.json'), 'utf8')) as FidRef;

/** The largest feature difference relative to the largest reference feature (one image's features). */
export function featureErr(got: Float32Array, want: Float32Array): number {
  let diff = 0,
    scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / scale;
}

/**
 * A temporary folder (`prefix` names it) with the seeded FID Inception weights and the mixed case's images
 * under real/ and fake/ (their own file names): what the fid tests run on.
 */
export function mixedFolders(prefix: string): { dir: string; weights: string } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const weights = path.join(dir, 'inception.safetensors');
  writeSeededInception(weights);
  for (const side of ['real', 'fake'] as const) {
    mkdirSync(path.join(dir, side));
    for (const f of FID_REF.cases.mixed[side])
      copyFileSync(fixture(`fixtures/${f}`), path.join(dir, side, path.basename(f)));
  }
  return { dir, weights };
}
