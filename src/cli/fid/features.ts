import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { UserError } from '../../errors.js';
import { decodeNpy, encodeNpy } from '../../io/npy.js';
import { writeAllOrNothing } from '../../io/write.js';
import type { FidDims } from '../../losses/inception-layout.js';
import type { InceptionWeights } from '../../losses/inception.js';
import type { Progress } from '../progress.js';
import type { FidCliOptions } from './types.js';

/**
 * Inception features of image files, with a per-image cache: `<cache>/fid/<key>.npy` (float32 [dims]),
 * key = SHA-256 of the image's bytes, the weights file (path, size, mtime), --dims, the backend and the
 * feature code's version. <cache> is $NECTAR_LOSS_CACHE_DIR, else $XDG_CACHE_HOME/nectar-loss, else
 * ~/.cache/nectar-loss. A second pass over the same images computes nothing.
 */
export interface FeatureProvider {
  features(files: string[], label: string): Promise<Float32Array>;
  dispose(): void;
}

const FEATURE_VERSION = 1;

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NECTAR_LOSS_CACHE_DIR) return path.join(env.NECTAR_LOSS_CACHE_DIR, 'fid');
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'nectar-loss', 'fid');
}

function networkId(file: string, dims: number, backend: string): string {
  const st = statSync(file);
  return `${path.resolve(file)}|${st.size}|${st.mtimeMs}|${dims}|${backend}|v${FEATURE_VERSION}`;
}

function readImage(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UserError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code})`);
  }
}

function cached(file: string, dims: number): Float32Array | undefined {
  try {
    const a = decodeNpy(readFileSync(file));
    return a.data.length === dims ? a.data : undefined;
  } catch {
    return undefined;
  }
}

/** Loads the weights (locating or downloading them) and the backend; features with the cache. */
export async function featureProvider(o: FidCliOptions, progress: Progress): Promise<FeatureProvider> {
  const { locateInception, loadInception } = await import('../../io/weights/inception.js');
  const file = await locateInception({
    file: o.inceptionWeights,
    download: o.download,
    onProgress: (f, b) =>
      progress.step(
        `downloading FID Inception weights: ${Number.isFinite(f) ? `${(100 * f).toFixed(0)}%` : `${(b / 2 ** 20).toFixed(0)} MB`}`,
      ),
  });
  const dims = o.dims as FidDims;
  const convs = await loadInception(file, dims);
  const { useBackend } = await import('../../engine/backend.js');
  const backend = await useBackend(o.backend as 'auto');
  const { inceptionWeights } = await import('../../losses/inception.js');
  const weights = inceptionWeights(convs, dims);
  const net = networkId(file, dims, backend);
  return {
    features: (files, label) => compute(files, label, weights, o.cache ? net : undefined, progress),
    dispose: () => weights.dispose(),
  };
}

async function compute(
  files: string[],
  label: string,
  w: InceptionWeights,
  net: string | undefined,
  progress: Progress,
): Promise<Float32Array> {
  const { fidFeatures } = await import('../../engine/fid.js');
  const d = w.dims;
  const out = new Float32Array(files.length * d);
  const keys = files.map((f) =>
    net ? createHash('sha256').update(readImage(f)).update(net).digest('hex') : '',
  );
  const dir = cacheDir();
  const todo: number[] = [];
  files.forEach((_, i) => {
    const hit = net ? cached(path.join(dir, `${keys[i]}.npy`), d) : undefined;
    if (hit) out.set(hit, i * d);
    else todo.push(i);
  });
  const computed = await fidFeatures(
    todo.map((i) => files[i]),
    w,
    (n) => progress.step(`${label}: Inception features ${n}/${todo.length}`),
  );
  const writes = todo.map((i, k) => {
    const f = computed.subarray(k * d, (k + 1) * d);
    out.set(f, i * d);
    return { name: `${keys[i]}.npy`, bytes: encodeNpy(f, [d]) };
  });
  if (net && writes.length) {
    try {
      writeAllOrNothing(dir, writes, `feature cache ${dir}`);
    } catch {
      /* a cache that cannot be written only costs time */
    }
  }
  return out;
}
