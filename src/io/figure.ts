import type { Raster } from './raster.js';
import { drawText, textWidth } from './text.js';

/** NectarGAN's figures write labels and caption in pure green. */
const GREEN: [number, number, number] = [0, 255, 0];

export interface FigureParts {
  real: Raster;
  fake: Raster;
  /** The filtered maps (sobel, laplacian), already mapped to display levels; absent for l1/l2. */
  filtered?: { real: Raster; fake: Raster; label: string };
  heatmap: Raster;
  /**
   * `Sobel Heatmap - Mean: 0.365425`; lines apart by `\n` (a similarity's map, then its value) are stacked
   * upward from the bottom line's baseline, all at one size.
   */
  caption: string;
}

/** Copies `src` (gray or RGB) into the RGB canvas at (x0, y0), enlarged `k` times by nearest neighbour. */
function blit(canvas: Raster, src: Raster, x0: number, y0: number, k = 1): void {
  const step = src.channels === 3 ? 1 : 0; // gray sources repeat their one sample
  const row = new Uint8Array(src.width * k * 3);
  for (let sy = 0; sy < src.height; sy++) {
    // One output row, built once and copied to the k rows it covers.
    if (k === 1 && step) row.set(src.data.subarray(sy * src.width * 3, (sy + 1) * src.width * 3));
    else {
      for (let x = 0; x < src.width * k; x++) {
        const s = (sy * src.width + Math.floor(x / k)) * src.channels;
        row[x * 3] = src.data[s]!;
        row[x * 3 + 1] = src.data[s + step]!;
        row[x * 3 + 2] = src.data[s + 2 * step]!;
      }
    }
    for (let r = 0; r < k; r++) canvas.data.set(row, ((y0 + sy * k + r) * canvas.width + x0) * 3);
  }
}

/** Font size that fits `text` in `room` pixels, starting from `size` (captions on narrow images shrink). */
function fit(text: string, size: number, room: number): number {
  const w = textWidth(text, size);
  return w <= room ? size : Math.max(6, Math.floor((size * room) / w));
}

/**
 * The docs' composite, measured off NectarGAN's 1024x512 examples (256x256 tiles): for W x H inputs a 4W x 2H
 * image; left half a 2x2 grid (real | fake over filtered real | filtered fake), each labelled at its
 * bottom-left corner in green (Lato, 0.075 H, 2% W in, baseline 5% H up); right half the heatmap enlarged 2x
 * (nearest) with the caption (0.06 of 2H, 2.5% in, baseline 3% up). Without filtered maps (l1, l2) the left
 * half is one column, real over fake, and the figure is 3W x 2H.
 */
export async function composeFigure(p: FigureParts): Promise<Raster> {
  const W = p.real.width,
    H = p.real.height;
  const cols = p.filtered ? 2 : 1;
  const canvas: Raster = {
    width: (cols + 2) * W,
    height: 2 * H,
    channels: 3,
    data: new Uint8Array((cols + 2) * W * 2 * H * 3),
  };
  const tiles: [Raster, string, number, number][] = p.filtered
    ? [
        [p.real, 'y_real', 0, 0],
        [p.fake, 'y_fake', W, 0],
        [p.filtered.real, `y_real_${p.filtered.label}`, 0, H],
        [p.filtered.fake, `y_fake_${p.filtered.label}`, W, H],
      ]
    : [
        [p.real, 'y_real', 0, 0],
        [p.fake, 'y_fake', 0, H],
      ];
  const hx = cols * W;
  blit(canvas, p.heatmap, hx, 0, 2);
  for (const [tile, , x, y] of tiles) blit(canvas, tile, x, y);
  const labelSize = Math.max(7, Math.round(0.075 * H));
  const inset = Math.round(0.02 * W),
    capInset = Math.round(0.025 * 2 * W);
  const captions = p.caption.split('\n');
  const capBase = Math.max(8, Math.round(0.06 * 2 * H));
  const capSize = Math.min(...captions.map((c) => fit(c, capBase, 2 * W - 2 * capInset)));
  const capY = (i: number) =>
    2 * H - Math.round(0.03 * 2 * H) - (captions.length - 1 - i) * Math.round(1.25 * capSize);
  // The texts cover disjoint areas, so they are rasterised concurrently (on sharp's threads).
  await Promise.all([
    ...tiles.map(([, label, x, y]) =>
      drawText(
        canvas,
        label,
        x + inset,
        y + H - Math.round(0.05 * H),
        fit(label, labelSize, W - 2 * inset),
        GREEN,
      ),
    ),
    ...captions.map((c, i) => drawText(canvas, c, hx + capInset, capY(i), capSize, GREEN)),
  ]);
  return canvas;
}
