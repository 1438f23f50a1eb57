import { PNG } from 'pngjs';
import type { Raster } from './raster.js';

/**
 * 8-bit PNG, gray (colour type 0) or RGB (2), no ancillary chunks, fixed zlib settings: the same raster
 * always gives the same bytes, so heatmaps and figures can be committed as snapshots.
 */
export function encodePng(r: Raster): Buffer {
  const png = new PNG({ width: r.width, height: r.height, colorType: r.channels === 1 ? 0 : 2, inputColorType: r.channels === 1 ? 0 : 2, inputHasAlpha: false, bitDepth: 8 });
  png.data = Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength);
  return PNG.sync.write(png, { colorType: r.channels === 1 ? 0 : 2, inputColorType: r.channels === 1 ? 0 : 2, inputHasAlpha: false, bitDepth: 8, deflateLevel: 9, filterType: -1 });
}
