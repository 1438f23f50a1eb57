import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { tempPath } from './temp.js';

/** An output that could not be written (or removed). */
const failed = (message: string) => new UserError(message, 'WRITE_FAILED');

/** The folders of `dir` that do not exist yet, `dir` first (an ancestor that is a file: ENOTDIR). */
function missingLevels(dir: string): string[] {
  const missing: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const st = statSync(d, { throwIfNoEntry: false });
    if (st?.isDirectory()) return missing;
    if (st) throw Object.assign(new Error(`${d} is not a folder`), { code: 'ENOTDIR' });
    missing.push(d);
    if (path.dirname(d) === d) return missing;
  }
}

/**
 * Creates `dir` and its missing parents, as `mkdirSync(dir, { recursive: true })` does, and returns the first
 * folder it made (undefined when `dir` existed). Node's own recursive mkdir loops forever, at full CPU and
 * deaf to SIGTERM, where a folder cannot be made although its parent exists (`/proc/x`: ENOENT): here the
 * missing levels are found first and each is made once, top down, so such a folder is an error (its errno
 * code) at once. A level made meanwhile by another process counts as made.
 */
export function makeDirs(dir: string): string | undefined {
  const missing = missingLevels(dir);
  for (const d of [...missing].reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(d).isDirectory()) throw err;
    }
  }
  return missing.at(-1);
}

/**
 * Refuses, before any work, an output folder that cannot be made: `dir` exists, or its first missing
 * ancestor is made and removed again. Else a UserError: `<what>: cannot create folder <dir> (<code>)`.
 */
export function checkCreatable(dir: string, what: string): void {
  try {
    const top = missingLevels(dir).at(-1);
    if (top === undefined) return;
    mkdirSync(top);
    rmdirSync(top);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw failed(`${what}: cannot create folder ${dir} (${code})`);
  }
}

/**
 * A file to write: its bytes, or a file to copy byte for byte (a report's images: no copy held in memory).
 */
export type FileToWrite = { name: string; bytes: Buffer } | { name: string; from: string };

/**
 * Writes a set of files into `dir` (created if missing) all or nothing: each goes to a temporary name in
 * the same folder and is renamed into place; if any write fails, the temporaries, the files this call
 * already renamed and the sub-folders it made are removed. Returns the final paths.
 */
export function writeAllOrNothing(dir: string, files: FileToWrite[], what = `--out ${dir}`): string[] {
  try {
    makeDirs(dir);
  } catch (err) {
    throw failed(
      `${what}: cannot create folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  const staged: { tmp: string; final: string }[] = [];
  const done: string[] = [];
  const made: { leaf: string; top: string }[] = [];
  try {
    for (const f of files) {
      // A name may hold a sub-folder (`report-files/1-real.png`): made first, inside `dir`.
      const final = path.join(dir, f.name);
      const top = makeDirs(path.dirname(final));
      if (top) made.push({ leaf: path.dirname(final), top });
      const tmp = tempPath(path.dirname(final), path.basename(final));
      staged.push({ tmp, final });
      if ('from' in f) copyFileSync(f.from, tmp);
      else writeFileSync(tmp, f.bytes);
    }
    for (const s of staged) {
      renameSync(s.tmp, s.final);
      done.push(s.final);
    }
    return done;
  } catch (err) {
    for (const s of staged) rmSync(s.tmp, { force: true });
    for (const d of done) rmSync(d, { force: true });
    for (const m of made.reverse()) removeEmpty(m.leaf, m.top);
    throw failed(`${what}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** Removes `leaf` and its parents up to `top` (the first folder this call made), each only while empty. */
function removeEmpty(leaf: string, top: string): void {
  for (let f = leaf; f.length >= top.length; f = path.dirname(f)) {
    try {
      rmdirSync(f);
    } catch {
      return;
    }
    if (f === top) return;
  }
}

/**
 * Copies `src` over `dest` byte for byte, atomically: to a temporary name beside `dest`, then renamed, so
 * an interrupted copy leaves the old `dest` whole (and removeTemps() removes the temporary file).
 */
export function copyAtomic(src: string, dest: string, what: string): void {
  const tmp = tempPath(path.dirname(dest), path.basename(dest));
  try {
    makeDirs(path.dirname(dest));
    copyFileSync(src, tmp);
    renameSync(tmp, dest);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw failed(
      `${what}: cannot copy ${src} to ${dest} ` +
        `(${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}

/**
 * Removes files inside `dir` all or nothing: each is first renamed into a stash folder in `dir`
 * (`.nectar-loss-removed.<pid>.<8 hex>.tmp`: the same file system, so each move is one rename, and the
 * moves run without a pause in which a signal handler could run); if any move fails, the moved ones are put
 * back and nothing is removed. Then the stash is deleted, and so are the sub-folders of `dir` the files
 * leave empty. A SIGKILL between the moves and the deletion leaves the stash: its files are the baselines.
 */
export function removeAllOrNothing(dir: string, files: string[], what: string): void {
  if (!files.length) return;
  const stash = path.join(dir, `.nectar-loss-removed.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const moved: { from: string; to: string }[] = [];
  try {
    mkdirSync(stash);
    for (const [i, f] of files.entries()) {
      const to = path.join(stash, String(i));
      renameSync(f, to);
      moved.push({ from: f, to });
    }
  } catch (err) {
    for (const m of moved.reverse()) renameSync(m.to, m.from);
    rmSync(stash, { recursive: true, force: true });
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw failed(`${what}: cannot remove (${why}); nothing was removed`);
  }
  rmSync(stash, { recursive: true, force: true });
  for (const f of files) removeEmptyBelow(path.dirname(f), dir);
}

/** Removes `leaf` and its parents while empty, stopping below `root` (never `root` itself). */
export function removeEmptyBelow(leaf: string, root: string): void {
  const top = path.resolve(root);
  for (let f = path.resolve(leaf); f !== top && f.startsWith(top + path.sep); f = path.dirname(f)) {
    try {
      rmdirSync(f);
    } catch {
      return;
    }
  }
}
