import { UserError } from '../errors.js';

/**
 * NumPy .npy version 1.0 for a float32 little-endian C-order array: magic, version, header length (u16 LE),
 * a Python-dict header padded with spaces to a 64-byte boundary ending in '\n', then the raw data.
 */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Buffer {
  const dict =
    `{'descr': '<f4', 'fortran_order': False, 'shape': ` +
    `(${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pre = 10;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - pre - 1, ' ') + '\n';
  const out = Buffer.alloc(total + data.length * 4);
  out.write('\x93NUMPY', 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, pre, 'latin1');
  for (let i = 0; i < data.length; i++) out.writeFloatLE(data[i], total + i * 4);
  return out;
}

/** Reads what encodeNpy writes, and what numpy.save writes for '<f4' C-order arrays (v1 and v2 headers). */
export function decodeNpy(buf: Buffer): { data: Float32Array; shape: number[] } {
  if (buf.length < 12 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new UserError('not a .npy file');
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header))
    throw new UserError(`unsupported .npy header ${header.trim()}`);
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = buf.readFloatLE(start + hlen + i * 4);
  return { data, shape };
}
