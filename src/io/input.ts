import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { access, lstat, stat } from 'node:fs/promises';
import { UserError } from '../errors.js';

/**
 * An image argument: `-` is read from standard input into memory; a path is checked (exists, is a file, not
 * empty, readable) and returned as is, for the decoder to read.
 */
export async function readInput(arg: string, role: 'real' | 'fake'): Promise<Buffer | string> {
  if (arg === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    const buf = Buffer.concat(chunks);
    if (!buf.length) throw new UserError(`${role} (stdin): no data on standard input`);
    return buf;
  }
  try {
    const st = await stat(arg).catch(async (err: NodeJS.ErrnoException) => {
      // A link whose target is gone says so, rather than "no such file".
      if (err.code === 'ENOENT' && (await lstat(arg).catch(() => undefined))?.isSymbolicLink()) throw new UserError(`${role} ${arg}: dangling symbolic link`);
      throw err;
    });
    if (st.isDirectory()) throw new UserError(`${role} ${arg}: is a directory, not an image`);
    // Never opened: reading a FIFO would wait for a writer forever.
    if (!st.isFile()) throw new UserError(`${role} ${arg}: not a regular file (${kindOf(st)})`);
    if (st.size === 0) throw new UserError(`${role} ${arg}: empty file`);
    await access(arg, constants.R_OK);
    return arg;
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? (err as Error).message);
    throw new UserError(`${role} ${arg}: ${why}`);
  }
}

function kindOf(st: Stats): string {
  return st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : 'not a file';
}
