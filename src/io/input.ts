import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { access, lstat, readlink, stat } from 'node:fs/promises';
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
    // Never opened: reading a FIFO would wait for a writer, a device could stream forever.
    if (!st.isFile())
      throw new UserError(
        `${role} ${arg}: ${special(st)}, not an image ` +
          `file${st.isFIFO() ? ' (to read a stream, give - and pipe it to standard input)' : ''}`,
      );
    if (st.size === 0) throw new UserError(`${role} ${arg}: empty file`);
    await access(arg, constants.R_OK);
    return arg;
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${role} ${arg}: ${await why(arg, err)}`);
  }
}

/** What a non-regular, non-folder entry is, in words. */
function special(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** Why a path could not be used, in words; a dangling symbolic link says where it points. */
async function why(arg: string, err: unknown): Promise<string> {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    const target = await lstat(arg).then(
      (l) => (l.isSymbolicLink() ? readlink(arg) : undefined),
      () => undefined,
    );
    return target === undefined
      ? 'no such file'
      : `dangling symbolic link (to ${target}, which does not exist)`;
  }
  if (code === 'ELOOP') return 'symbolic link loop';
  if (code === 'EACCES') return 'permission denied';
  return code ?? (err as Error).message;
}

/** Both images of a batch pair, checked at once; when both fail, real's error is the one thrown (the same
 *  message whichever check finished first). */
export async function readPairInputs(
  real: string,
  fake: string,
): Promise<[Buffer | string, Buffer | string]> {
  const [a, b] = await Promise.allSettled([readInput(real, 'real'), readInput(fake, 'fake')]);
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  return [a.value, b.value];
}
