/**
 * Changed regions of a pair: the connected parts of a loss map above a per-pixel threshold. Pure functions
 * on typed arrays; no TensorFlow.js.
 *
 * Rule: a pixel is hot when its map value exceeds the threshold (and a mask, if any, compares it). The image
 * is cut into CELL x CELL cells; hot pixels whose cells are the same or touch (8 neighbours) belong to one
 * region. So differences less than CELL + 1 px apart always merge, and ones 2 CELL px apart or more never do.
 */
import type { Region } from '../../model.js';

/** The side of the cells that merge nearby differences into one region, in pixels. */
export const CELL = 4; // the scans divide by shifting: >> 2

/** A region as found on the map: its box (of hot pixels), hot pixel count, and the map's mean and max there. */
export type FoundRegion = Omit<Region, 'displacement' | 'kind'>;

export interface FindOptions {
  /** A pixel is hot where map > threshold. */
  threshold: number;
  /** Regions with fewer hot pixels are dropped (specks). */
  minArea: number;
  /** 1 where a pixel is compared. */
  mask?: Uint8Array;
}

/** The hot cells of the map (1 = holds a hot pixel); undefined when no pixel is hot. */
function hotCells(map: Float32Array, width: number, height: number, o: FindOptions): Uint8Array | undefined {
  const cw = Math.ceil(width / CELL);
  const hot = new Uint8Array(cw * Math.ceil(height / CELL));
  const t = o.threshold,
    mask = o.mask;
  let any = false;
  for (let y = 0; y < height; y++) {
    const row = y * width,
      crow = (y >> 2) * cw;
    for (let x = 0; x < width; x++) {
      if (!(map[row + x]! > t)) continue;
      if (mask && !mask[row + x]) continue;
      hot[crow + (x >> 2)] = 1;
      any = true;
    }
  }
  return any ? hot : undefined;
}

/** Labels the hot cells' 8-connected components: label per cell (-1 = cold), and the count. */
function labelCells(hot: Uint8Array, cw: number, ch: number): { label: Int32Array; count: number } {
  const label = new Int32Array(hot.length).fill(-1);
  const stack: number[] = [];
  let count = 0;
  for (let start = 0; start < hot.length; start++) {
    if (!hot[start] || label[start]! >= 0) continue;
    label[start] = count;
    stack.push(start);
    while (stack.length) {
      const c = stack.pop()!,
        cx = c % cw,
        cy = (c - cx) / cw;
      for (let y = Math.max(0, cy - 1); y <= Math.min(ch - 1, cy + 1); y++)
        for (let x = Math.max(0, cx - 1); x <= Math.min(cw - 1, cx + 1); x++) {
          const n = y * cw + x;
          if (hot[n] && label[n]! < 0) {
            label[n] = count;
            stack.push(n);
          }
        }
    }
    count++;
  }
  return { label, count };
}

/**
 * The regions where `map` (width x height, row-major) exceeds the threshold, in the order of their top-left
 * cell (row by row); those with fewer than `minArea` hot pixels dropped.
 */
export function findRegions(map: Float32Array, width: number, height: number, o: FindOptions): FoundRegion[] {
  const hot = hotCells(map, width, height, o);
  if (!hot) return [];
  const cw = Math.ceil(width / CELL),
    ch = Math.ceil(height / CELL);
  const { label, count } = labelCells(hot, cw, ch);
  const acc = Array.from({ length: count }, () => ({
    x0: width,
    y0: height,
    x1: -1,
    y1: -1,
    n: 0,
    sum: 0,
    max: 0,
  }));
  const t = o.threshold,
    mask = o.mask;
  for (let c = 0; c < label.length; c++) {
    const l = label[c]!;
    if (l < 0) continue;
    const a = acc[l]!,
      cx = (c % cw) * CELL,
      cy = Math.floor(c / cw) * CELL;
    for (let y = cy; y < Math.min(height, cy + CELL); y++)
      for (let x = cx; x < Math.min(width, cx + CELL); x++) {
        const i = y * width + x,
          v = map[i]!;
        if (!(v > t) || (mask && !mask[i])) continue;
        a.n++;
        a.sum += v;
        if (v > a.max) a.max = v;
        if (x < a.x0) a.x0 = x;
        if (x > a.x1) a.x1 = x;
        if (y < a.y0) a.y0 = y;
        if (y > a.y1) a.y1 = y;
      }
  }
  return acc
    .filter((a) => a.n >= Math.max(1, o.minArea))
    .map((a) => ({
      x: a.x0,
      y: a.y0,
      width: a.x1 - a.x0 + 1,
      height: a.y1 - a.y0 + 1,
      area: a.n,
      mean: a.sum / a.n,
      max: a.max,
    }));
}
