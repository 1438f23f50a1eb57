import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { encodePng } from '../../src/io/png.js';

test("encodePng: one-colour rasters reuse their bytes, the encoder's own; one pixel off is encoded afresh", async () => {
  const black = { width: 31, height: 7, channels: 1 as const, data: new Uint8Array(31 * 7) };
  const direct = await sharp(black.data, { raw: { width: 31, height: 7, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: 3, adaptiveFiltering: false, palette: false, force: true })
    .toBuffer();
  const [first, again] = [
    await encodePng(black),
    await encodePng({ ...black, data: new Uint8Array(31 * 7) }),
  ];
  assert.ok(first.equals(direct) && again.equals(direct));
  const spot = new Uint8Array(31 * 7);
  spot[200] = 9;
  const { data } = await sharp(await encodePng({ ...black, data: spot }))
    .raw()
    .toBuffer({ resolveWithObject: true });
  assert.equal(data[200 * (data.length / spot.length)], 9);
  const rgb = {
    width: 2,
    height: 2,
    channels: 3 as const,
    data: Uint8Array.from([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]),
  };
  const px = await sharp(await encodePng(rgb))
    .raw()
    .toBuffer();
  assert.deepEqual([...px], [...rgb.data]);
});
