import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PairOutcome } from './pair.js';
import type { WorkerInit, WorkerJob } from './worker.js';

export type JobResult = { job: WorkerJob; outcome?: PairOutcome; error?: string; ms: number };

/** Workers now running, so that a signal handler can stop them before cleaning up. */
export const liveWorkers = new Set<Worker>();

/** Default --jobs: one worker per core. */
export function defaultJobs(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

/**
 * A worker holds a second pair (decoding it while it computes the first) only after a pair of at most this
 * many pixels: for large images, two pairs per worker would double the memory for little gain.
 * Measured with 64 pairs of 512² on 2 cores: the cores went from ~1.7 to ~1.9 busy.
 */
const PIPELINE_MAX_PIXELS = 4 * 2 ** 20;

/**
 * Runs jobs on `size` worker threads, handing each the next job as it finishes one (and, once it has shown
 * that pairs are small, one more in advance), so at most two pairs per worker are held at a time. A worker
 * that dies fails the jobs it held and is replaced. Calls `onResult` as jobs finish (in completion order);
 * resolves when all are done. Returns the backend the workers use.
 */
export async function runPool(jobs: WorkerJob[], size: number, init: WorkerInit, onResult: (r: JobResult) => void): Promise<string> {
  const queue = [...jobs];
  let backend = '';
  const url = new URL('./worker.js', import.meta.url);
  const lane = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const w = new Worker(url, { workerData: init });
      liveWorkers.add(w);
      const held = new Map<number, { job: WorkerJob; started: number }>();
      let depth = 1;
      let closed = false;
      const feed = () => {
        // The job in advance is taken only while there is more left than the other workers can start, so
        // that at the end no worker waits while another still holds two.
        while (queue.length && (held.size === 0 || (held.size < depth && queue.length >= size))) {
          const job = queue.shift()!;
          held.set(job.id, { job, started: performance.now() });
          w.postMessage(job);
        }
        if (!held.size && !queue.length && !closed) {
          closed = true;
          w.postMessage('close');
        }
      };
      w.on('message', (m: { ready?: boolean; backend?: string; fatal?: string; id?: number; outcome?: PairOutcome; error?: string; ms: number }) => {
        if (m.fatal) return reject(new Error(m.fatal));
        if (m.ready) {
          backend = m.backend!;
          return feed();
        }
        const h = held.get(m.id!);
        if (!h) return;
        held.delete(m.id!);
        onResult({ job: h.job, outcome: m.outcome, error: m.error, ms: m.ms });
        // Failed pairs hold nothing; a successful one tells the size of what this folder holds.
        depth = !m.outcome || m.outcome.width * m.outcome.height <= PIPELINE_MAX_PIXELS ? 2 : 1;
        feed();
      });
      const failHeld = (why: string) => {
        for (const h of held.values()) onResult({ job: h.job, error: why, ms: performance.now() - h.started });
        held.clear();
      };
      w.on('error', (err) => failHeld(`worker crashed: ${err.message}`)); // 'exit' follows and replaces the worker
      w.on('exit', (code) => {
        liveWorkers.delete(w);
        const died = held.size > 0 || code !== 0 || queue.length > 0;
        failHeld(`worker exited with code ${code}`);
        // A worker that died mid-queue (not after 'close') is replaced by a fresh lane.
        if (died && queue.length) lane().then(resolve, reject);
        else resolve();
      });
    });
  await Promise.all(Array.from({ length: Math.max(1, Math.min(size, jobs.length)) }, lane));
  return backend;
}
