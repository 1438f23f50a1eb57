import { unzipSync, zipSync } from 'fflate';
import { UserError } from '../errors.js';

/**
 * NumPy .npy arrays of float64 ('<f8') and float32 ('<f4'), and .npz archives of them (a zip of
 * `<name>.npy` members, as numpy.savez writes; fflate makes and reads the zip). For pytorch-fid's
 * --save-stats files (`mu` float64 [d], `sigma` float64 [d, d]) and the FID shard results.
 */
export interface NpyArray {
  data: Float64Array | Float32Array;
  shape: number[];
}

/** .npy version 1.0, little-endian, C order. */
export function encodeNpyArray(a: NpyArray): Buffer {
  const f8 = a.data instanceof Float64Array;
  const shape = `(${a.shape.join(', ')}${a.shape.length === 1 ? ',' : ''})`;
  const dict = `{'descr': '${f8 ? '<f8' : '<f4'}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - 11, ' ') + '\n';
  const head = Buffer.alloc(total);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head.writeUInt16LE(header.length, 8);
  head.write(header, 10, 'latin1');
  const body = Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  return Buffer.concat([head, body]);
}

/** A '<f8' or '<f4' C-order .npy array (label names it in messages). */
export function decodeNpyArray(buf: Uint8Array, label: string): NpyArray {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 12 || b.toString('latin1', 0, 6) !== '\x93NUMPY')
    throw new UserError(`${label}: not a .npy array`);
  const hlen = b[6] === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = b[6] === 1 ? 10 : 12;
  const header = b.toString('latin1', start, start + hlen);
  const descr = /'descr':\s*'([<|>=]?[a-z]\d+)'/.exec(header)?.[1];
  if ((descr !== '<f8' && descr !== '<f4') || /'fortran_order':\s*True/.test(header))
    throw new UserError(
      `${label}: unsupported array (${descr ?? 'no dtype'}; float64 or float32 C-order only)`,
    );
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const n = shape.reduce((x, y) => x * y, 1);
  const size = descr === '<f8' ? 8 : 4;
  const raw = b.subarray(start + hlen, start + hlen + n * size);
  if (raw.length !== n * size) throw new UserError(`${label}: truncated array`);
  const copy = new Uint8Array(raw); // aligned
  const data = size === 8 ? new Float64Array(copy.buffer) : new Float32Array(copy.buffer);
  return { data, shape };
}

/** An .npz archive (stored, not deflated, as numpy.savez) of named arrays. */
export function encodeNpz(arrays: Record<string, NpyArray>): Buffer {
  const files: Record<string, Uint8Array> = {};
  for (const [k, a] of Object.entries(arrays)) files[`${k}.npy`] = encodeNpyArray(a);
  return Buffer.from(zipSync(files, { level: 0 }));
}

/** The arrays of an .npz archive by name (numpy.savez and savez_compressed both read). */
export function decodeNpz(buf: Uint8Array, label: string): Partial<Record<string, NpyArray>> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(buf);
  } catch (err) {
    throw new UserError(`${label}: not an .npz archive (${(err as Error).message})`);
  }
  const out: Partial<Record<string, NpyArray>> = {};
  for (const [k, v] of Object.entries(files))
    if (k.endsWith('.npy')) out[k.slice(0, -4)] = decodeNpyArray(v, `${label} ${k}`);
  return out;
}
