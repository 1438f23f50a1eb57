import { createRequire } from 'node:module';
import type { FidDims } from '../losses/inception-layout.js';
import type { RawImage } from '../model.js';
import { FID_BATCH, decodeForFid, networkInput } from './fid.js';
import { isInstalled } from './libraries.js';

/**
 * FID features in onnxruntime-node (an optional peer dependency): the Inception network, built in memory
 * as an ONNX model from the same weights (io/weights/inception-onnx.ts), runs on ONNX Runtime's native CPU
 * kernels (AVX2 / AVX-512 where the CPU has them) with intra-op threads, in this thread. Decoding, resizing
 * and scaling stay those of the TensorFlow.js path (fid.ts networkInput on the active tfjs backend), so only
 * the network's arithmetic differs (float32 sums in another order: ~1e-6 relative).
 */
/**
 * The part of onnxruntime-node's API used here, declared rather than imported: the package is an optional
 * peer, so this compiles (and the rest of nectar-loss builds) where it is not installed.
 */
interface OrtTensor {
  data: unknown;
  dispose(): void;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface Ort {
  InferenceSession: { create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
}

/** The package the runtime comes from (and the name progress text uses). */
export const ORT_PACKAGE = 'onnxruntime-node';

const require = createRequire(import.meta.url);
let loaded: { ort?: Ort; error?: string } | undefined;

function loadOrt(): { ort?: Ort; error?: string } {
  if (loaded) return loaded;
  if (!isInstalled(ORT_PACKAGE)) return (loaded = { error: 'not installed' });
  try {
    loaded = { ort: require(ORT_PACKAGE) as Ort };
  } catch (err) {
    loaded = { error: (err instanceof Error ? err.message : String(err)).split('\n')[0] };
  }
  return loaded;
}

/** undefined when onnxruntime-node loads here, else why not ('not installed', or its load error). */
export function ortUnavailable(): string | undefined {
  return loadOrt().error;
}

export interface OrtInception {
  readonly dims: FidDims;
  /** Features [n, dims] (row-major float32) of `files`, FID_BATCH at a time; `onImage` after each batch. */
  features(files: string[], onImage?: (done: number) => void, maxPixels?: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** A session of the network for `dims` from the weights file, on `threads` intra-op threads. */
export async function ortInception(weights: string, dims: FidDims, threads: number): Promise<OrtInception> {
  const { ort, error } = loadOrt();
  if (!ort) throw new Error(`${ORT_PACKAGE} cannot be loaded: ${error}`);
  const { loadInception } = await import('../io/weights/inception.js');
  const { inceptionOnnx, ONNX_INPUT, ONNX_OUTPUT } = await import('../io/weights/inception-onnx.js');
  const model = inceptionOnnx(await loadInception(weights, dims), dims);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Math.max(1, threads),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const run = async (input: Float32Array, n: number): Promise<Float32Array> => {
    const x = new ort.Tensor('float32', input, [n, 299, 299, 3]);
    const out = await session.run({ [ONNX_INPUT]: x });
    const y = out[ONNX_OUTPUT]!;
    const data = new Float32Array(y.data as Float32Array);
    y.dispose();
    return data;
  };
  return {
    dims,
    features: (files, onImage, maxPixels) => pipeline(files, dims, run, onImage, maxPixels),
    dispose: () => session.release(),
  };
}

type Decoded = Promise<RawImage[]>;

/**
 * Batches through `run`; the next batch's decoding (sharp, on libuv's threads) is started before the
 * current batch runs, so it overlaps the network.
 */
async function pipeline(
  files: string[],
  dims: number,
  run: (input: Float32Array, n: number) => Promise<Float32Array>,
  onImage?: (done: number) => void,
  maxPixels?: number,
): Promise<Float32Array> {
  const out = new Float32Array(files.length * dims);
  const decode = (start: number): Decoded =>
    Promise.all(files.slice(start, start + FID_BATCH).map((f) => decodeForFid(f, maxPixels)));
  let next: Decoded | undefined = decode(0);
  for (let start = 0; next; start += FID_BATCH) {
    const images = await next;
    const input = await networkInput(images);
    next = start + FID_BATCH < files.length ? decode(start + FID_BATCH) : undefined;
    // A failure of the next batch surfaces when it is awaited, not as an unhandled rejection meanwhile.
    next?.catch(() => undefined);
    out.set(await run(input, images.length), start * dims);
    onImage?.(start + images.length);
  }
  return out;
}
