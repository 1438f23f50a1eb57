/**
 * Changed regions of a pair: the connected parts of a loss map above a per-pixel threshold. Pure functions
 * on typed arrays; no TensorFlow.js.
 *
 * Rule: a pixel is hot when its map value exceeds the threshold (and a mask, if any, compares it). The image
 * is cut into CELL x CELL cells; hot pixels whose cells are the same or touch (8 neighbours) belong to one
 * region. So differences less than CELL + 1 px apart always merge, and ones 2 CELL px apart or more never do.
 */
import { hostRegions } from '../../losses/map-scan.js';
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
  // Each cell is pushed at most once.
  const stack = new Int32Array(hot.length);
  let count = 0;
  for (let start = 0; start < hot.length; start++) {
    if (!hot[start] || label[start]! >= 0) continue;
    label[start] = count;
    stack[0] = start;
    let sp = 1;
    while (sp) {
      const c = stack[--sp]!,
        cx = c % cw,
        cy = (c - cx) / cw;
      for (let y = Math.max(0, cy - 1); y <= Math.min(ch - 1, cy + 1); y++)
        for (let x = Math.max(0, cx - 1); x <= Math.min(cw - 1, cx + 1); x++) {
          const n = y * cw + x;
          if (hot[n] && label[n]! < 0) {
            label[n] = count;
            stack[sp++] = n;
          }
        }
    }
    count++;
  }
  return { label, count };
}

/** Per label: hot pixel count and box (n, x0, y0, x1, y1), and the map's sum and max there. */
interface Sums {
  count: number;
  ints: Int32Array;
  sums: Float64Array;
}

/**
 * A region's sum is added up in LANES partial sums, the pixel at x adding to partial x mod 4 (over the
 * region's cells in index order, each cell row by row), and the partials added (s0 + s1) + (s2 + s3): the
 * order the map-scan kernel adds four pixels at once in, so both give the same float64.
 */
export const LANES = 4;

/** The TypeScript pass that hostRegions (losses/map-scan.ts) stands in for: the same sums, same order. */
export function regionSums(map: Float32Array, width: number, height: number, o: FindOptions): Sums {
  const hot = hotCells(map, width, height, o);
  if (!hot) return { count: 0, ints: new Int32Array(0), sums: new Float64Array(0) };
  const cw = Math.ceil(width / CELL),
    ch = Math.ceil(height / CELL);
  const { label, count } = labelCells(hot, cw, ch);
  const ints = new Int32Array(5 * count),
    sums = new Float64Array(2 * count),
    part = new Float64Array(LANES * count);
  for (let l = 0; l < count; l++) ints.set([0, width, height, -1, -1], 5 * l);
  const t = o.threshold,
    mask = o.mask;
  for (let c = 0; c < label.length; c++) {
    const l = label[c]!;
    if (l < 0) continue;
    const a = 5 * l,
      cx = (c % cw) * CELL,
      cy = Math.floor(c / cw) * CELL;
    for (let y = cy; y < Math.min(height, cy + CELL); y++)
      for (let x = cx; x < Math.min(width, cx + CELL); x++) {
        const i = y * width + x,
          v = map[i]!;
        if (!(v > t) || (mask && !mask[i])) continue;
        ints[a]!++;
        part[LANES * l + (x % LANES)] += v;
        if (v > sums[2 * l + 1]!) sums[2 * l + 1] = v;
        if (x < ints[a + 1]!) ints[a + 1] = x;
        if (y < ints[a + 2]!) ints[a + 2] = y;
        if (x > ints[a + 3]!) ints[a + 3] = x;
        if (y > ints[a + 4]!) ints[a + 4] = y;
      }
  }
  for (let l = 0, p = 0; l < count; l++, p += LANES)
    sums[2 * l] = part[p]! + part[p + 1]! + (part[p + 2]! + part[p + 3]!);
  return { count, ints, sums };
}

/**
 * The regions where `map` (width x height, row-major) exceeds the threshold, in the order of their top-left
 * cell (row by row); those with fewer than `minArea` hot pixels dropped. In WebAssembly where the kernel
 * applies (losses/map-scan.ts), else in TypeScript: the same regions.
 */
export function findRegions(map: Float32Array, width: number, height: number, o: FindOptions): FoundRegion[] {
  const { count, ints, sums } =
    hostRegions(map, width, height, o.threshold, o.mask) ?? regionSums(map, width, height, o);
  const found: FoundRegion[] = [];
  for (let l = 0, a = 0; l < count; l++, a += 5) {
    const n = ints[a]!;
    if (n < Math.max(1, o.minArea)) continue;
    const x = ints[a + 1]!,
      y = ints[a + 2]!,
      width = ints[a + 3]! - x + 1,
      height = ints[a + 4]! - y + 1;
    found.push({ x, y, width, height, area: n, mean: sums[2 * l]! / n, max: sums[2 * l + 1]! });
  }
  return found;
}
