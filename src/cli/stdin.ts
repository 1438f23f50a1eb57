import { readFile, stat } from 'node:fs/promises';
import { UserError } from '../errors.js';

/** Reads an image argument: a path, or `-` for standard input. */
export async function readInput(arg: string, role: 'real' | 'fake'): Promise<Buffer> {
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
    const buf = await readFile(arg);
    if (!buf.length) throw new UserError(`${role} ${arg}: empty file`);
    return buf;
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? (err as Error).message);
    throw new UserError(`${role} ${arg}: ${why}`);
  }
}
