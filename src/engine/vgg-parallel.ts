import { Worker } from 'node:worker_threads';
import { tf } from '../tf.js';
import { UserError } from '../errors.js';
import type { Range } from '../losses/range.js';
import { vggCompare } from '../losses/vgg.js';
import type { BackendName } from './backend.js';
import { mean64, type PairResult, type UnitImage } from './compute.js';
import type { Tensor4D } from '@tensorflow/tfjs-core';

type Features = { shape: number[]; data: Float32Array }[];

function features(image: UnitImage, range: Range, backend: BackendName, weights: string): Promise<Features> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./vgg-worker.js', import.meta.url), { workerData: { backend, weights } });
    // A user error in the worker (bad weights file) stays one: the CLI prints it and exits 2.
    w.once('message', (m: { features?: Features; error?: string; user?: boolean }) => (m.features ? resolve(m.features) : reject(m.user ? new UserError(m.error!) : new Error(m.error))));
    w.once('error', reject);
    w.postMessage({ image, range });
  });
}

/**
 * The VGG loss of one pair with both cores: real and fake go through the network in two worker threads at
 * once (tfjs-wasm is single-threaded in Node), and the blocks are compared here. Same numbers as `vgg`.
 */
export async function vggParallel(real: UnitImage, fake: UnitImage, range: Range, backend: BackendName, weights: string, want = { map: true }): Promise<PairResult> {
  const [rf, ff] = await Promise.all([features(real, range, backend, weights), features(fake, range, backend, weights)]);
  const tensors = tf.tidy(() => {
    const t = (f: Features) => f.map((x) => tf.tensor4d(x.data, x.shape as [number, number, number, number]) as Tensor4D);
    const res = vggCompare(t(rf), t(ff), real.height, real.width, false);
    return { map: res.map, terms: res.terms! };
  });
  try {
    const map = want.map ? (tensors.map.dataSync() as Float32Array) : new Float32Array(0);
    return { map, mean: tensors.terms.reduce((s, t) => s + mean64(t.dataSync() as Float32Array), 0) };
  } finally {
    tf.dispose([tensors.map, ...tensors.terms]);
  }
}
