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
 * Runs jobs on `size` worker threads, each handed the next job when it finishes one, so at most `size` pairs
 * are decoded at a time. A worker that dies fails its current job and is replaced. Calls `onResult` as jobs
 * finish (in completion order); resolves when all are done. Returns the backend the workers use.
 */
export async function runPool(jobs: WorkerJob[], size: number, init: WorkerInit, onResult: (r: JobResult) => void): Promise<string> {
  const queue = [...jobs];
  let backend = '';
  const url = new URL('./worker.js', import.meta.url);
  const lane = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const w = new Worker(url, { workerData: init });
      liveWorkers.add(w);
      let current: WorkerJob | undefined;
      let started = 0;
      const next = () => {
        current = queue.shift();
        if (!current) {
          w.postMessage('close');
          return;
        }
        started = performance.now();
        w.postMessage(current);
      };
      w.on('message', (m: { ready?: boolean; backend?: string; fatal?: string; id?: number; outcome?: PairOutcome; error?: string; ms: number }) => {
        if (m.fatal) return reject(new Error(m.fatal));
        if (m.ready) {
          backend = m.backend!;
          return next();
        }
        onResult({ job: current!, outcome: m.outcome, error: m.error, ms: m.ms });
        next();
      });
      w.on('error', (err) => {
        if (current) onResult({ job: current, error: `worker crashed: ${err.message}`, ms: performance.now() - started });
        current = undefined; // 'exit' follows and replaces the worker
      });
      w.on('exit', (code) => {
        liveWorkers.delete(w);
        if (current) onResult({ job: current, error: `worker exited with code ${code}`, ms: performance.now() - started });
        const died = current !== undefined || code !== 0 || queue.length > 0;
        current = undefined;
        // A worker that died mid-queue (not after 'close') is replaced by a fresh lane.
        if (died && queue.length) lane().then(resolve, reject);
        else resolve();
      });
    });
  await Promise.all(Array.from({ length: Math.max(1, Math.min(size, jobs.length)) }, lane));
  return backend;
}
