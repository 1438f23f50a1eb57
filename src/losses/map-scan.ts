import type { RawImage } from '../model.js';
import { hostKernel, MAX_KERNEL_BYTES, takeBytes } from './wasm.js';

/**
 * The map passes of asm/map-scan.ts (WebAssembly SIMD, +0 entries skipped four at a time): the heatmap's
 * levels, the statistics' first pass and the changed regions' pass, the same float64 arithmetic in the same
 * order as the JavaScript loops they stand in for (io/raster.ts, engine/stats.ts, engine/decide/regions.ts),
 * which remain for maps too large for the kernel; and on 8-bit pixels the kinds' rendering rule
 * (engine/decide/kinds.ts) and the displacement error (engine/decide/displacement.ts), on one copy of a
 * pair's images while describePair holds them (keepPair). They need no tfjs backend: any thread uses them.
 */

interface ScanKernel {
  levels(map: number, n: number, inv: number, out: number): void;
  gather(...args: number[]): void;
  largest(map: number, n: number): number;
  colorize(levels: number, n: number, lut: number, out: number): void;
  regions(...args: number[]): number;
  rendering(...args: number[]): number;
  oneWay(...args: number[]): number;
  levelRule(...args: number[]): number;
}

const align = (n: number) => (n + 15) & ~15;

let enabled = true;
/** Off: the JavaScript loops run instead (tests check that both give the same). */
export function setMapScan(on: boolean): void {
  enabled = on;
}

/** The map that lies at 0 of the kernel's memory (the last one copied there, until anything else is). */
let atZero: Float32Array | undefined;
/** The map that keepLoaded holds unchanged. */
let held: Float32Array | undefined;

/**
 * Runs f with `map` held: the caller promises that its entries do not change meanwhile, so the passes
 * here that read it (statistics, then regions, for one pair) copy it into the kernel's memory once.
 */
export function keepLoaded<T>(map: Float32Array, f: () => T): T {
  held = map;
  // What lies at 0 may be this very array's earlier entries (a map is recycled for the next pair's): only
  // a copy made while it is held counts.
  atZero = undefined;
  try {
    return f();
  } finally {
    held = undefined;
    atZero = undefined;
  }
}

/** The map copied into the kernel's memory at 0 (unless it is held and already there), with `extra` bytes
 *  after it; undefined if too large. */
function loaded(map: Float32Array, extra: number) {
  const at = align(map.byteLength);
  // Whatever pass this is for, it may write where hostGather marked the hot cells (or their mask).
  marked = undefined;
  if (!enabled || at + extra > MAX_KERNEL_BYTES) return undefined;
  const k = hostKernel<ScanKernel>('map-scan', at + extra);
  if (held !== map || atZero !== map) new Float32Array(k.memory.buffer, 0, map.length).set(map);
  atZero = map;
  return { ...k, at };
}

/** toLevels's levels of `map` at 1 / scale = inv, or undefined where the kernel does not apply. */
export function hostLevels(map: Float32Array, inv: number): Uint8Array | undefined {
  const k = loaded(map, map.length);
  if (!k) return undefined;
  k.exports.levels(0, map.length, inv, k.at);
  // Every byte is written: a recycled array will do.
  const out = takeBytes(map.length);
  out.set(new Uint8Array(k.memory.buffer, k.at, map.length));
  return out;
}

/** The largest entry above +0 of `map`, or 0 (raster.ts's maxScale); undefined where the kernel does not
 *  apply. */
export function hostLargest(map: Float32Array): number | undefined {
  const k = loaded(map, 0);
  return k ? k.exports.largest(0, map.length) : undefined;
}

/** raster.ts's colorize: 8-bit levels through a 768-byte colour LUT into RGB bytes; undefined where the
 *  kernel does not apply. */
export function hostColorize(levels: Uint8Array, lut: Uint8Array): Uint8Array | undefined {
  const n = levels.length,
    lutAt = align(n),
    outAt = lutAt + 1024;
  if (!enabled || outAt + 3 * n > MAX_KERNEL_BYTES) return undefined;
  const k = hostKernel<ScanKernel>('map-scan', outAt + 3 * n);
  atZero = undefined;
  const heap = new Uint8Array(k.memory.buffer);
  heap.set(levels, 0);
  heap.set(lut.subarray(0, 768), lutAt);
  k.exports.colorize(0, n, lutAt, outAt);
  const out = takeBytes(3 * n);
  out.set(heap.subarray(outAt, outAt + 3 * n));
  return out;
}

/** What the statistics' first pass gathers (engine/stats.ts); `keys` and `counts` view the kernel's memory
 *  and are valid until its next call. */
export interface HostGathered {
  /** Bits of the compared entries other than +0, in map order (the first `m`). */
  keys: Int32Array;
  m: number;
  /** Counts of their keys' top 16 bits. */
  counts: Uint32Array;
  /** +0 entries compared; how many gathered keys order below +0 (negatives and -0). */
  zeros: number;
  neg: number;
  sum: number;
  max: number;
  firstZero: number;
  firstMinusZero: number;
}

/** The changed regions' hot cells that hostGather marked (`cells`), for hostRegions on the same map. */
let marked:
  | { map: Float32Array; width: number; threshold: number; mask?: Uint8Array; hotAt: number; any: boolean }
  | undefined;

/**
 * The statistics' first pass of `map`; with `cells` (the map's width and the changed regions' threshold),
 * also the regions' hot cells, which hostRegions then reads instead of the map while the map stays loaded
 * (keepLoaded). Undefined where the kernel does not apply.
 */
export function hostGather(
  map: Float32Array,
  mask?: Uint8Array,
  cells?: { width: number; threshold: number },
): HostGathered | undefined {
  const n = map.length;
  const maskAt = 0,
    keysAt = mask ? align(n) : 0,
    countsAt = keysAt + align(n * 4),
    resAt = countsAt + 65536 * 4,
    hotAt = resAt + 64;
  const hotBytes = cells ? cellCount(cells.width, n / cells.width) : 0;
  // (loaded forgets any cells marked before.)
  const k = loaded(map, hotAt + hotBytes);
  if (!k) return undefined;
  if (mask) new Uint8Array(k.memory.buffer, k.at + maskAt, n).set(mask);
  const [width, t] = cells ? [cells.width, cells.threshold] : [1, 0];
  k.exports.gather(
    0,
    n,
    mask ? k.at + maskAt : 0,
    k.at + keysAt,
    k.at + countsAt,
    k.at + resAt,
    width,
    t,
    cells ? k.at + hotAt : 0,
  );
  const f64 = new Float64Array(k.memory.buffer, k.at + resAt, 2),
    i32 = new Int32Array(k.memory.buffer, k.at + resAt + 16, 6);
  if (cells) marked = { map, width, threshold: t, ...(mask ? { mask } : {}), hotAt, any: i32[5] === 1 };
  const m = i32[0]!;
  return {
    keys: new Int32Array(k.memory.buffer, k.at + keysAt, m),
    m,
    counts: new Uint32Array(k.memory.buffer, k.at + countsAt, 65536),
    zeros: i32[1]!,
    neg: i32[2]!,
    sum: f64[0]!,
    max: f64[1]!,
    firstZero: i32[3]!,
    firstMinusZero: i32[4]!,
  };
}

/** The 4 x 4 cells of a width x height map. */
const cellCount = (width: number, height: number) => ((width + 3) >> 2) * ((height + 3) >> 2);

/** The largest float32 at most t (t itself when it is one); NaN for NaN. */
export function float32AtMost(t: number): number {
  const f = Math.fround(t);
  if (!(f > t)) return f;
  const bits = new Float32Array([f]),
    u = new Int32Array(bits.buffer);
  if (f > 0) u[0]!--;
  else if (f === 0) u[0] = 0x80000001 | 0;
  else u[0]!++;
  return bits[0]!;
}

/** What the changed regions' pass finds (engine/decide/regions.ts): per label, its hot pixels' count and box
 *  and their map values' float64 sum and max; views of the kernel's memory, valid until its next call. */
export interface HostRegions {
  count: number;
  /** n, x0, y0, x1, y1 per label. */
  ints: Int32Array;
  /** sum, max per label. */
  sums: Float64Array;
}

/** The changed regions' pass of `map` (width x height) at threshold t, or undefined where the kernel does
 *  not apply. */
export function hostRegions(
  map: Float32Array,
  width: number,
  height: number,
  t: number,
  mask?: Uint8Array,
): HostRegions | undefined {
  const cells = cellCount(width, height);
  // The hot cells that the statistics' pass marked for this map, threshold and mask, if it did.
  const m = marked;
  const pre =
    m?.map === map && atZero === map && m.width === width && m.threshold === t && m.mask === mask
      ? m
      : undefined;
  const maskAt = 0,
    hotAt = pre ? pre.hotAt : mask ? align(map.length) : 0,
    labelAt = align(hotAt + cells),
    parentAt = labelAt + 4 * cells,
    intsAt = parentAt + 4 * cells,
    sumsAt = align(intsAt + 20 * cells);
  // The sums, then the partial sums while they add up (32 bytes a cell).
  const k = loaded(map, sumsAt + 48 * cells);
  if (!k) return undefined;
  if (mask && !pre) new Uint8Array(k.memory.buffer, k.at + maskAt, map.length).set(mask);
  const [at, b] = [k.at, k.memory.buffer];
  const count = k.exports.regions(
    0,
    width,
    height,
    t,
    float32AtMost(t),
    mask ? at + maskAt : 0,
    at + hotAt,
    at + labelAt,
    at + parentAt,
    at + intsAt,
    at + sumsAt,
    pre ? (pre.any ? 1 : 2) : 0,
  );
  return {
    count,
    ints: new Int32Array(b, at + intsAt, 5 * count),
    sums: new Float64Array(b, at + sumsAt, 2 * count),
  };
}

let heapView: Uint8Array | undefined;

/** A box of pixels: its left, top, width and height. */
interface PixelBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The images that keepPair holds, copied into the kernel's memory (real at 0, fake at fakeAt, free space
 *  from 2 fakeAt) row by row as the rules need them: `copied` marks the rows there, `lo`..`hi` the last
 *  range of rows asked for (all there). */
let pair:
  { real: RawImage; fake: RawImage; fakeAt: number; copied: Uint8Array; lo: number; hi: number } | undefined;
/** keepPair's marks of the rows copied, reused (pairLoaded clears them before the first copy). */
let copiedRows = new Uint8Array(0);
/** What lies at 0 of the kernel's memory when it is the held pair's rows. */
const PAIR = new Float32Array(0);

/**
 * Runs f with two 8-bit RGB images of one size held: the caller promises that their samples do not change
 * meanwhile, so the kinds' rules here (rendering, displacement) read one copy of the rows they need,
 * instead of copying pixels around each region. Images the kernel does not take are not held.
 */
export function keepPair<T>(real: RawImage, fake: RawImage, f: () => T): T {
  const bytes = 3 * real.width * real.height;
  const fits = (im: RawImage) =>
    im.max === 255 &&
    im.samples instanceof Uint8Array &&
    im.samples.length === bytes &&
    im.width === real.width &&
    im.height === real.height;
  const held = enabled && fits(real) && fits(fake) && 4 * align(bytes) < MAX_KERNEL_BYTES;
  if (copiedRows.length < real.height) copiedRows = new Uint8Array(real.height);
  const copied = copiedRows.subarray(0, real.height);
  pair = held ? { real, fake, fakeAt: align(bytes), copied, lo: 0, hi: -1 } : undefined;
  try {
    return f();
  } finally {
    pair = undefined;
    if (atZero === PAIR) atZero = undefined;
  }
}

/**
 * The kernel with rows y0..y1 (clipped to the image) of the held pair's images in its memory and `extra`
 * bytes free after them; undefined when a and b are not the held pair (either way round).
 */
function pairLoaded(a: RawImage, b: RawImage, extra: number, y0: number, y1: number) {
  const p = pair;
  if (!p || !((a === p.real && b === p.fake) || (a === p.fake && b === p.real))) return undefined;
  const k = hostKernel<ScanKernel>('map-scan', 2 * p.fakeAt + extra);
  if (atZero !== PAIR) {
    p.copied.fill(0);
    p.hi = -1;
    atZero = PAIR;
  }
  const [lo, hi] = [Math.max(0, y0), Math.min(p.real.height - 1, y1)];
  if (lo >= p.lo && hi <= p.hi) return k;
  if (heapView?.buffer !== k.memory.buffer) heapView = new Uint8Array(k.memory.buffer);
  const row = 3 * p.real.width;
  for (let y = lo; y <= hi; y++) {
    if (p.copied[y]) continue;
    let end = y;
    while (end < hi && !p.copied[end + 1]) end++;
    p.copied.fill(1, y, end + 1);
    heapView.set(p.real.samples.subarray(y * row, (end + 1) * row), y * row);
    heapView.set(p.fake.samples.subarray(y * row, (end + 1) * row), p.fakeAt + y * row);
    y = end;
  }
  [p.lo, p.hi] = [lo, hi];
  return k;
}

/** Where image `a` of the held pair lies in the kernel's memory. */
const offsetOf = (a: RawImage) => (a === pair!.real ? 0 : pair!.fakeAt);

/**
 * displacement.ts's oneWay (the mean absolute difference between a(p) and b(p + d) over the box's grid
 * points) in the kernel, the same float64; undefined unless a and b are the pair keepPair holds.
 */
export function hostOneWay(
  a: RawImage,
  b: RawImage,
  box: PixelBox,
  dx: number,
  dy: number,
  stride: number,
  offset: number,
  bound: number,
): number | undefined {
  // The box's rows and, with |dy| rows either side, those of any displacement up to |dy| px.
  const k = pairLoaded(a, b, 16, box.y - Math.abs(dy), box.y + box.height - 1 + Math.abs(dy));
  if (!k) return undefined;
  const { x, y, width, height } = box;
  return k.exports.oneWay(
    offsetOf(a),
    offsetOf(b),
    a.width,
    a.height,
    x,
    y,
    width,
    height,
    dx,
    dy,
    stride,
    offset,
    bound,
  );
}

/**
 * The level rule (engine/decide/kinds.ts's isLevel) on the box's grid (`stride`), steps of at most `most`
 * levels, in the kernel on the pair keepPair holds; undefined for any other images.
 */
export function hostLevel(
  real: RawImage,
  fake: RawImage,
  box: PixelBox,
  stride: number,
  most: number,
): boolean | undefined {
  const k = pairLoaded(real, fake, 4 * 511, box.y, box.y + box.height - 1);
  if (!k) return undefined;
  const { x, y, width, height } = box;
  const free = 2 * pair!.fakeAt;
  return (
    k.exports.levelRule(
      offsetOf(real),
      offsetOf(fake),
      real.width,
      x,
      y,
      width,
      height,
      stride,
      free,
      most,
    ) === 1
  );
}

/** The rendering rule's work space after the pixels: which pixels changed (a u16 per five pixels and per
 *  pixel left over, row by row), and 16 bytes that a 16-byte load of the last pixels may read. */
const renderingSpace = (box: PixelBox) => 2 * box.height * (Math.floor(box.width / 5) + 4) + 16;

/**
 * The kernel's rendering rule on the held pair, the fake read (dx, dy) px away: fake(p + d) against real(p)
 * over the box (which, widened by 1 px and shifted by d, lies in the image); 2 when no pixel of the box
 * differs so, 1 when the rule holds, else 0; undefined unless real and fake are the pair keepPair holds.
 */
function heldRendering(
  real: RawImage,
  fake: RawImage,
  box: PixelBox,
  dx: number,
  dy: number,
  samples: number,
  tol: number,
): number | undefined {
  const [my, W, H] = [Math.abs(dy), real.width, real.height];
  const k = pairLoaded(real, fake, renderingSpace(box), box.y - 1 - my, box.y + box.height + my);
  if (!k) return undefined;
  const [r, f] = [offsetOf(real), offsetOf(fake) + 3 * (dy * W + dx)];
  return k.exports.rendering(r, f, W, H, box.x, box.y, box.width, box.height, 2 * pair!.fakeAt, samples, tol);
}

/**
 * The piecewise rendering rule's test of one shift (engine/decide/pieces.ts) on the held pair: fake(p + d)
 * against real(p) over the box, whose pixels and their 3x3 neighbourhoods lie in the image both unshifted
 * and shifted by d: true when nothing differs so or the rendering rule holds; undefined unless the pair is
 * held.
 */
export function hostShiftedRendering(
  real: RawImage,
  fake: RawImage,
  box: PixelBox,
  dx: number,
  dy: number,
  samples: number,
  tol: number,
): boolean | undefined {
  if (!enabled) return undefined;
  const r = heldRendering(real, fake, box, dx, dy, samples, tol);
  return r === undefined ? undefined : r !== 0;
}

/**
 * The rendering rule (engine/decide/kinds.ts's isRendering) on the box, for two 8-bit images of one size:
 * on the held pair's copies (keepPair), else the box widened by 1 px (inside the image) is copied from both
 * into the kernel; undefined where the kernel does not apply (16-bit samples).
 */
export function hostRendering(
  real: RawImage,
  fake: RawImage,
  box: PixelBox,
  samples: number,
  tol: number,
): boolean | undefined {
  if (!enabled || real.max !== 255 || fake.max !== 255) return undefined;
  const held = heldRendering(real, fake, box, 0, 0, samples, tol);
  if (held !== undefined) return held === 1;
  const x0 = Math.max(0, box.x - 1),
    y0 = Math.max(0, box.y - 1),
    w = Math.min(real.width, box.x + box.width + 1) - x0,
    h = Math.min(real.height, box.y + box.height + 1) - y0;
  const bytes = 3 * w * h,
    fakeAt = align(bytes),
    workAt = fakeAt + align(bytes);
  const k = hostKernel<ScanKernel>('map-scan', workAt + renderingSpace(box));
  atZero = undefined;
  // One view of the kernel's memory while it does not grow (a pair has some 30 regions).
  if (heapView?.buffer !== k.memory.buffer) heapView = new Uint8Array(k.memory.buffer);
  const heap = heapView;
  for (let y = 0; y < h; y++) {
    const from = 3 * ((y0 + y) * real.width + x0);
    heap.set(real.samples.subarray(from, from + 3 * w), 3 * w * y);
    heap.set(fake.samples.subarray(from, from + 3 * w), fakeAt + 3 * w * y);
  }
  const r = k.exports.rendering(
    0,
    fakeAt,
    w,
    h,
    box.x - x0,
    box.y - y0,
    box.width,
    box.height,
    workAt,
    samples,
    tol,
  );
  return r === 1;
}
