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
 * +0 counted. Results at `res`: f64 sum, f64 max, then i32 gathered, zeros, below, first +0, first -0, and
 * whether a cell was marked. With `hot` nonzero, the map being `width` entries a row, it also marks the
 * changed regions' hot cells there as `regions` does (a byte per 4 x 4 cell, cw a row; an entry is hot when
 * compared and <f64>v > t), so that the regions' pass need not read the map for them.
 */
export function gather(
  map: usize,
  n: i32,
  mask: usize,
  keys: usize,
  counts: usize,
  res: usize,
  width: i32,
  t: f64,
  hot: usize,
): void {
  memory.fill(counts, 0, 65536 << 2);
  const cw = (width + 3) >> 2;
  if (hot != 0) memory.fill(hot, 0, <usize>(cw * ((n / width + 3) >> 2)));
  let sum: f64 = 0,
    max: f64 = -Infinity,
    m = 0,
    zeros = 0,
    neg = 0,
    firstZero = -1,
    firstMinusZero = -1,
    marked = 0,
    // Entry i's column and row.
    x = 0,
    y = 0;
  for (let i = 0; i < n; ) {
    // Four +0 entries at once (no mask).
    if (mask == 0 && (i & 3) == 0 && i + 4 <= n && !v128.any_true(v128.load(map + (<usize>i << 2)))) {
      if (zeros == 0) firstZero = i;
      zeros += 4;
      i += 4;
      x += 4;
      while (x >= width) {
        x -= width;
        y++;
      }
      continue;
    }
    const b = load<i32>(map + (<usize>i << 2));
    if (mask == 0 || load<u8>(mask + <usize>i) != 0) {
      if (b == 0) {
        if (zeros++ == 0) firstZero = i;
      } else {
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
        if (hot != 0 && v > t) {
          store<u8>(hot + <usize>((y >> 2) * cw + (x >> 2)), 1);
          marked = 1;
        }
      }
    }
    i++;
    if (++x == width) {
      x = 0;
      y++;
    }
  }
  store<f64>(res, sum);
  store<f64>(res, max, 8);
  store<i32>(res, m, 16);
  store<i32>(res, zeros, 20);
  store<i32>(res, neg, 24);
  store<i32>(res, firstZero, 28);
  store<i32>(res, firstMinusZero, 32);
  store<i32>(res, marked, 36);
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
 * and float64 sum and max (at `sums`, 16 bytes a label): the sum as regions.ts's LANES partial sums (a pixel
 * at x adds to partial x mod 4) added (s0 + s1) + (s2 + s3). `hot` (cells bytes), `label` and `parent` (cells
 * i32 each) are work space, and so are 32 bytes a cell after the sums (the partial sums while they add up);
 * with `marked` nonzero, `hot` holds the cells gather marked for this map and threshold (1: some hot, 2:
 * none). Returns the number of labels.
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
  marked: i32,
): i32 {
  const cw = (width + 3) >> 2,
    ch = (height + 3) >> 2;
  // marked: the statistics' pass (gather) marked the hot cells at `hot` already (1: some, 2: none).
  if (marked == 2 || (marked == 0 && !hotCells(map, width, height, t, tlo, mask, hot, cw))) return 0;
  const count = labelCells(hot, label, parent, cw, ch);
  // Per label: the partial sums (two f64x2) at `part`, 32 bytes; the max at `sums`' second f64.
  const part = sums + (<usize>(cw * ch) << 4);
  for (let l = 0; l < count; l++) {
    const a = ints + <usize>(l * 20);
    store<i32>(a, 0);
    store<i32>(a, width, 4);
    store<i32>(a, height, 8);
    store<i32>(a, -1, 12);
    store<i32>(a, -1, 16);
    v128.store(part + <usize>(l << 5), f64x2.splat(0));
    v128.store(part + <usize>(l << 5), f64x2.splat(0), 16);
    store<f64>(sums + <usize>(l << 4), 0, 8);
  }
  const tv = f32x4.splat(tlo);
  // The hot cells in index order, sixteen cells' hot bytes at a time as a bit mask (a cold cell's label is
  // not written, nor read).
  for (let cy = 0; cy < ch; cy++)
    for (let gx = 0; gx < cw; gx += 16)
      for (let m = hotBits(hot, cy * cw + gx, cw - gx); m != 0; m &= m - 1) {
        const cx = gx + ctz(m),
          l = load<i32>(label + (<usize>(cy * cw + cx) << 2));
        addCell(map, width, height, t, tv, mask, cx << 2, cy << 2, ints + <usize>(l * 20), part + <usize>(l << 5), sums + <usize>(l << 4));
      }
  for (let l = 0; l < count; l++) {
    const p = part + <usize>(l << 5),
      s01 = v128.load(p),
      s23 = v128.load(p, 16);
    const sum =
      f64x2.extract_lane(s01, 0) + f64x2.extract_lane(s01, 1) + (f64x2.extract_lane(s23, 0) + f64x2.extract_lane(s23, 1));
    store<f64>(sums + <usize>(l << 4), sum);
  }
  return count;
}

/**
 * Adds the hot pixels of the cell at (cx, cy) to its label's count and box (`a`), partial sums (`p`: the
 * pixel at x to partial x mod 4; a cold pixel adds +0, which changes no sum) and max (`s`, its second f64),
 * row by row. A whole row of 4 is tested at once: for a float32 v, v > tlo (the largest float32 at most t)
 * exactly when <f64>v > t, so its lanes above tlo (and compared) are the row's hot pixels; the rows' lanes
 * make one 16-bit mask for the count and box, and each row's hot lanes (the others zeroed) add to the
 * partial sums two at a time as float64.
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
  p: usize,
  s: usize,
): void {
  let n = load<i32>(a),
    x0 = load<i32>(a, 4),
    y0 = load<i32>(a, 8),
    x1 = load<i32>(a, 12),
    y1 = load<i32>(a, 16),
    top = load<f64>(s, 8);
  const ye = min(height, cy + 4);
  if (cx + 4 <= width) {
    const at = map + (<usize>(cy * width + cx) << 2),
      stride = <usize>width << 2;
    let bits = 0,
      s01 = v128.load(p),
      s23 = v128.load(p, 16),
      mx = f32x4.splat(-Infinity);
    // A whole cell without a mask: its four rows without a branch (a cold row adds zeros).
    const rows4 = ye == cy + 4 && mask == 0 ? 4 : 0;
    for (let r = 0; r < rows4; r++) {
      const v = v128.load(at + <usize>r * stride);
      const g = f32x4.gt(v, tv);
      bits |= i32x4.bitmask(g) << (4 * r);
      const hv = v128.and(v, g);
      s01 = f64x2.add(s01, f64x2.promote_low_f32x4(hv));
      s23 = f64x2.add(s23, f64x2.promote_low_f32x4(i32x4.shuffle(hv, hv, 2, 3, 0, 1)));
      mx = f32x4.pmax(mx, v128.bitselect(v, f32x4.splat(-Infinity), g));
    }
    for (let r = rows4; r < ye - cy; r++) {
      const v = v128.load(at + <usize>r * stride);
      let g = f32x4.gt(v, tv);
      if (mask != 0) {
        const m = load<u32>(mask + <usize>((cy + r) * width + cx));
        g = v128.and(g, i32x4.ne(v128.and(i32x4.splat(m), i32x4(0xff, 0xff00, 0xff0000, 0xff000000)), i32x4.splat(0)));
      }
      const b = i32x4.bitmask(g);
      if (b == 0) continue;
      bits |= b << (4 * r);
      const hv = v128.and(v, g);
      s01 = f64x2.add(s01, f64x2.promote_low_f32x4(hv));
      s23 = f64x2.add(s23, f64x2.promote_low_f32x4(i32x4.shuffle(hv, hv, 2, 3, 0, 1)));
      mx = f32x4.pmax(mx, v128.bitselect(v, f32x4.splat(-Infinity), g));
    }
    if (bits != 0) {
      const cols = (bits | (bits >> 4) | (bits >> 8) | (bits >> 12)) & 15,
        rows = (bits & 15 ? 1 : 0) | (bits & 0xf0 ? 2 : 0) | (bits & 0xf00 ? 4 : 0) | (bits & 0xf000 ? 8 : 0);
      n += popcnt(bits);
      x0 = min(x0, cx + ctz(cols));
      x1 = max(x1, cx + 31 - clz(cols));
      y0 = min(y0, cy + ctz(rows));
      y1 = max(y1, cy + 31 - clz(rows));
      v128.store(p, s01);
      v128.store(p, s23, 16);
      mx = f32x4.pmax(mx, i32x4.shuffle(mx, mx, 2, 3, 0, 1));
      mx = f32x4.pmax(mx, i32x4.shuffle(mx, mx, 1, 0, 3, 2));
      top = max(top, <f64>f32x4.extract_lane(mx, 0));
    }
  } else {
    for (let y = cy; y < ye; y++)
      for (let x = cx; x < width; x++) {
        const i = y * width + x;
        if (!isHot(map, mask, i, t)) continue;
        const v = <f64>load<f32>(map + (<usize>i << 2)),
          q = p + (<usize>(x & 3) << 3);
        n++;
        store<f64>(q, load<f64>(q) + v);
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
    // Sixteen entries (four cells) at once while none is above tlo (so none above t); then four (one cell)
    // at once: skipped while none is above tlo, or when their cell is already hot.
    for (; x + 4 <= width; x += 4) {
      if ((x & 15) == 0 && x + 16 <= width) {
        const at = map + (<usize>(row + x) << 2);
        const g0 = f32x4.gt(v128.load(at), tv),
          g1 = f32x4.gt(v128.load(at, 16), tv),
          g2 = f32x4.gt(v128.load(at, 32), tv),
          g3 = f32x4.gt(v128.load(at, 48), tv);
        if (!v128.any_true(v128.or(v128.or(g0, g1), v128.or(g2, g3)))) {
          x += 12;
          continue;
        }
      }
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
 * The hot cells' 8-connected components, numbered in the order of their first cell (a cold cell gets no label): one
 * raster pass joins each hot cell to its hot neighbours already passed (west, north-west, north,
 * north-east) in a union-find (`parent`, cells i32) whose root is always the component's first cell, then
 * a second pass numbers the roots in order and gives every hot cell its root's number.
 */
function labelCells(hot: usize, label: usize, parent: usize, cw: i32, ch: i32): i32 {
  for (let cy = 0; cy < ch; cy++)
    for (let gx = 0; gx < cw; gx += 16)
      for (let m = hotBits(hot, cy * cw + gx, cw - gx); m != 0; m &= m - 1) {
        const cx = gx + ctz(m),
          c = cy * cw + cx;
        store<i32>(parent + (<usize>c << 2), c);
        const w = cx > 0 && load<u8>(hot + <usize>(c - 1)) != 0;
        if (cy == 0) {
          if (w) join(parent, c, c - 1);
          continue;
        }
        const n = c - cw;
        // North hot: it already joins west, north-west and north-east (their neighbours); else west joins
        // north-west; north-east is joined on its own.
        if (load<u8>(hot + <usize>n) != 0) {
          join(parent, c, n);
          continue;
        }
        if (w) join(parent, c, c - 1);
        else if (cx > 0 && load<u8>(hot + <usize>(n - 1)) != 0) join(parent, c, n - 1);
        if (cx + 1 < cw && load<u8>(hot + <usize>(n + 1)) != 0) join(parent, c, n + 1);
      }
  // Only hot cells get a label (regions reads no other).
  let count = 0;
  for (let cy = 0; cy < ch; cy++)
    for (let gx = 0; gx < cw; gx += 16)
      for (let m = hotBits(hot, cy * cw + gx, cw - gx); m != 0; m &= m - 1) {
        const c = cy * cw + gx + ctz(m),
          r = root(parent, c);
        store<i32>(label + (<usize>c << 2), r == c ? count++ : load<i32>(label + (<usize>r << 2)));
      }
  return count;
}

/**
 * Which of the cells c .. c + 15 are hot, as bits 0-15 (16 bytes at once; those past the row's `left`
 * cells cleared). The caller visits them in order by ctz, without a branch per cold cell.
 */
@inline function hotBits(hot: usize, c: i32, left: i32): i32 {
  const m = i8x16.bitmask(i8x16.ne(v128.load(hot + <usize>c), i8x16.splat(0)));
  return left < 16 ? m & ((1 << left) - 1) : m;
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
 * the image lies in them, with 16 bytes readable after each. `work` is work space (renderingSpace in
 * src/losses/map-scan.ts). Returns 1 when at most 2 % of the changed pixels (at most 2 if fewer; at most
 * `samples` of them tested, every ceil(changed / samples)-th) lie more than `tol` levels off the colour line
 * of the other image's 3x3 neighbourhood, both ways; 2 when no pixel changed; else 0.
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
  work: usize,
  samples: i32,
  tol: f64,
): i32 {
  // Which pixels changed, five at a time (differing5's bits, u16 each at `work`, row by row).
  const changed = changedIn(real, fake, w, bx, by, bw, bh, work);
  if (changed == 0) return 2;
  const every = (changed + samples - 1) / samples;
  const cap = max(2.0, 0.02 * <f64>(changed / every)),
    tol2 = tol * tol;
  // The changed pixels in row-major order, numbered from 0: those numbered 0, every, 2 every, ... tested.
  let off = 0,
    j = 0,
    next = 0,
    at = work;
  for (let y = by; y < by + bh; y++) {
    const end = y * w + bx + bw;
    let p = y * w + bx;
    while (p < end) {
      const bits = <i32>load<u16>(at),
        span = p + 5 <= end ? 5 : 1;
      at += 2;
      const n = popcnt(bits);
      // The chunk's changed pixels are numbered j .. j + n - 1: test the ones numbered next, next + every...
      while (next < j + n) {
        let b = bits;
        for (let k = j; k < next; k++) b &= b - 1;
        const x = p - y * w + ((ctz(b) * 0x5556) >> 16);
        if (offLine(fake, real, w, h, x, y, tol2) || offLine(real, fake, w, h, x, y, tol2)) off++;
        if (<f64>off > cap) return 0;
        next += every;
      }
      j += n;
      p += span;
    }
  }
  return 1;
}

/**
 * The level rule of src/engine/decide/kinds.ts (isLevel) on 8-bit RGB images of w pixels a row, over the grid
 * of the bw x bh box at (bx, by) with `stride`: 1 when at least half the grid's pixels changed, at least 90 %
 * of the changed ones by a gray step (every channel's step within 1.5 levels of their mean), the most common
 * rounded mean step (first of the most common, from -255 up) is nonzero and at most `most` levels, and at
 * least 90 % of the changed pixels' mean steps lie within 2 levels of it; else 0. The same float64
 * arithmetic as there; `hist` (511 u32) is work space.
 */
export function levelRule(
  real: usize,
  fake: usize,
  w: i32,
  bx: i32,
  by: i32,
  bw: i32,
  bh: i32,
  stride: i32,
  hist: usize,
  most: i32,
): i32 {
  const pixels = ((bw + stride - 1) / stride) * ((bh + stride - 1) / stride);
  // Fewer than half the grid's pixels changed is known from a count five at a time on the whole box
  // (stride 1), or of the grid points a 16-byte load holds (stride 2-4: 3, 2, 2).
  if (stride == 1 && changedIn(real, fake, w, bx, by, bw, bh, 0) * 2 < pixels) return 0;
  if (stride > 1 && stride <= 4 && mostlyUnchanged(real, fake, w, bx, by, bw, bh, stride, pixels)) return 0;
  memory.fill(hist, 0, 511 << 2);
  let unchanged = 0,
    changed = 0,
    notGray = 0;
  for (let y = by; y < by + bh; y += stride)
    for (let x = bx; x < bx + bw; x += stride) {
      const i = <usize>((y * w + x) * 3);
      const d0 = <i32>load<u8>(fake + i) - <i32>load<u8>(real + i),
        d1 = <i32>load<u8>(fake + i, 1) - <i32>load<u8>(real + i, 1),
        d2 = <i32>load<u8>(fake + i, 2) - <i32>load<u8>(real + i, 2);
      if ((d0 | d1 | d2) == 0) {
        // More than half the grid unchanged: fewer than half changed.
        if (++unchanged * 2 > pixels) return 0;
        continue;
      }
      changed++;
      const m = <f64>(d0 + d1 + d2) / 3;
      if (max(abs(<f64>d0 - m), max(abs(<f64>d1 - m), abs(<f64>d2 - m))) > 1.5 && 10 * ++notGray > pixels - unchanged + 10)
        return 0;
      const at = hist + (<usize>(<i32>Math.floor(m + 0.5) + 255) << 2);
      store<u32>(at, load<u32>(at) + 1);
    }
  if (changed * 2 < pixels || <f64>(changed - notGray) < 0.9 * <f64>changed) return 0;
  let mode = 0;
  for (let v = 1; v < 511; v++) if (load<u32>(hist + (<usize>v << 2)) > load<u32>(hist + (<usize>mode << 2))) mode = v;
  mode -= 255;
  if (mode == 0 || abs(mode) > most) return 0;
  let near = 0;
  for (let y = by; y < by + bh; y += stride)
    for (let x = bx; x < bx + bw; x += stride) {
      const i = <usize>((y * w + x) * 3);
      const s =
        <i32>load<u8>(fake + i) - <i32>load<u8>(real + i) +
        <i32>load<u8>(fake + i, 1) - <i32>load<u8>(real + i, 1) +
        <i32>load<u8>(fake + i, 2) - <i32>load<u8>(real + i, 2);
      if (differs(real, fake, (y * w + x)) && abs(<f64>s / 3 - <f64>mode) <= 2) near++;
    }
  return <f64>near >= 0.9 * <f64>changed ? 1 : 0;
}

/**
 * Whether more than half of the `pixels` grid points (stride 2-4 px apart) of the box are unchanged, counted
 * from 16-byte compares that each hold 3 (stride 2) or 2 points, the points left over one by one; stops once
 * more than half are.
 */
function mostlyUnchanged(
  real: usize,
  fake: usize,
  w: i32,
  bx: i32,
  by: i32,
  bw: i32,
  bh: i32,
  stride: i32,
  pixels: i32,
): bool {
  const per = pointsPerLoad(stride),
    // Each point's first byte (its three bytes' mask, less the bytes that follow another of them).
    bytes = i8x16.bitmask(pointBytes(stride, per)),
    points = bytes & ~(bytes << 1),
    gx = (bw + stride - 1) / stride;
  let unchanged = 0;
  for (let y = by; y < by + bh; y += stride) {
    let p = y * w + bx,
      k = 0;
    for (; k + per <= gx; k += per, p += per * stride) {
      const i = <usize>(p * 3);
      const e = i8x16.bitmask(i8x16.eq(v128.load(real + i), v128.load(fake + i)));
      unchanged += popcnt(e & (e >> 1) & (e >> 2) & points);
    }
    for (; k < gx; k++, p += stride) if (!differs(real, fake, p)) unchanged++;
    if (unchanged * 2 > pixels) return true;
  }
  return false;
}

/** Whether pixel p (3 bytes) differs between the images. */
@inline function differs(real: usize, fake: usize, p: i32): bool {
  const i = <usize>(p * 3);
  return load<u16>(real + i) != load<u16>(fake + i) || load<u8>(real + i, 2) != load<u8>(fake + i, 2);
}

/**
 * Which of pixels p .. p + 4 differ between the images, one 16-byte compare (the 16th byte, pixel p + 5's
 * first, ignored): bit 3k set when pixel p + k differs.
 */
@inline function differing5(real: usize, fake: usize, p: i32): i32 {
  const i = <usize>(p * 3);
  const e = ~i8x16.bitmask(i8x16.eq(v128.load(real + i), v128.load(fake + i))) & 0x7fff;
  return (e | (e >> 1) | (e >> 2)) & 0x1249;
}

/**
 * How many pixels of the bw x bh box at (bx, by) differ between the images (w pixels a row); with `bits`
 * nonzero, which, as u16 there: row by row, differing5's bits for each five pixels, then 1 or 0 for each
 * pixel left over.
 */
function changedIn(real: usize, fake: usize, w: i32, bx: i32, by: i32, bw: i32, bh: i32, bits: usize): i32 {
  let n = 0,
    at = bits;
  for (let y = by; y < by + bh; y++) {
    const end = y * w + bx + bw;
    let p = y * w + bx;
    for (; p + 5 <= end; p += 5, at += 2) {
      const d = differing5(real, fake, p);
      if (bits != 0) store<u16>(at, d);
      n += popcnt(d);
    }
    for (; p < end; p++, at += 2) {
      const d = differs(real, fake, p) ? 1 : 0;
      if (bits != 0) store<u16>(at, d);
      n += d;
    }
  }
  return n;
}

@inline function luma(j: usize): i32 {
  return 299 * <i32>load<u8>(j) + 587 * <i32>load<u8>(j, 1) + 114 * <i32>load<u8>(j, 2);
}

/** Whether pixel (x, y) of `a` lies more than tol off the line through the darkest and brightest colours
 *  (luma 299 R + 587 G + 114 B, the first of equals) of `b`'s 3x3 neighbourhood (kinds.ts's offLine with
 *  8-bit samples: its scale factors are 1). */
function offLine(a: usize, b: usize, w: i32, h: i32, x: i32, y: i32, tol2: f64): bool {
  if (x > 0 && y > 0 && x + 1 < w && y + 1 < h) return offLine3x3(a, b, w, x, y, tol2);
  let lo: usize = 0,
    hi: usize = 0,
    loL: i32 = i32.MAX_VALUE,
    hiL: i32 = -1;
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
  return farFromLine(a + <usize>((y * w + x) * 3), lo, hi, tol2);
}

/**
 * The lumas of the three pixels at `at` (9 bytes; 16 readable) in lanes 0-2, `pad` in lane 3: their R and G
 * as 16-bit pairs and their B as 16-bit lanes (one swizzle each, zeros above), each dotted with the weights.
 */
@inline function lumas3(at: usize, pad: v128): v128 {
  const px = v128.load(at);
  const rg = i8x16.swizzle(px, i8x16(0, -1, 1, -1, 3, -1, 4, -1, 6, -1, 7, -1, -1, -1, -1, -1)),
    b = i8x16.swizzle(px, i8x16(2, -1, -1, -1, 5, -1, -1, -1, 8, -1, -1, -1, -1, -1, -1, -1));
  const l = i32x4.add(
    i32x4.dot_i16x8_s(rg, i16x8(299, 587, 299, 587, 299, 587, 0, 0)),
    i32x4.dot_i16x8_s(b, i16x8(114, 0, 114, 0, 114, 0, 0, 0)),
  );
  return i32x4.replace_lane(l, 3, i32x4.extract_lane(pad, 3));
}

/** The index (0-8, row by row) of the first of the three rows' lanes 0-2 equal to lane 0 of `m`. */
@inline function firstEqual(l0: v128, l1: v128, l2: v128, m: v128): i32 {
  const s = i32x4.shuffle(m, m, 0, 0, 0, 0);
  const bits =
    (i32x4.bitmask(i32x4.eq(l0, s)) & 7) |
    ((i32x4.bitmask(i32x4.eq(l1, s)) & 7) << 3) |
    ((i32x4.bitmask(i32x4.eq(l2, s)) & 7) << 6);
  return ctz(bits);
}

/**
 * offLine on a pixel with its whole 3x3 neighbourhood in the image: the nine lumas in three vectors, their
 * least and greatest by lane-wise min and max, the first of each found by comparing (no branch per pixel).
 */
function offLine3x3(a: usize, b: usize, w: i32, x: i32, y: i32, tol2: f64): bool {
  const row = <usize>(w * 3),
    at = b + <usize>(((y - 1) * w + x - 1) * 3);
  const big = i32x4.splat(i32.MAX_VALUE);
  // Lane 3 is no pixel: the greatest value for the min, -1 for the max.
  const m0 = lumas3(at, big),
    m1 = lumas3(at + row, big),
    m2 = lumas3(at + 2 * row, big);
  let mn = i32x4.min_s(i32x4.min_s(m0, m1), m2);
  mn = i32x4.min_s(mn, i32x4.shuffle(mn, mn, 2, 3, 0, 1));
  mn = i32x4.min_s(mn, i32x4.shuffle(mn, mn, 1, 0, 3, 2));
  const n0 = i32x4.replace_lane(m0, 3, -1),
    n1 = i32x4.replace_lane(m1, 3, -1),
    n2 = i32x4.replace_lane(m2, 3, -1);
  let mx = i32x4.max_s(i32x4.max_s(n0, n1), n2);
  mx = i32x4.max_s(mx, i32x4.shuffle(mx, mx, 2, 3, 0, 1));
  mx = i32x4.max_s(mx, i32x4.shuffle(mx, mx, 1, 0, 3, 2));
  const lo = firstEqual(m0, m1, m2, mn),
    hi = firstEqual(n0, n1, n2, mx);
  const loRow = (lo * 0x5556) >> 16,
    hiRow = (hi * 0x5556) >> 16;
  const loAt = at + <usize>loRow * row + <usize>((lo - 3 * loRow) * 3),
    hiAt = at + <usize>hiRow * row + <usize>((hi - 3 * hiRow) * 3);
  return farFromLine(a + <usize>((y * w + x) * 3), loAt, hiAt, tol2);
}

/**
 * Whether the pixel at i lies more than tol (tol2 = tol * tol) off the line through the colours at lo and
 * hi (RGB): with p = i - lo and d = hi - lo, its squared distance |p|^2 - (d.p)^2 / |d|^2 (|p|^2 when lo and
 * hi are one colour), compared times |d|^2: whole numbers, exact in float64, as kinds.ts's offLine.
 */
@inline function farFromLine(i: usize, lo: usize, hi: usize, tol2: f64): bool {
  const s0 = <i32>load<u8>(lo),
    s1 = <i32>load<u8>(lo, 1),
    s2 = <i32>load<u8>(lo, 2);
  const d0 = <i32>load<u8>(hi) - s0,
    d1 = <i32>load<u8>(hi, 1) - s1,
    d2 = <i32>load<u8>(hi, 2) - s2;
  const p0 = <i32>load<u8>(i) - s0,
    p1 = <i32>load<u8>(i, 1) - s1,
    p2 = <i32>load<u8>(i, 2) - s2;
  const dd = <f64>(d0 * d0 + d1 * d1 + d2 * d2),
    dp = <f64>(d0 * p0 + d1 * p1 + d2 * p2),
    pp = <f64>(p0 * p0 + p1 * p1 + p2 * p2);
  return dd > 0 ? pp * dd - dp * dp > tol2 * dd : pp > tol2;
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
  // Up to 4 px apart, a 16-byte load holds `per` grid points (5, 3, 2, 2): their bytes' absolute
  // differences, the others masked off, are added at once; the points left over one by one.
  const per = stride <= 4 ? pointsPerLoad(stride) : 0,
    keep = pointBytes(stride, per),
    wide = <usize>(per * step);
  let sum: i64 = 0;
  for (let phase = 0; phase < 4; phase++) {
    // Rows 0, 2, 1 and 3 mod 4 of the grid.
    const from = by + (phase == 1 ? 2 : phase == 2 ? 1 : phase) * stride;
    for (let y = from; y < by + bh; y += 4 * stride) {
      const fy = y + dy;
      if (fy < 0 || fy >= h) continue;
      let i = a + <usize>((y * w + x0) * 3),
        j = b + <usize>((fy * w + x0 + dx) * 3),
        k = 0,
        acc = i32x4.splat(0);
      for (; k + per <= nx && per > 0; k += per, i += wide, j += wide) {
        const u = v128.load(i),
          v = v128.load(j);
        const d = v128.and(i8x16.sub(i8x16.max_u(u, v), i8x16.min_u(u, v)), keep);
        acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(d)));
      }
      sum += <i64>(i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3));
      for (; k < nx; k++) {
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

/** How many grid points `stride` px apart (3 bytes a pixel, 1 <= stride <= 4) one 16-byte load holds: 5, 3, 2, 2. */
@inline function pointsPerLoad(stride: i32): i32 {
  return 13 / (3 * stride) + 1;
}

/** A 16-byte mask of the bytes of `per` grid points `stride` px apart (3 bytes a pixel) from byte 0. */
function pointBytes(stride: i32, per: i32): v128 {
  let lo: u64 = 0,
    hi: u64 = 0;
  for (let p = 0; p < per; p++)
    for (let c = 0; c < 3; c++) {
      const byte = 3 * stride * p + c;
      if (byte < 8) lo |= (<u64>0xff) << (<u64>(8 * byte));
      else hi |= (<u64>0xff) << (<u64>(8 * (byte - 8)));
    }
  return i64x2.replace_lane(i64x2.splat(lo), 1, hi);
}

/** How many of the grid points start, start + stride, ... (`count` of them) shifted by d lie in 0..size-1. */
function inside(start: i32, count: i32, stride: i32, d: i32, size: i32): i32 {
  const first = max(0, <i32>Math.ceil(<f64>(-d - start) / <f64>stride)),
    last = min(count - 1, <i32>Math.floor(<f64>(size - 1 - d - start) / <f64>stride));
  return max(0, last - first + 1);
}
