import { Worker } from 'node:worker_threads';

/** Worker threads now running, so that the CLI's signal handler can stop them before cleaning up. */
export const liveWorkers = new Set<Worker>();

/** Starts a worker thread from a module beside this one and keeps it in liveWorkers until it exits. */
export function startWorker(module: string, data: unknown): Worker {
  const w = new Worker(new URL(module, import.meta.url), { workerData: data });
  liveWorkers.add(w);
  w.once('exit', () => liveWorkers.delete(w));
  return w;
}
