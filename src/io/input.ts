import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
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
    const st = await stat(arg);
    if (st.isDirectory()) throw new UserError(`${role} ${arg}: is a directory, not an image`);
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
