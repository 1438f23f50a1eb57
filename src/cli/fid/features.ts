import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { UserError } from '../../errors.js';
import { decodeNpy, encodeNpy } from '../../io/npy.js';
import { writeAllOrNothing } from '../../io/write.js';
import type { FidDims } from '../../losses/inception-layout.js';
import type { OrtInception } from '../../engine/fid-ort.js';
import type { InceptionWeights } from '../../losses/inception.js';
import type { Progress } from '../progress.js';
import type { FidCliOptions } from './types.js';

/**
 * Inception features of image files, with a per-image cache: `<cache>/fid/<key>.npy` (float32 [dims]),
 * key = SHA-256 of the image's bytes, the weights file (path, size, mtime), --dims, the runtime (the tfjs
 * backend, or onnxruntime-node and the tfjs backend that resizes) and the feature code's version. <cache>
 * is $NECTAR_LOSS_CACHE_DIR, else $XDG_CACHE_HOME/nectar-loss, else ~/.cache/nectar-loss. A second pass
 * over the same images computes nothing.
 */
export interface FeatureProvider {
  features(files: string[], label: string): Promise<Float32Array>;
  /** Images whose features this provider computed with the network, and those read from the cache. */
  readonly counts: { computed: number; reused: number };
  dispose(): void;
}

/** 2: conv + bias + ReLU fused (features move by up to 1e-6 relative), so older cached features are not mixed in. */
const FEATURE_VERSION = 2;

/** The feature cache of `fid`, `kid` and `batch` (review keeps its own beside review-cache.json). */
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

/**
 * Locates and checks the weights. The network runs in onnxruntime-node when the backend is `auto` and that
 * package loads (one session in this thread, intra-op threads = cores), else on the tfjs backend: on
 * worker threads (one per core), or here for few images.
 */
export async function featureProvider(o: FidCliOptions, progress: Progress): Promise<FeatureProvider> {
  const { locateInception, checkInceptionFile } = await import('../../io/weights/inception.js');
  const file = await locateInception({
    file: o.inceptionWeights,
    download: o.download,
    onProgress: (f, b) =>
      progress.step(
        `downloading FID Inception weights: ${Number.isFinite(f) ? `${(100 * f).toFixed(0)}%` : `${(b / 2 ** 20).toFixed(0)} MB`}`,
      ),
  });
  await checkInceptionFile(file);
  const { useBackend } = await import('../../engine/backend.js');
  const backend = await useBackend(o.backend as 'auto');
  const dims = o.dims as FidDims;
  const runner = (await fidRuntime(o.backend)) === 'onnxruntime' ? ortRunner : tfjsRunner;
  const r = runner(file, dims, backend, o.threads);
  const net = networkId(file, dims, r.id);
  const counts = { computed: 0, reused: 0 };
  const where = { dir: o.cacheDir ?? cacheDir(), net: o.cache ? net : undefined };
  const say = (label: string) => (n: number, of: number) =>
    progress.step(`${label}: Inception features ${n}/${of} (${r.runtime})`);
  return {
    features: (files, label) => compute(files, dims, r.run, where, say(label), counts),
    counts,
    dispose: () => r.dispose(),
  };
}

/**
 * Which runtime computes the network for `--backend`: 'onnxruntime' for `auto` when onnxruntime-node is
 * installed and loads, else 'tfjs' (an explicit --backend always keeps TensorFlow.js).
 */
export async function fidRuntime(backend: string): Promise<'onnxruntime' | 'tfjs'> {
  if (backend !== 'auto') return 'tfjs';
  const { ortUnavailable } = await import('../../engine/fid-ort.js');
  return ortUnavailable() === undefined ? 'onnxruntime' : 'tfjs';
}

interface NetworkRunner {
  run: Runner;
  /** In the cache key: features of different runtimes are never mixed (they differ by ~1e-6 relative). */
  id: string;
  /** For progress text. */
  runtime: string;
  dispose(): void;
}

function ortRunner(file: string, dims: FidDims, backend: string, jobs?: number): NetworkRunner {
  let session: OrtInception | undefined;
  let threads = 1;
  return {
    run: async (files, onDone) => {
      if (!session) {
        const { ortInception } = await import('../../engine/fid-ort.js');
        const { defaultJobs } = await import('../../engine/pool.js');
        threads = jobs ?? defaultJobs();
        session = await ortInception(file, dims, threads);
      }
      return session.features(files, onDone);
    },
    id: `onnxruntime+${backend}`,
    get runtime() {
      return `onnxruntime-node, ${threads} thread${threads === 1 ? '' : 's'}`;
    },
    dispose: () => void session?.dispose(),
  };
}

function tfjsRunner(file: string, dims: FidDims, backend: string): NetworkRunner {
  let local: InceptionWeights | undefined;
  const run: Runner = async (files, onDone) => {
    const { FID_BATCH, fidFeatures } = await import('../../engine/fid.js');
    const { defaultJobs } = await import('../../engine/pool.js');
    const threads = Math.min(defaultJobs(), Math.ceil(files.length / FID_BATCH));
    if (threads > 1) {
      const { parallelFidFeatures } = await import('../../engine/fid-pool.js');
      return parallelFidFeatures(files, { weights: file, dims, backend }, threads, onDone);
    }
    if (!local) {
      const { loadInception } = await import('../../io/weights/inception.js');
      const { inceptionWeights } = await import('../../losses/inception.js');
      local = inceptionWeights(await loadInception(file, dims), dims);
    }
    return fidFeatures(files, local, onDone);
  };
  return { run, id: backend, runtime: `TensorFlow.js ${backend}`, dispose: () => local?.dispose() };
}

type Runner = (files: string[], onDone: (n: number) => void) => Promise<Float32Array>;

async function compute(
  files: string[],
  d: number,
  run: Runner,
  { dir, net }: { dir: string; net: string | undefined },
  say: (n: number, of: number) => void,
  counts: FeatureProvider['counts'],
): Promise<Float32Array> {
  const out = new Float32Array(files.length * d);
  const keys = files.map((f) =>
    net ? createHash('sha256').update(readImage(f)).update(net).digest('hex') : '',
  );
  const todo: number[] = [];
  files.forEach((_, i) => {
    const hit = net ? cached(path.join(dir, `${keys[i]}.npy`), d) : undefined;
    if (hit) out.set(hit, i * d);
    else todo.push(i);
  });
  const computed = todo.length
    ? await run(
        todo.map((i) => files[i]),
        (n) => say(n, todo.length),
      )
    : new Float32Array(0);
  counts.computed += todo.length;
  counts.reused += files.length - todo.length;
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
