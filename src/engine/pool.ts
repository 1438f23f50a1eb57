import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { Job, PairComparison, WorkerInit, WorkerReply, WorkerRequest } from '../model.js';
import { preflight } from './backend.js';
import { startWorker } from './threads.js';

/** A finished job: its comparison, or why it failed. */
export type JobResult = { job: Job; ms: number } & (
  { comparison: PairComparison; error?: undefined } | { comparison?: undefined; error: string }
);

/** Default --jobs: one worker per core. */
export function defaultJobs(): number {
  return Math.max(1, os.availableParallelism());
}

/**
 * A worker holds a second pair (decoding it while it computes the first) only after a pair of at most this
 * many pixels: for large images, two pairs per worker would double the memory for little gain.
 * Measured with 64 pairs of 512² on 2 cores: the cores went from ~1.7 to ~1.9 busy.
 */
const PIPELINE_MAX_PIXELS = 4 * 2 ** 20;

/** The shared queue and what every lane reports to. */
interface PoolState {
  queue: Job[];
  size: number;
  init: WorkerInit;
  onResult: (r: JobResult) => void;
  backend: string;
}

/**
 * Runs jobs on `size` worker threads, handing each the next job as it finishes one (and, once it has shown
 * that pairs are small, one more in advance), so at most two pairs per worker are held at a time. A worker
 * that dies fails the jobs it held and is replaced. Calls `onResult` as jobs finish (in completion order);
 * resolves when all are done. Returns the backend the workers use.
 */
export async function runPool(
  jobs: Job[],
  size: number,
  init: WorkerInit,
  onResult: (r: JobResult) => void,
): Promise<string> {
  const state: PoolState = { queue: [...jobs], size, init, onResult, backend: '' };
  await preflight(init.compute.backend);
  await Promise.all(Array.from({ length: Math.max(1, Math.min(size, jobs.length)) }, () => lane(state)));
  return state.backend;
}

/** One worker thread working through the queue; replaced by a fresh lane if it dies mid-queue. */
function lane(s: PoolState): Promise<void> {
  return new Promise((resolve, reject) => {
    const w: Worker = startWorker('./worker.js', s.init);
    const send = (m: WorkerRequest) => w.postMessage(m);
    const held = new Map<number, { job: Job; started: number }>();
    let depth = 1;
    let closed = false;
    const feed = () => {
      // The job in advance is taken only while there is more left than the other workers can start, so
      // that at the end no worker waits while another still holds two.
      while (s.queue.length && (held.size === 0 || (held.size < depth && s.queue.length >= s.size))) {
        const job = s.queue.shift()!;
        held.set(job.id, { job, started: performance.now() });
        send({ type: 'job', job });
      }
      if (!held.size && !s.queue.length && !closed) {
        closed = true;
        send({ type: 'close' });
      }
    };
    w.on('message', (m: WorkerReply) => {
      if (m.type === 'fatal') return reject(new Error(m.message));
      if (m.type === 'ready') {
        s.backend = m.backend;
        return feed();
      }
      const h = held.get(m.id);
      if (!h) return;
      held.delete(m.id);
      s.onResult(
        m.type === 'done'
          ? { job: h.job, comparison: m.comparison, ms: m.ms }
          : { job: h.job, error: m.error, ms: m.ms },
      );
      // Failed pairs hold nothing; a successful one tells the size of what this folder holds.
      depth = m.type === 'failed' || m.comparison.width * m.comparison.height <= PIPELINE_MAX_PIXELS ? 2 : 1;
      feed();
    });
    const failHeld = (why: string) => {
      for (const h of held.values())
        s.onResult({ job: h.job, error: why, ms: performance.now() - h.started });
      held.clear();
    };
    w.on('error', (err) => failHeld(`worker crashed: ${err.message}`)); // 'exit' follows and replaces the worker
    w.on('exit', (code) => {
      const died = held.size > 0 || code !== 0 || s.queue.length > 0;
      failHeld(`worker exited with code ${code}`);
      if (died && s.queue.length) lane(s).then(resolve, reject);
      else resolve();
    });
  });
}
