/**
 * Passes over a float32 map that skip its +0 entries four at a time (a screenshot's map is mostly +0), in
 * WebAssembly SIMD (AssemblyScript, compiled by `npm run build` to dist/asm/map-scan.wasm): the heatmap's
 * levels (src/io/raster.ts's toLevels), the statistics' first pass (src/engine/stats.ts's gather) and the
 * changed regions' pass (src/engine/decide/regions.ts), each the same float64 arithmetic, in the same order,
 * as the JavaScript it stands in for; and the rendering rule of the kinds (src/engine/decide/kinds.ts) on
 * 8-bit pixels.
 */

/**
 * level = round(255 * clamp(v * inv, 0, 1)) as toLevels writes it: v * inv in float64, 255 at or above 1,
 * floor(255 v + 0.5) above 0, else 0 (NaN too). `out`: n bytes.
 */
export function levels(map: usize, n: i32, inv: f64, out: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = map + (<usize>i << 2);
    if (!v128.any_true(v128.load(at))) {
      store<u32>(out + <usize>i, 0);
      continue;
    }
    for (let j = 0; j < 4; j++) store<u8>(out + <usize>(i + j), level(load<f32>(at + (<usize>j << 2)), inv));
  }
  for (; i < n; i++) store<u8>(out + <usize>i, level(load<f32>(map + (<usize>i << 2)), inv));
}

@inline function level(x: f32, inv: f64): u8 {
  const v = <f64>x * inv;
  return v >= 1 ? 255 : v > 0 ? <u8>(<i32>(v * 255 + 0.5)) : 0;
}

/**
 * The statistics' first pass over the compared entries (`mask` 0: all; else n bytes, nonzero = compared),
 * in index order: +0 entries counted; the others' bits appended at `keys` (int32) and their order keys'
 * top 16 bits counted at `counts` (65536 uint32, zeroed here), their float64 sum and max taken, those below
 * +0 counted. Results at `res`: f64 sum, f64 max, then i32 gathered, zeros, below, first +0, first -0.
 */
export function gather(map: usize, n: i32, mask: usize, keys: usize, counts: usize, res: usize): void {
  memory.fill(counts, 0, 65536 << 2);
  let sum: f64 = 0,
    max: f64 = -Infinity,
    m = 0,
    zeros = 0,
    neg = 0,
    firstZero = -1,
    firstMinusZero = -1;
  for (let i = 0; i < n; i++) {
    // Four +0 entries at once (no mask).
    if (mask == 0 && (i & 3) == 0 && i + 4 <= n && !v128.any_true(v128.load(map + (<usize>i << 2)))) {
      if (zeros == 0) firstZero = i;
      zeros += 4;
      i += 3;
      continue;
    }
    const b = load<i32>(map + (<usize>i << 2));
    if (mask != 0 && load<u8>(mask + <usize>i) == 0) continue;
    if (b == 0) {
      if (zeros++ == 0) firstZero = i;
      continue;
    }
    const v = <f64>load<f32>(map + (<usize>i << 2));
    store<i32>(keys + (<usize>m << 2), b);
    m++;
    const key = <u32>(b ^ ((b >> 31) | 0x80000000)) >>> 16;
    const c = counts + (<usize>key << 2);
    store<u32>(c, load<u32>(c) + 1);
    sum += v;
    if (v > max) max = v;
    if (b < 0) {
      neg++;
      if (b == i32.MIN_VALUE && firstMinusZero < 0) firstMinusZero = i;
    }
  }
  store<f64>(res, sum);
  store<f64>(res, max, 8);
  store<i32>(res, m, 16);
  store<i32>(res, zeros, 20);
  store<i32>(res, neg, 24);
  store<i32>(res, firstZero, 28);
  store<i32>(res, firstMinusZero, 32);
}

/**
 * The largest entry above +0, or 0 (raster.ts's maxScale over one map): per lane m = m < v ? v : m from
 * +0 (f32x4.pmax: a NaN entry is passed over, as `v > m` passes it over), then the lanes the same way.
 */
export function largest(map: usize, n: i32): f32 {
  let m = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) m = f32x4.pmax(m, v128.load(map + (<usize>i << 2)));
  let r: f32 = 0;
  for (let j = 0; j < 4; j++) {
    const v = f32x4.extract_lane(m, 0);
    if (v > r) r = v;
    m = v128.shuffle<f32>(m, m, 1, 2, 3, 0);
  }
  for (; i < n; i++) {
    const v = load<f32>(map + (<usize>i << 2));
    if (v > r) r = v;
  }
  return r;
}

/**
 * Levels through a colour map (raster.ts's colorize): out (3n bytes) = lut[3 level .. 3 level + 2] per
 * pixel; four level-0 pixels at a time as one 12-byte pattern. `lut`: 768 bytes.
 */
export function colorize(levels: usize, n: i32, lut: usize, out: usize): void {
  const c0 = <u64>load<u8>(lut), c1 = <u64>load<u8>(lut, 1), c2 = <u64>load<u8>(lut, 2);
  const rgb = c0 | (c1 << 8) | (c2 << 16);
  const lo = rgb | (rgb << 24) | (c0 << 48) | (c1 << 56);
  const hi = <u32>(c2 | (rgb << 8));
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = out + <usize>(i * 3);
    if (load<u32>(levels + <usize>i) == 0) {
      store<u64>(o, lo);
      store<u32>(o, hi, 8);
      continue;
    }
    for (let j = 0; j < 4; j++) pixel(levels, lut, out, i + j);
  }
  for (; i < n; i++) pixel(levels, lut, out, i);
}

@inline function pixel(levels: usize, lut: usize, out: usize, i: i32): void {
  const j = lut + <usize>load<u8>(levels + <usize>i) * 3;
  const o = out + <usize>(i * 3);
  store<u8>(o, load<u8>(j));
  store<u8>(o, load<u8>(j, 1), 1);
  store<u8>(o, load<u8>(j, 2), 2);
}

/**
 * Changed regions (src/engine/decide/regions.ts's findRegions, the same steps in the same order): the hot
 * cells (CELL = 4 px) holding an entry with <f64>v > t (and mask byte nonzero, `mask` 0: all compared),
 * quads of entries none of which is above `tlo` (an f32 at most t) skipped at once; the cells' 8-connected
 * labels, numbered in the order of their first cell; per label, over its cells in index order and each
 * cell's pixels row by row, the hot pixels' count, box (i32 n, x0, y0, x1, y1 at `ints`, 20 bytes a label)
 * and float64 sum and max (at `sums`, 16 bytes a label). `hot` (cells bytes), `label` and `stack` (cells
 * i32 each) are work space. Returns the number of labels.
 */
export function regions(
  map: usize,
  width: i32,
  height: i32,
  t: f64,
  tlo: f32,
  mask: usize,
  hot: usize,
  label: usize,
  stack: usize,
  ints: usize,
  sums: usize,
): i32 {
  const cw = (width + 3) >> 2,
    ch = (height + 3) >> 2,
    cells = cw * ch;
  if (!hotCells(map, width, height, t, tlo, mask, hot, cw)) return 0;
  const count = labelCells(hot, label, stack, cw, ch);
  for (let l = 0; l < count; l++) {
    const a = ints + <usize>(l * 20);
    store<i32>(a, 0);
    store<i32>(a, width, 4);
    store<i32>(a, height, 8);
    store<i32>(a, -1, 12);
    store<i32>(a, -1, 16);
    store<f64>(sums + <usize>(l << 4), 0);
    store<f64>(sums + <usize>(l << 4), 0, 8);
  }
  for (let c = 0; c < cells; c++) {
    const l = load<i32>(label + (<usize>c << 2));
    if (l < 0) continue;
    const cx = (c % cw) << 2,
      cy = (c / cw) << 2;
    const a = ints + <usize>(l * 20),
      s = sums + <usize>(l << 4);
    // The label's accumulators in locals over the cell.
    let n = load<i32>(a),
      x0 = load<i32>(a, 4),
      y0 = load<i32>(a, 8),
      x1 = load<i32>(a, 12),
      y1 = load<i32>(a, 16),
      sum = load<f64>(s),
      top = load<f64>(s, 8);
    for (let y = cy; y < min(height, cy + 4); y++)
      for (let x = cx; x < min(width, cx + 4); x++) {
        const i = y * width + x;
        const v = <f64>load<f32>(map + (<usize>i << 2));
        if (!(v > t) || (mask != 0 && load<u8>(mask + <usize>i) == 0)) continue;
        n++;
        sum += v;
        if (v > top) top = v;
        if (x < x0) x0 = x;
        if (y < y0) y0 = y;
        if (x > x1) x1 = x;
        if (y > y1) y1 = y;
      }
    store<i32>(a, n);
    store<i32>(a, x0, 4);
    store<i32>(a, y0, 8);
    store<i32>(a, x1, 12);
    store<i32>(a, y1, 16);
    store<f64>(s, sum);
    store<f64>(s, top, 8);
  }
  return count;
}

/** Marks the hot cells (1 byte each, cw a row); whether any is hot. */
function hotCells(map: usize, width: i32, height: i32, t: f64, tlo: f32, mask: usize, hot: usize, cw: i32): bool {
  memory.fill(hot, 0, <usize>(cw * ((height + 3) >> 2)));
  const tv = f32x4.splat(tlo);
  let any = false;
  for (let y = 0; y < height; y++) {
    const row = y * width,
      crow = hot + <usize>((y >> 2) * cw);
    let x = 0;
    // Four entries (of one cell) at once: skipped while none is above tlo (so none above t), or when their
    // cell is already hot.
    for (; x + 4 <= width; x += 4) {
      if (!v128.any_true(f32x4.gt(v128.load(map + (<usize>(row + x) << 2)), tv))) continue;
      const c = crow + <usize>(x >> 2);
      if (load<u8>(c) != 0) continue;
      for (let i = row + x; i < row + x + 4; i++)
        if (isHot(map, mask, i, t)) {
          store<u8>(c, 1);
          any = true;
          break;
        }
    }
    for (; x < width; x++)
      if (isHot(map, mask, row + x, t)) {
        store<u8>(crow + <usize>(x >> 2), 1);
        any = true;
      }
  }
  return any;
}

@inline function isHot(map: usize, mask: usize, i: i32, t: f64): bool {
  return <f64>load<f32>(map + (<usize>i << 2)) > t && (mask == 0 || load<u8>(mask + <usize>i) != 0);
}

/** The hot cells' 8-connected components, numbered in the order of their first cell (label -1: cold). */
function labelCells(hot: usize, label: usize, stack: usize, cw: i32, ch: i32): i32 {
  const cells = cw * ch;
  memory.fill(label, 0xff, <usize>(cells << 2));
  let count = 0;
  for (let start = 0; start < cells; start++) {
    if (load<u8>(hot + <usize>start) == 0 || load<i32>(label + (<usize>start << 2)) >= 0) continue;
    store<i32>(label + (<usize>start << 2), count);
    store<i32>(stack, start);
    let sp = 1;
    while (sp > 0) {
      sp--;
      const c = load<i32>(stack + (<usize>sp << 2));
      const cx = c % cw,
        cy = c / cw;
      for (let y = max(0, cy - 1); y <= min(ch - 1, cy + 1); y++)
        for (let x = max(0, cx - 1); x <= min(cw - 1, cx + 1); x++) {
          const n = y * cw + x;
          if (load<u8>(hot + <usize>n) == 0 || load<i32>(label + (<usize>n << 2)) >= 0) continue;
          store<i32>(label + (<usize>n << 2), count);
          store<i32>(stack + (<usize>sp << 2), n);
          sp++;
        }
    }
    count++;
  }
  return count;
}

/**
 * The rendering rule of src/engine/decide/kinds.ts (isRendering), the same arithmetic in the same order, on
 * 8-bit RGB copies of the two images' pixels around a box: `real` and `fake` hold w x h pixels (3 bytes
 * each), the box is bw x bh at (bx, by) in them, and every pixel of the box's 3x3 neighbourhoods that lies in
 * the image lies in them. `changedAt` (bw * bh i32) is work space. Returns 1 when at most 2 % of the changed
 * pixels (at most 2 if fewer; `samples` of them tested, evenly spread) lie more than `tol` levels off the
 * colour line of the other image's 3x3 neighbourhood, both ways; else 0.
 */
export function rendering(
  real: usize,
  fake: usize,
  w: i32,
  h: i32,
  bx: i32,
  by: i32,
  bw: i32,
  bh: i32,
  changedAt: usize,
  samples: i32,
  tol: f64,
): i32 {
  let changed = 0;
  for (let y = by; y < by + bh; y++)
    for (let p = y * w + bx, end = p + bw; p < end; p++) {
      const i = <usize>(p * 3);
      if (load<u16>(real + i) == load<u16>(fake + i) && load<u8>(real + i, 2) == load<u8>(fake + i, 2)) continue;
      store<i32>(changedAt + (<usize>changed << 2), p);
      changed++;
    }
  if (changed == 0) return 0;
  const every = max(1, changed / samples);
  const cap = max(2.0, 0.02 * <f64>(changed / every));
  let off = 0;
  for (let j = 0; j < changed; j += every) {
    const p = load<i32>(changedAt + (<usize>j << 2)),
      x = p % w,
      y = p / w;
    if (offLine(fake, real, w, h, x, y) > tol || offLine(real, fake, w, h, x, y) > tol) off++;
    if (<f64>off > cap) return 0;
  }
  return 1;
}

/** How far pixel (x, y) of `a` lies off the line through the darkest and brightest colours of `b`'s 3x3
 *  neighbourhood (kinds.ts's offLine with 8-bit samples: its scale factors are 1). */
function offLine(a: usize, b: usize, w: i32, h: i32, x: i32, y: i32): f64 {
  let lo: usize = 0,
    hi: usize = 0,
    loL: f64 = Infinity,
    hiL: f64 = -Infinity;
  for (let v = max(0, y - 1); v <= min(h - 1, y + 1); v++)
    for (let u = max(0, x - 1); u <= min(w - 1, x + 1); u++) {
      const j = b + <usize>((v * w + u) * 3);
      const l = 0.299 * <f64>load<u8>(j) + 0.587 * <f64>load<u8>(j, 1) + 0.114 * <f64>load<u8>(j, 2);
      if (l < loL) {
        loL = l;
        lo = j;
      }
      if (l > hiL) {
        hiL = l;
        hi = j;
      }
    }
  const i = a + <usize>((y * w + x) * 3);
  const s0 = <f64>load<u8>(lo),
    s1 = <f64>load<u8>(lo, 1),
    s2 = <f64>load<u8>(lo, 2);
  const d0 = <f64>load<u8>(hi) - s0,
    d1 = <f64>load<u8>(hi, 1) - s1,
    d2 = <f64>load<u8>(hi, 2) - s2;
  const p0 = <f64>load<u8>(i) - s0,
    p1 = <f64>load<u8>(i, 1) - s1,
    p2 = <f64>load<u8>(i, 2) - s2;
  const dd = d0 * d0 + d1 * d1 + d2 * d2;
  const t = dd > 0 ? (d0 * p0 + d1 * p1 + d2 * p2) / dd : 0;
  const e0 = p0 - t * d0,
    e1 = p1 - t * d1,
    e2 = p2 - t * d2;
  return Math.sqrt(e0 * e0 + e1 * e1 + e2 * e2);
}
