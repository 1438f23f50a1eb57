import { hostColorize, hostLargest, hostLevels } from '../losses/map-scan.js';

/** An 8-bit raster: 1 (gray) or 3 (RGB) interleaved channels, row-major. */
export interface Raster {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/**
 * The heatmap rule: level = round(255 * clamp(v / scale, 0, 1)). Scale 1 shows the map as is in unit range
 * (values >= 1 saturate); `max` divides by the largest value so the peak is white.
 */
export function toLevels(map: Float32Array, scale: number): Uint8Array {
  const inv = scale > 0 ? 1 / scale : 0;
  // The WebAssembly pass (asm/map-scan.ts: the same float64 steps), or this loop for a map too large.
  const fast = hostLevels(map, inv);
  if (fast) return fast;
  const out = new Uint8Array(map.length);
  // +0 entries (most of a screenshot's map) stay at the array's 0, read as bits: no float arithmetic.
  const bits = new Int32Array(map.buffer, map.byteOffset, map.length);
  for (let i = 0; i < map.length; i++) {
    if (bits[i] === 0) continue;
    const v = map[i] * inv;
    // round(255 v) = floor(255 v + 0.5) for v > 0 (Math.round measured several times slower here).
    out[i] = v >= 1 ? 255 : v > 0 ? (v * 255 + 0.5) | 0 : 0;
  }
  return out;
}

/** Largest value of one or more maps; 1 when all are zero, so a zero map stays black. */
export function maxScale(...maps: Float32Array[]): number {
  let m = 0;
  for (const a of maps) {
    // The WebAssembly pass (four entries at a time), or this loop for a map too large for it.
    const fast = hostLargest(a);
    if (fast !== undefined) m = Math.max(m, fast);
    else for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i]!;
  }
  return m > 0 ? m : 1;
}

/** Gray levels through a colour map's LUT (null: stay one-channel gray). */
export function colorize(levels: Uint8Array, width: number, height: number, lut: Uint8Array | null): Raster {
  if (!lut) return { width, height, channels: 1, data: levels };
  // The WebAssembly pass (asm/map-scan.ts), or this loop for levels too many for it.
  const fast = hostColorize(levels, lut);
  if (fast) return { width, height, channels: 3, data: fast };
  const data = Buffer.alloc(levels.length * 3);
  // Level 0's colour everywhere at once, then the other levels (a screenshot's map is
  // mostly 0), skipped four at a time where their bytes are all 0.
  if (lut[0] || lut[1] || lut[2]) {
    // Buffer.fill with a 3-byte pattern copies 3 bytes at a time; doubling copies are a few memcpy calls.
    data.set(lut.subarray(0, 3));
    for (let n = 3; n < data.length; n *= 2) data.copyWithin(n, 0, Math.min(n, data.length - n));
  }
  const put = (i: number) => {
    const j = levels[i]! * 3;
    if (j === 0) return;
    data[i * 3] = lut[j]!;
    data[i * 3 + 1] = lut[j + 1]!;
    data[i * 3 + 2] = lut[j + 2]!;
  };
  const aligned = levels.byteOffset % 4 === 0 ? levels.length >> 2 : 0;
  const quads = aligned ? new Uint32Array(levels.buffer, levels.byteOffset, aligned) : new Uint32Array(0);
  for (let q = 0; q < aligned; q++) {
    if (quads[q] === 0) continue;
    for (let i = 4 * q; i < 4 * q + 4; i++) put(i);
  }
  for (let i = 4 * aligned; i < levels.length; i++) put(i);
  return { width, height, channels: 3, data };
}

/** Stored samples -> 8-bit RGB for display: 8-bit as is, 16-bit as round(255 * v / 65535). */
export function toRgb8(img: {
  width: number;
  height: number;
  samples: Uint8Array | Uint16Array;
  max: number;
}): Raster {
  if (img.max === 255)
    return { width: img.width, height: img.height, channels: 3, data: img.samples as Uint8Array };
  const out = new Uint8Array(img.samples.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round((img.samples[i] * 255) / img.max);
  return { width: img.width, height: img.height, channels: 3, data: out };
}

/** The colour of region outlines on coloured heatmaps: cyan, which no colour map here ends on (magma, inferno). */
export const BOX_COLOUR = [0, 255, 255] as const;

/** A gray heatmap's outline pixel at (x, y): white and black dashes 2 px long, visible on any gray. */
export const grayDash = (x: number, y: number): number => ((x + y) & 2 ? 255 : 0);

/**
 * The raster with a 1-px outline just outside each box (from x−1, y−1 to x+width, y+height, clipped at the
 * image's edges), so that the outlined pixels themselves stay visible: cyan on an RGB heatmap, dashes of
 * white and black on a gray one (which stays one-channel gray). Drawn in place.
 */
export function outlineBoxes(
  r: Raster,
  boxes: readonly { x: number; y: number; width: number; height: number }[],
): Raster {
  const { width: W, height: H, data } = r;
  const put = (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    const i = y * W + x;
    if (r.channels === 1) data[i] = grayDash(x, y);
    else {
      data[3 * i] = BOX_COLOUR[0];
      data[3 * i + 1] = BOX_COLOUR[1];
      data[3 * i + 2] = BOX_COLOUR[2];
    }
  };
  for (const b of boxes) {
    const x0 = b.x - 1,
      y0 = b.y - 1,
      x1 = b.x + b.width,
      y1 = b.y + b.height;
    for (let x = x0; x <= x1; x++) {
      put(x, y0);
      put(x, y1);
    }
    for (let y = y0; y <= y1; y++) {
      put(x0, y);
      put(x1, y);
    }
  }
  return r;
}
