import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { access, lstat, readFile, readlink, stat } from 'node:fs/promises';
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
    if (!buf.length) throw new UserError(`${role} (stdin): no data on standard input`, 'BAD_IMAGE');
    return buf;
  }
  const problem = await fileProblem(arg, `${role} ${arg}`);
  if (problem) throw problem;
  return arg;
}

/**
 * Why an image path cannot be read (missing, a folder, a special file, empty, unreadable), as a UserError
 * whose message starts with `label`; undefined when it looks like a readable file.
 */
export async function fileProblem(file: string, label: string): Promise<UserError | undefined> {
  try {
    const st = await stat(file);
    if (st.isDirectory()) return new UserError(`${label}: is a directory, not an image`, 'BAD_IMAGE');
    // Never opened: reading a FIFO would wait for a writer, a device could stream forever.
    if (!st.isFile())
      return new UserError(
        `${label}: ${special(st)}, not an image ` +
          `file${st.isFIFO() ? ' (to read a stream, give - and pipe it to standard input)' : ''}`,
        'BAD_IMAGE',
      );
    if (st.size === 0) return new UserError(`${label}: empty file`, 'BAD_IMAGE');
    await access(file, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return new UserError(
      `${label}: ${await why(file, err)}`,
      code === 'ENOENT' ? 'ENOENT' : code === 'EACCES' ? 'EACCES' : 'BAD_IMAGE',
    );
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

/** Files up to this size are read and compared byte for byte when their sizes match. */
const COMPARE_MAX_BYTES = 64 * 2 ** 20;

/**
 * Whether two inputs (buffers, or checked paths) hold the same bytes, and the inputs to decode: paths of
 * equal size are read (a screenshot pair is a few hundred kB) so that a byte-identical pair is decoded
 * once; paths of different sizes are returned as they are, unread.
 */
export async function sameBytes(
  a: Buffer | string,
  b: Buffer | string,
): Promise<{ same: boolean; inputs: [Buffer | string, Buffer | string] }> {
  const size = async (x: Buffer | string) =>
    typeof x === 'string' ? (await stat(x).catch(() => undefined))?.size : x.length;
  const [sa, sb] = await Promise.all([size(a), size(b)]);
  if (sa === undefined) return { same: false, inputs: [a, b] };
  if (sa !== sb || sa > COMPARE_MAX_BYTES) return { same: false, inputs: [a, b] };
  const read = (x: Buffer | string) => (typeof x === 'string' ? readFile(x) : x);
  try {
    const [ba, bb] = await Promise.all([read(a), read(b)]);
    return { same: ba.equals(bb), inputs: [ba, bb] };
  } catch {
    // Gone or unreadable since it was checked: the decoder reads the path and says why.
    return { same: false, inputs: [a, b] };
  }
}
