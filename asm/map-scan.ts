/**
 * Passes over a float32 map that skip its +0 entries four at a time (a screenshot's map is mostly +0), in
 * WebAssembly SIMD (AssemblyScript, compiled by `npm run build` to dist/asm/map-scan.wasm): the heatmap's
 * levels (src/io/raster.ts's toLevels), the statistics' first pass (src/engine/stats.ts's gather) and the
 * changed regions' pass (src/engine/decide/regions.ts), each the same float64 arithmetic, in the same order,
 * as the JavaScript it stands in for; and, on 8-bit pixels, the rendering rule of the kinds
 * (src/engine/decide/kinds.ts) and the displacement error (src/engine/decide/displacement.ts's oneWay).
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
 * quads of entries none of which is above `tlo` (the largest f32 at most t) skipped at once; the cells' 8-connected
 * labels, numbered in the order of their first cell; per label, over its cells in index order and each
 * cell's pixels row by row, the hot pixels' count, box (i32 n, x0, y0, x1, y1 at `ints`, 20 bytes a label)
 * and float64 sum and max (at `sums`, 16 bytes a label). `hot` (cells bytes), `label` and `parent` (cells
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
  parent: usize,
  ints: usize,
  sums: usize,
): i32 {
  const cw = (width + 3) >> 2,
    ch = (height + 3) >> 2;
  if (!hotCells(map, width, height, t, tlo, mask, hot, cw)) return 0;
  const count = labelCells(hot, label, parent, cw, ch);
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
  const tv = f32x4.splat(tlo);
  for (let cy = 0, c = 0; cy < height; cy += 4)
    for (let cx = 0; cx < width; cx += 4, c++) {
      const l = load<i32>(label + (<usize>c << 2));
      if (l >= 0) addCell(map, width, height, t, tv, mask, cx, cy, ints + <usize>(l * 20), sums + <usize>(l << 4));
    }
  return count;
}

/**
 * Adds the hot pixels of the cell at (cx, cy) to its label's count and box (`a`) and float64 sum and max
 * (`s`), row by row, each row's pixels left to right. A whole row of 4 is tested at once: for a float32 v,
 * v > tlo (the largest float32 at most t) exactly when <f64>v > t, so its lanes above tlo (and compared)
 * are the row's hot pixels, and only they are read again (for the sum and max, in order).
 */
@inline function addCell(
  map: usize,
  width: i32,
  height: i32,
  t: f64,
  tv: v128,
  mask: usize,
  cx: i32,
  cy: i32,
  a: usize,
  s: usize,
): void {
  let n = load<i32>(a),
    x0 = load<i32>(a, 4),
    y0 = load<i32>(a, 8),
    x1 = load<i32>(a, 12),
    y1 = load<i32>(a, 16),
    sum = load<f64>(s),
    top = load<f64>(s, 8);
  const ye = min(height, cy + 4);
  if (cx + 4 <= width) {
    for (let y = cy; y < ye; y++) {
      const i = y * width + cx;
      let bits = i32x4.bitmask(f32x4.gt(v128.load(map + (<usize>i << 2)), tv));
      if (mask != 0 && bits != 0)
        for (let j = 0; j < 4; j++) if (load<u8>(mask + <usize>(i + j)) == 0) bits &= ~(1 << j);
      if (bits == 0) continue;
      n += popcnt(bits);
      x0 = min(x0, cx + ctz(bits));
      x1 = max(x1, cx + 31 - clz(bits));
      y0 = min(y0, y);
      y1 = max(y1, y);
      while (bits != 0) {
        const v = <f64>load<f32>(map + (<usize>(i + ctz(bits)) << 2));
        sum += v;
        if (v > top) top = v;
        bits &= bits - 1;
      }
    }
  } else {
    for (let y = cy; y < ye; y++)
      for (let x = cx; x < width; x++) {
        const i = y * width + x;
        if (!isHot(map, mask, i, t)) continue;
        const v = <f64>load<f32>(map + (<usize>i << 2));
        n++;
        sum += v;
        if (v > top) top = v;
        if (x < x0) x0 = x;
        if (y < y0) y0 = y;
        if (x > x1) x1 = x;
        if (y > y1) y1 = y;
      }
  }
  store<i32>(a, n);
  store<i32>(a, x0, 4);
  store<i32>(a, y0, 8);
  store<i32>(a, x1, 12);
  store<i32>(a, y1, 16);
  store<f64>(s, sum);
  store<f64>(s, top, 8);
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
      const gt = f32x4.gt(v128.load(map + (<usize>(row + x) << 2)), tv);
      if (!v128.any_true(gt)) continue;
      const c = crow + <usize>(x >> 2);
      if (mask == 0) {
        // Above tlo is above t (see addCell).
        store<u8>(c, 1);
        any = true;
        continue;
      }
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

/**
 * The hot cells' 8-connected components, numbered in the order of their first cell (label -1: cold): one
 * raster pass joins each hot cell to its hot neighbours already passed (west, north-west, north,
 * north-east) in a union-find (`parent`, cells i32) whose root is always the component's first cell, then
 * a second pass numbers the roots in order and gives every cell its root's number.
 */
function labelCells(hot: usize, label: usize, parent: usize, cw: i32, ch: i32): i32 {
  for (let cy = 0, c = 0; cy < ch; cy++)
    for (let cx = 0; cx < cw; cx++, c++) {
      if (load<u8>(hot + <usize>c) == 0) continue;
      store<i32>(parent + (<usize>c << 2), c);
      if (cx > 0 && load<u8>(hot + <usize>(c - 1)) != 0) join(parent, c, c - 1);
      if (cy == 0) continue;
      const n = c - cw;
      if (cx > 0 && load<u8>(hot + <usize>(n - 1)) != 0) join(parent, c, n - 1);
      if (load<u8>(hot + <usize>n) != 0) join(parent, c, n);
      if (cx + 1 < cw && load<u8>(hot + <usize>(n + 1)) != 0) join(parent, c, n + 1);
    }
  let count = 0;
  for (let c = 0, cells = cw * ch; c < cells; c++) {
    let l = -1;
    if (load<u8>(hot + <usize>c) != 0) {
      const r = root(parent, c);
      l = r == c ? count++ : load<i32>(label + (<usize>r << 2));
    }
    store<i32>(label + (<usize>c << 2), l);
  }
  return count;
}

/** The root of c's set, halving the path on the way. */
@inline function root(parent: usize, c: i32): i32 {
  let x = c;
  while (true) {
    const p = load<i32>(parent + (<usize>x << 2));
    if (p == x) return x;
    const g = load<i32>(parent + (<usize>p << 2));
    store<i32>(parent + (<usize>x << 2), g);
    x = g;
  }
}

/** Joins the sets of a and b under the smaller root (so a root is its set's first cell). */
@inline function join(parent: usize, a: i32, b: i32): void {
  const ra = root(parent, a),
    rb = root(parent, b);
  if (ra < rb) store<i32>(parent + (<usize>rb << 2), ra);
  else if (rb < ra) store<i32>(parent + (<usize>ra << 2), rb);
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
  // Where the tested pixels are dense (their neighbourhoods overlap), each pixel's luma of the box widened
  // by 1 px, once per image, at `changedAt` after the positions (8-byte aligned, f64): the same values,
  // read instead of computed again.
  const x0 = max(0, bx - 1),
    y0 = max(0, by - 1),
    ww = min(w, bx + bw + 1) - x0,
    wh = min(h, by + bh + 1) - y0;
  const lum = ww * wh <= LUMA_DENSITY * ((changed + every - 1) / every);
  const lumReal = (changedAt + (<usize>changed << 2) + 7) & ~7,
    lumFake = lumReal + (<usize>(ww * wh) << 3);
  if (lum) {
    lumas(real, lumReal, w, x0, y0, ww, wh);
    lumas(fake, lumFake, w, x0, y0, ww, wh);
  }
  let off = 0;
  for (let j = 0; j < changed; j += every) {
    const p = load<i32>(changedAt + (<usize>j << 2)),
      x = p % w,
      y = p / w;
    const far = lum
      ? offLineLuma(fake, real, lumReal, w, h, x, y, x0, y0, ww) > tol ||
        offLineLuma(real, fake, lumFake, w, h, x, y, x0, y0, ww) > tol
      : offLine(fake, real, w, h, x, y) > tol || offLine(real, fake, w, h, x, y) > tol;
    if (far) off++;
    if (<f64>off > cap) return 0;
  }
  return 1;
}

/** Luma is kept per pixel when the box holds at most this many pixels per tested pixel. */
const LUMA_DENSITY = 4;

@inline function luma(j: usize): f64 {
  return 0.299 * <f64>load<u8>(j) + 0.587 * <f64>load<u8>(j, 1) + 0.114 * <f64>load<u8>(j, 2);
}

/** The luma (offLine's) of each pixel of the ww x wh window at (x0, y0) of `im` (w a row), as f64 at `out`. */
function lumas(im: usize, out: usize, w: i32, x0: i32, y0: i32, ww: i32, wh: i32): void {
  for (let y = 0; y < wh; y++)
    for (let x = 0, i = (y0 + y) * w + x0; x < ww; x++, i++)
      store<f64>(out + (<usize>(y * ww + x) << 3), luma(im + <usize>(i * 3)));
}

/** offLine with b's luma read from `lumB` (lumas of b's window at (x0, y0), ww a row). */
function offLineLuma(
  a: usize,
  b: usize,
  lumB: usize,
  w: i32,
  h: i32,
  x: i32,
  y: i32,
  x0: i32,
  y0: i32,
  ww: i32,
): f64 {
  let lo: usize = 0,
    hi: usize = 0,
    loL: f64 = Infinity,
    hiL: f64 = -Infinity;
  const u0 = max(0, x - 1),
    u1 = min(w - 1, x + 1),
    v0 = max(0, y - 1),
    v1 = min(h - 1, y + 1);
  for (
    let v = v0, row = b + <usize>((v0 * w + u0) * 3), lrow = lumB + (<usize>((v0 - y0) * ww + u0 - x0) << 3);
    v <= v1;
    v++, row += <usize>(w * 3), lrow += <usize>(ww << 3)
  )
    for (let u = u0, j = row, q = lrow; u <= u1; u++, j += 3, q += 8) {
      const l = load<f64>(q);
      if (l < loL) {
        loL = l;
        lo = j;
      }
      if (l > hiL) {
        hiL = l;
        hi = j;
      }
    }
  return lineDistance(a + <usize>((y * w + x) * 3), lo, hi);
}

/** How far pixel (x, y) of `a` lies off the line through the darkest and brightest colours of `b`'s 3x3
 *  neighbourhood (kinds.ts's offLine with 8-bit samples: its scale factors are 1). */
function offLine(a: usize, b: usize, w: i32, h: i32, x: i32, y: i32): f64 {
  let lo: usize = 0,
    hi: usize = 0,
    loL: f64 = Infinity,
    hiL: f64 = -Infinity;
  const u0 = max(0, x - 1),
    u1 = min(w - 1, x + 1),
    v0 = max(0, y - 1),
    v1 = min(h - 1, y + 1);
  // Row by row, each left to right (so ties go to the same pixel), by pointers.
  for (let v = v0, row = b + <usize>((v0 * w + u0) * 3); v <= v1; v++, row += <usize>(w * 3))
    for (let u = u0, j = row; u <= u1; u++, j += 3) {
      const l = luma(j);
      if (l < loL) {
        loL = l;
        lo = j;
      }
      if (l > hiL) {
        hiL = l;
        hi = j;
      }
    }
  return lineDistance(a + <usize>((y * w + x) * 3), lo, hi);
}

/** How far (RGB) the pixel at i lies off the line through the colours at lo and hi. */
@inline function lineDistance(i: usize, lo: usize, hi: usize): f64 {
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

/**
 * src/engine/decide/displacement.ts's oneWay on 8-bit RGB images of w x h pixels (a and b, 3 bytes a pixel):
 * the mean absolute difference between a(p) and b(p + d) over the box's grid points (stride apart; those
 * shifted out of the image skipped), Infinity when fewer than half of them lie in it; rows in the same
 * order, returning offset + the mean so far once it exceeds `bound` after a row. The differences are whole
 * numbers, summed exactly, so every value is the same float64 as there.
 */
export function oneWay(
  a: usize,
  b: usize,
  w: i32,
  h: i32,
  bx: i32,
  by: i32,
  bw: i32,
  bh: i32,
  dx: i32,
  dy: i32,
  stride: i32,
  offset: f64,
  bound: f64,
): f64 {
  const gx = (bw + stride - 1) / stride,
    gy = (bh + stride - 1) / stride;
  const nx = inside(bx, gx, stride, dx, w),
    n = nx * inside(by, gy, stride, dy, h);
  if (n * 2 < gx * gy || n == 0) return Infinity;
  const scale = <f64>n * 3 * 255;
  const x0 = bx + <i32>max(0, Math.ceil(<f64>(-dx - bx) / <f64>stride)) * stride,
    step = 3 * stride;
  let sum: i64 = 0;
  for (let phase = 0; phase < 4; phase++) {
    // Rows 0, 2, 1 and 3 mod 4 of the grid.
    const from = by + (phase == 1 ? 2 : phase == 2 ? 1 : phase) * stride;
    for (let y = from; y < by + bh; y += 4 * stride) {
      const fy = y + dy;
      if (fy < 0 || fy >= h) continue;
      let i = a + <usize>((y * w + x0) * 3),
        j = b + <usize>((fy * w + x0 + dx) * 3);
      for (let k = 0; k < nx; k++) {
        sum +=
          <i64>(abs(<i32>load<u8>(i) - <i32>load<u8>(j)) +
            abs(<i32>load<u8>(i, 1) - <i32>load<u8>(j, 1)) +
            abs(<i32>load<u8>(i, 2) - <i32>load<u8>(j, 2)));
        i += step;
        j += step;
      }
      const mean = <f64>sum / scale;
      if (offset + mean > bound) return offset + mean;
    }
  }
  return <f64>sum / scale;
}

/** How many of the grid points start, start + stride, ... (`count` of them) shifted by d lie in 0..size-1. */
function inside(start: i32, count: i32, stride: i32, d: i32, size: i32): i32 {
  const first = max(0, <i32>Math.ceil(<f64>(-d - start) / <f64>stride)),
    last = min(count - 1, <i32>Math.floor(<f64>(size - 1 - d - start) / <f64>stride));
  return max(0, last - first + 1);
}
