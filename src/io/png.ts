import { readFile } from 'node:fs/promises';
import type { ImageInput } from '../model.js';
import { sharp } from './sharp.js';
import type { Raster } from './raster.js';

/**
 * 8-bit PNG, gray or RGB, encoded by libvips (sharp) with fixed settings — zlib level 6, no adaptive
 * filtering, no palette, no metadata — so the same raster always gives the same bytes (heatmaps and
 * figures can be committed as snapshots), and several times faster than a JavaScript encoder.
 */
export async function encodePng(r: Raster): Promise<Buffer> {
  const img = sharp(r.data, { raw: { width: r.width, height: r.height, channels: r.channels } });
  // One channel stays one channel (libvips would otherwise write gray as RGB).
  return (r.channels === 1 ? img.toColourspace('b-w') : img)
    .png({ compressionLevel: 6, adaptiveFiltering: false, palette: false, force: true })
    .toBuffer();
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * An image as PNG bytes, to be stored as a baseline: a PNG file or buffer as it is (byte for byte), other
 * encodings and raw pixels encoded losslessly by sharp.
 */
export async function asPng(input: ImageInput): Promise<Buffer> {
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const bytes = typeof input === 'string' ? await readFile(input) : Buffer.from(input);
    return bytes.subarray(0, 8).equals(SIGNATURE) ? bytes : sharp(bytes).png().toBuffer();
  }
  const { data, width, height, channels = 4 } = input;
  return sharp(data, { raw: { width, height, channels } }).png().toBuffer();
}
