/**
 * The displacement that best explains a region: the shift d of the fake's content such that, over the
 * region's box, fake(p + d) matches real(p) (where the real content went) and real(q - d) matches fake(q)
 * (where the fake content came from: both ways, so a new shape on a plain background is not explained by
 * moving the background). An element drawn 10 px further right in the fake gives [10, 0].
 */
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
 * of the shifted points lie in the image.
 */
export function displacedError(
  real: RawImage,
  fake: RawImage,
  box: Box,
  dx: number,
  dy: number,
  stride: number,
): number {
  if (dx === 0 && dy === 0) return 2 * oneWay(real, fake, box, 0, 0, stride);
  return oneWay(real, fake, box, dx, dy, stride) + oneWay(fake, real, box, -dx, -dy, stride);
}

/** The mean absolute difference between a(p) and b(p + d) over the box's grid points. */
function oneWay(real: RawImage, fake: RawImage, box: Box, dx: number, dy: number, stride: number): number {
  const { width: w, height: h } = real;
  const rs = real.samples,
    fs = fake.samples;
  let sum = 0,
    n = 0,
    total = 0;
  for (let y = box.y; y < box.y + box.height; y += stride) {
    const fy = y + dy;
    for (let x = box.x; x < box.x + box.width; x += stride) {
      total++;
      const fx = x + dx;
      if (fx < 0 || fy < 0 || fx >= w || fy >= h) continue;
      const i = (y * w + x) * 3,
        j = (fy * w + fx) * 3;
      sum +=
        Math.abs(rs[i]! - fs[j]!) + Math.abs(rs[i + 1]! - fs[j + 1]!) + Math.abs(rs[i + 2]! - fs[j + 2]!);
      n++;
    }
  }
  return n * 2 < total || n === 0 ? Infinity : sum / (n * 3 * real.max);
}

/**
 * Among displacements whose larger component is from `inner` to `outer` px (rings outward; in each ring
 * row by row), the one of least error; the first met on a tie, so the smallest.
 */
export function bestDisplacement(
  real: RawImage,
  fake: RawImage,
  box: Box,
  inner: number,
  outer: number,
  stride = strideOf(box),
): { d: [number, number]; error: number } {
  let best: { d: [number, number]; error: number } = { d: [0, 0], error: Infinity };
  for (let r = Math.max(0, inner); r <= outer; r++)
    for (let dy = -r; dy <= r; dy++)
      for (let dx = -r; dx <= r; dx++) {
        if (Math.max(Math.abs(dx), Math.abs(dy)) !== r) continue;
        const e = displacedError(real, fake, box, dx, dy, stride);
        if (e < best.error) best = { d: [dx, dy], error: e };
      }
  return best;
}
