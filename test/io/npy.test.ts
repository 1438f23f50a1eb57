import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeNpy, encodeNpy } from '../../src/io/npy.js';

test('npy header is 64-byte aligned, v1.0, <f4, C order, and round-trips', () => {
  const data = Float32Array.from({ length: 35 }, (_, i) => i / 7 - 2);
  const buf = encodeNpy(data, [5, 7]);
  assert.equal(buf.toString('latin1', 0, 6), '\x93NUMPY');
  const hlen = buf.readUInt16LE(8);
  assert.equal((10 + hlen) % 64, 0);
  assert.equal(buf[10 + hlen - 1], 0x0a);
  assert.match(
    buf.toString('latin1', 10, 10 + hlen),
    /'descr': '<f4', 'fortran_order': False, 'shape': \(5, 7\)/,
  );
  const back = decodeNpy(buf);
  assert.deepEqual(back.shape, [5, 7]);
  assert.deepEqual(Array.from(back.data), Array.from(data));
});
