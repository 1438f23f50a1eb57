import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { liveWorkers } from '../engine/pool.js';

/**
 * SIGINT / SIGTERM: stop the workers, delete this process's temporary files (every write goes to
 * `.<name>.<pid>.<hex>.tmp` and is renamed into place only when complete), and exit 130 / 143 — so an
 * interrupted run leaves only whole files behind, never a partial PNG, NPY, XML or HTML.
 */
const folders = new Set<string>();
const TEMP = new RegExp(`^\\..*\\.${process.pid}\\.[0-9a-f]{8}\\.tmp$`);

/** Folders this run writes into (searched recursively on a signal). */
export function watchFolder(dir: string): void {
  folders.add(path.resolve(dir));
}

function sweep(dir: string, depth = 0): void {
  if (depth > 32) return;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sweep(p, depth + 1);
    else if (TEMP.test(e.name)) rmSync(p, { force: true });
  }
}

export function installSignalHandlers(): void {
  const handler = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    const stop = Promise.all([...liveWorkers].map((w) => w.terminate()));
    const timeout = new Promise((r) => setTimeout(r, 2000).unref());
    void Promise.race([stop, timeout]).finally(() => {
      for (const f of folders) sweep(f);
      process.exit(code);
    });
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
