import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * Temporary files, owned here: every write goes to a temporary name beside its target and is renamed into
 * place when complete. On SIGINT / SIGTERM the CLI calls removeTemps(), so an interrupted run leaves only
 * whole files behind, never a partial PNG, NPY, XML, HTML or weights file.
 */
const TEMP = new RegExp(`^\\..*\\.${process.pid}\\.[0-9a-f]{8}\\.tmp$`);
const folders = new Set<string>();
const files = new Set<string>();

/** A temporary path in `dir` for `name`: `.<name>.<pid>.<8 hex>.tmp` (found again by removeTemps). */
export function tempPath(dir: string, name: string, tag = randomBytes(4).toString('hex')): string {
  return path.join(dir, `.${name}.${process.pid}.${tag}.tmp`);
}

/** Folders this run writes into (searched recursively for this process's temporary files on a signal). */
export function watchFolder(dir: string): void {
  folders.add(path.resolve(dir));
}

/** A temporary file outside the watched folders (a download); forget it once it is renamed or removed. */
export function trackTemp(file: string): () => void {
  files.add(file);
  return () => files.delete(file);
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

/** Removes every temporary file this process made and has not renamed yet. */
export function removeTemps(): void {
  for (const f of files) rmSync(f, { force: true });
  for (const d of folders) sweep(d);
}
