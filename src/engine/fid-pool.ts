import type { Worker } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { FID_BATCH } from './fid.js';
import { startWorker } from './threads.js';

/**
 * FID features on worker threads (tfjs-wasm is single-threaded in Node): the files go out in batches of
 * FID_BATCH, each thread taking the next batch as it finishes one, so every core works; the features come
 * back in the files' order.
 */
export interface FidWorkerInit {
  weights: string;
  dims: number;
  backend: string;
}
export interface FidWorkerRequest {
  id: number;
  files: string[];
}
export type FidWorkerReply =
  | { type: 'features'; id: number; features: Float32Array }
  | { type: 'failed'; id: number; error: string; user: boolean };

export async function parallelFidFeatures(
  files: string[],
  init: FidWorkerInit,
  threads: number,
  onDone?: (images: number) => void,
): Promise<Float32Array> {
  const d = init.dims;
  const out = new Float32Array(files.length * d);
  const batches: number[] = [];
  for (let s = 0; s < files.length; s += FID_BATCH) batches.push(s);
  let next = 0,
    done = 0;
  const workers: Worker[] = [];
  let failed = false;
  const lane = (w: Worker) =>
    new Promise<void>((resolve, reject) => {
      const send = () => {
        if (next >= batches.length) return resolve();
        const start = batches[next++];
        w.postMessage({ id: start, files: files.slice(start, start + FID_BATCH) } satisfies FidWorkerRequest);
      };
      w.on('message', (m: FidWorkerReply) => {
        if (m.type === 'failed') return reject(m.user ? new UserError(m.error) : new Error(m.error));
        out.set(m.features, m.id * d);
        done += m.features.length / d;
        onDone?.(done);
        send();
      });
      w.on('error', reject);
      send();
    });
  try {
    for (let i = 0; i < Math.min(threads, batches.length); i++)
      workers.push(startWorker('./fid-worker.js', init));
    await Promise.all(workers.map(lane));
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    for (const w of workers) void (failed ? w.terminate() : w.postMessage('close'));
  }
  return out;
}
