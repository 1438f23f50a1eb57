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
