import type { Gaussian } from '../../losses/frechet.js';

/** Types shared by the fid/kid command's modules (a leaf: no cycles). */
export interface FidCliOptions {
  dims: number;
  json?: boolean;
  saveStats?: string;
  inceptionWeights?: string;
  download: boolean;
  backend: string;
  shard?: { index: number; total: number };
  results?: string;
  bootstrap?: number;
  seed?: number;
  subsetSize?: number;
  subsets?: number;
  cache: boolean;
  /** onnxruntime-node's intra-op threads (batch and review: --jobs; default: every core). */
  threads?: number;
  /** Where the per-image features are cached (default: features.ts cacheDir()). */
  cacheDir?: string;
}

/** What one side contributes: its statistics, and the image count (null for pytorch-fid .npz statistics). */
export interface SideStats {
  count: number | null;
  gaussian: Gaussian;
}

/** One side of the comparison: a folder's images, or precomputed statistics. */
export type Side =
  { kind: 'dir'; dir: string; files: string[] } | { kind: 'npz'; file: string; stats: SideStats };
