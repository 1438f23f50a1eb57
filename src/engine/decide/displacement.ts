/**
 * The displacement that best explains a region: the shift d of the fake's content such that, over the
 * region's box, fake(p + d) matches real(p) (where the real content went) and real(q - d) matches fake(q)
 * (where the fake content came from: both ways, so a new shape on a plain background is not explained by
 * moving the background). An element drawn 10 px further right in the fake gives [10, 0].
 */
import { hostOneWay } from '../../losses/map-scan.js';
import type { RawImage } from '../../model.js';

/** At most about this many points of a box are compared per displacement (a grid with a stride). */
export const SAMPLES = 1024;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The grid stride that samples at most about SAMPLES points of the box. */
export function strideOf(box: Box, samples = SAMPLES): number {
  return Math.max(1, Math.ceil(Math.sqrt((box.width * box.height) / samples)));
}

/**
 * The mean absolute difference (0..1, averaged over the three channels) between real(p) and fake(p + d),
 * plus the same between fake(q) and real(q - d), over the box's grid points; Infinity when fewer than half
 * of the shifted points lie in the image. Past `bound` it may stop early and return a value above `bound`
 * that is at most the error (the sums only grow), so a search that keeps errors up to `bound` is unchanged.
 */
export function displacedError(
  real: RawImage,
  fake: RawImage,
  box: Box,
  dx: number,
  dy: number,
  stride: number,
  bound = Infinity,
): number {
  if (dx === 0 && dy === 0) return 2 * oneWay(real, fake, box, 0, 0, stride, 0, Infinity);
  const there = oneWay(real, fake, box, dx, dy, stride, 0, bound);
  if (there > bound) return there;
  return there + oneWay(fake, real, box, -dx, -dy, stride, there, bound);
}

/** The order of the grid's rows: those 0 mod 4 first, then 2, 1 and 3 mod 4. */
const PHASES = [0, 2, 1, 3];

/** How many of the grid points start, start + stride, ... (`count` of them) shifted by d lie in 0..size-1. */
function inside(start: number, count: number, stride: number, d: number, size: number): number {
  const first = Math.max(0, Math.ceil((-d - start) / stride)),
    last = Math.min(count - 1, Math.floor((size - 1 - d - start) / stride));
  return Math.max(0, last - first + 1);
}

/**
 * The mean absolute difference between a(p) and b(p + d) over the box's grid points (the points outside
 * the image skipped). Returns early, after a row, once offset + the mean so far exceeds `bound`.
 */
function oneWay(
  a: RawImage,
  b: RawImage,
  box: Box,
  dx: number,
  dy: number,
  stride: number,
  offset: number,
  bound: number,
): number {
  // In the map-scan kernel when it holds the pair's pixels (describePair), the same value.
  const host = hostOneWay(a, b, box, dx, dy, stride, offset, bound);
  if (host !== undefined) return host;
  const { width: w, height: h } = a;
  const gx = Math.ceil(box.width / stride),
    gy = Math.ceil(box.height / stride);
  const nx = inside(box.x, gx, stride, dx, w),
    n = nx * inside(box.y, gy, stride, dy, h);
  if (n * 2 < gx * gy || n === 0) return Infinity;
  const as = a.samples,
    bs = b.samples,
    scale = n * 3 * a.max;
  // The first grid column whose shifted point lies in the image; nx columns from there.
  const x0 = box.x + Math.max(0, Math.ceil((-dx - box.x) / stride)) * stride,
    x1 = x0 + (nx - 1) * stride;
  // The differences are whole numbers, so their sum is exact in any order: rows a quarter of the grid
  // apart come first, so that a poor shift passes `bound` after few rows wherever in the box it differs.
  let sum = 0;
  for (const phase of PHASES)
    for (let y = box.y + phase * stride; y < box.y + box.height; y += 4 * stride) {
      const fy = y + dy;
      if (fy < 0 || fy >= h) continue;
      for (let x = x0, i = (y * w + x0) * 3, j = (fy * w + x0 + dx) * 3; x <= x1; x += stride) {
        sum +=
          Math.abs(as[i]! - bs[j]!) + Math.abs(as[i + 1]! - bs[j + 1]!) + Math.abs(as[i + 2]! - bs[j + 2]!);
        i += 3 * stride;
        j += 3 * stride;
      }
      if (offset + sum / scale > bound) return offset + sum / scale;
    }
  return sum / scale;
}

/**
 * Among displacements whose larger component is from `inner` to `outer` px (rings outward; in each ring
 * row by row), the one of least error; the first met on a tie, so the smallest. Errors above `cutoff` are
 * not sought (the caller wants none of them): then the error returned is above `cutoff`, its d unspecified.
 */
export function bestDisplacement(
  real: RawImage,
  fake: RawImage,
  box: Box,
  inner: number,
  outer: number,
  stride = strideOf(box),
  cutoff = Infinity,
): { d: [number, number]; error: number } {
  let bx = 0,
    by = 0,
    error = Infinity;
  for (let r = Math.max(0, inner); r <= outer; r++)
    for (let dy = -r; dy <= r; dy++)
      for (let dx = -r; dx <= r; dx++) {
        if (Math.max(Math.abs(dx), Math.abs(dy)) !== r) continue;
        const e = displacedError(real, fake, box, dx, dy, stride, Math.min(error, cutoff));
        if (!(e < error)) continue;
        bx = dx;
        by = dy;
        error = e;
      }
  return { d: [bx, by], error };
}
