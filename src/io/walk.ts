import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';

/**
 * The folder walk of `batch`. Asynchronous (fs/promises): the event loop stays free, so SIGINT / SIGTERM
 * stop a batch promptly while it walks. Symbolic links to files and folders are followed, but each real
 * folder (device and inode) is walked once: link cycles end, and two links to one folder list it once.
 *
 * Which path a folder is listed under: every folder reachable without following a link is listed under its
 * own path (the whole tree is walked before any linked folder); a folder reached only through links is
 * listed under the first such link, in sorted order of the paths that lead to it.
 *
 * Every entry whose name is accepted and that is not a folder is listed, whatever it is (a regular file, a
 * dangling link, a FIFO, a device): the reader (io/input.ts) reports those it cannot read, so nothing is
 * skipped silently and nothing is opened here.
 */
export interface Walk {
  /** Relative paths with '/' separators, sorted. */
  files: string[];
  /** Folders below the root that could not be listed, with the reason. */
  unreadable: { rel: string; error: string }[];
}

interface Pending {
  rel: string;
  abs: string;
}

/** errno code → a few words for a message. */
export function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    ENOENT: 'no such file or folder',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ELOOP: 'too many levels of symbolic links',
    ENOTDIR: 'not a folder',
    EIO: 'input/output error',
  };
  return (code && words[code]) ?? code ?? (err as Error).message;
}

/** Every entry below `root` whose base name `accept`s, except folders; see {@link Walk}. */
export async function walkFolder(root: string, accept: (name: string) => boolean): Promise<Walk> {
  let st;
  try {
    st = await stat(root);
  } catch (err) {
    throw new UserError(
      `${root}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : reason(err)}`,
    );
  }
  if (!st.isDirectory()) throw new UserError(`${root}: not a folder`);
  const walk: Walk = { files: [], unreadable: [] };
  const seen = new Set<string>();
  const tree: Pending[] = [{ rel: '', abs: root }];
  const links: Pending[] = [];
  for (let next = tree.pop(); next; next = tree.pop() ?? links.shift()) {
    let entries: Dirent[];
    try {
      const s = await stat(next.abs, { bigint: true });
      const key = `${s.dev}:${s.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      entries = await readdir(next.abs, { withFileTypes: true });
    } catch (err) {
      if (!next.rel) throw new UserError(`${root}: cannot list the folder: ${reason(err)}`);
      walk.unreadable.push({ rel: next.rel, error: reason(err) });
      continue;
    }
    const subdirs = await sortEntries(next, entries, accept, walk, links);
    tree.push(...subdirs.reverse()); // popped in sorted order
  }
  walk.files.sort();
  return walk;
}

/** Lists one folder's entries: accepted non-folders into `walk.files`, linked folders onto `links`; returns
 *  the real sub-folders, sorted. */
async function sortEntries(
  dir: Pending,
  entries: Dirent[],
  accept: (name: string) => boolean,
  walk: Walk,
  links: Pending[],
): Promise<Pending[]> {
  const subdirs: Pending[] = [];
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const item = { rel: dir.rel ? `${dir.rel}/${e.name}` : e.name, abs: path.join(dir.abs, e.name) };
    if (e.isDirectory()) subdirs.push(item);
    else if (e.isSymbolicLink() && (await isFolder(item.abs))) links.push(item);
    else if (accept(e.name)) walk.files.push(item.rel);
  }
  return subdirs;
}

/** Whether a link leads to a folder (false for a dangling link or a link loop: listed as files, reported
 *  when read). */
async function isFolder(abs: string): Promise<boolean> {
  try {
    return (await stat(abs)).isDirectory();
  } catch {
    return false;
  }
}
