import { liveWorkers } from '../engine/threads.js';
import { removeTemps } from '../io/temp.js';

export { watchFolder } from '../io/temp.js';

/**
 * SIGINT / SIGTERM: stop the worker threads, delete this process's temporary files (io/temp.ts), and exit
 * 130 / 143 — so an interrupted run leaves only whole files behind.
 */
export function installSignalHandlers(): void {
  const handler = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    const stop = Promise.all([...liveWorkers].map((w) => w.terminate()));
    const timeout = new Promise((r) => setTimeout(r, 2000).unref());
    void Promise.race([stop, timeout]).finally(() => {
      removeTemps();
      process.exit(code);
    });
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
