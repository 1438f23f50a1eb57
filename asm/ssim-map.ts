/**
 * The SSIM map of two images, channel by channel, in WebAssembly SIMD (AssemblyScript, compiled by `npm run
 * build` to dist/asm/ssim-map.wasm). The same formula as src/losses/ssim.ts's tfjs ops, in float32:
 *   mu = G*x, var = G*(x²) - mu², cov = G*(xy) - mu_x mu_y,
 *   S = (2 mu_x mu_y + C1)(2 cov + C2) / ((mu_x² + mu_y² + C1)(var_x + var_y + C2)),
 * G the separable 11-tap Gaussian with scipy's 'reflect' border (the edge sample repeated). Why by hand: on
 * tfjs-wasm the five 11-tap depthwise convolutions cost ~600 ms for a 1024² RGB pair; this costs ~35 ms.
 *
 * Rows stream through: each source row is deinterleaved and padded (fillRow), blurred along the row for the
 * five quantities x, y, x², y², xy (blurRow) into a ring of the last 11 rows, and each output row is blurred
 * down the ring (blurColumns), turned into S (ssimRow) and added, divided by the channel count, into `out`.
 *
 * Memory (the caller lays it out, all float32): x, y [H,W,C] interleaved; out [H,W] zeroed; taps [6] =
 * g[5], g[4], ..., g[0] (centre first); scratch: scratchFloats(W) floats. Widths are padded to 4 lanes.
 */

const R = 5;
const TAPS = 11;

@inline function reflect(i: i32, n: i32): i32 {
  return i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i;
}

/** Floats per padded plane: W + 2R rounded up to 4 lanes, plus one vector of slack for the last loads. */
@inline function paddedWidth(W: i32): i32 {
  return ((W + 2 * R + 3) & ~3) + 4;
}

/** Floats per ring plane (W rounded up to 4 lanes). */
@inline function laneWidth(W: i32): i32 {
  return (W + 3) & ~3;
}

/** Scratch floats ssimMeanMap needs for width W: 5 padded planes, 11 ring rows of 5 planes, 5 column sums, 1 S row. */
export function scratchFloats(W: i32): i32 {
  return 5 * paddedWidth(W) + (TAPS * 5 + 5 + 1) * laneWidth(W);
}

/** Source row r of channel ch, reflected at both ends, into padded planes x, y, x², y², xy at `pad`. */
function fillRow(x: usize, y: usize, C: i32, ch: i32, W: i32, r: i32, pad: usize): void {
  const PW = paddedWidth(W);
  const plane = <usize>PW << 2;
  const base = <usize>(r * W * C + ch);
  for (let i = 0; i < W + 2 * R; i++) {
    const o = (base + <usize>(reflect(i - R, W) * C)) << 2;
    const p = <usize>i << 2;
    store<f32>(pad + p, load<f32>(x + o));
    store<f32>(pad + plane + p, load<f32>(y + o));
  }
  for (let p: usize = 0; p < plane; p += 16) {
    const a = v128.load(pad + p), b = v128.load(pad + plane + p);
    v128.store(pad + 2 * plane + p, f32x4.mul(a, a));
    v128.store(pad + 3 * plane + p, f32x4.mul(b, b));
    v128.store(pad + 4 * plane + p, f32x4.mul(a, b));
  }
}

/** The 11-tap blur along the row of each of the 5 padded planes at `pad`, into the 5 planes at `dst`. */
function blurRow(W: i32, pad: usize, dst: usize, taps: usize): void {
  const g0 = v128.load32_splat(taps), g1 = v128.load32_splat(taps, 4), g2 = v128.load32_splat(taps, 8);
  const g3 = v128.load32_splat(taps, 12), g4 = v128.load32_splat(taps, 16), g5 = v128.load32_splat(taps, 20);
  const src = <usize>paddedWidth(W) << 2, out = <usize>laneWidth(W) << 2;
  for (let q: usize = 0; q < 5; q++) {
    const p = pad + q * src, d = dst + q * out;
    for (let c: usize = 0; c < out; c += 16) {
      const k = p + c;
      let a = f32x4.mul(g0, v128.load(k, 20));
      a = f32x4.add(a, f32x4.mul(g1, f32x4.add(v128.load(k, 16), v128.load(k, 24))));
      a = f32x4.add(a, f32x4.mul(g2, f32x4.add(v128.load(k, 12), v128.load(k, 28))));
      a = f32x4.add(a, f32x4.mul(g3, f32x4.add(v128.load(k, 8), v128.load(k, 32))));
      a = f32x4.add(a, f32x4.mul(g4, f32x4.add(v128.load(k, 4), v128.load(k, 36))));
      a = f32x4.add(a, f32x4.mul(g5, f32x4.add(v128.load(k, 0), v128.load(k, 40))));
      v128.store(d + c, a);
    }
  }
}

/** Plane `offset` of the ring row holding source row r - R + k. */
@inline function slot(ring: usize, r: i32, k: i32, row: usize, offset: usize): usize {
  return ring + <usize>((r + k) % TAPS) * row + offset;
}

/** The 11-tap blur down the ring for output row r (ring slot s holds source row r - R + ((s - r) mod 11)). */
function blurColumns(W: i32, r: i32, ring: usize, sums: usize, taps: usize): void {
  const g0 = v128.load32_splat(taps), g1 = v128.load32_splat(taps, 4), g2 = v128.load32_splat(taps, 8);
  const g3 = v128.load32_splat(taps, 12), g4 = v128.load32_splat(taps, 16), g5 = v128.load32_splat(taps, 20);
  const plane = <usize>laneWidth(W) << 2, row = plane * 5;
  for (let q: usize = 0; q < 5; q++) {
    const p0 = slot(ring, r, 0, row, q * plane), p1 = slot(ring, r, 1, row, q * plane), p2 = slot(ring, r, 2, row, q * plane);
    const p3 = slot(ring, r, 3, row, q * plane), p4 = slot(ring, r, 4, row, q * plane), p5 = slot(ring, r, 5, row, q * plane);
    const p6 = slot(ring, r, 6, row, q * plane), p7 = slot(ring, r, 7, row, q * plane), p8 = slot(ring, r, 8, row, q * plane);
    const p9 = slot(ring, r, 9, row, q * plane), p10 = slot(ring, r, 10, row, q * plane);
    const d = sums + q * plane;
    for (let c: usize = 0; c < plane; c += 16) {
      let a = f32x4.mul(g0, v128.load(p5 + c));
      a = f32x4.add(a, f32x4.mul(g1, f32x4.add(v128.load(p4 + c), v128.load(p6 + c))));
      a = f32x4.add(a, f32x4.mul(g2, f32x4.add(v128.load(p3 + c), v128.load(p7 + c))));
      a = f32x4.add(a, f32x4.mul(g3, f32x4.add(v128.load(p2 + c), v128.load(p8 + c))));
      a = f32x4.add(a, f32x4.mul(g4, f32x4.add(v128.load(p1 + c), v128.load(p9 + c))));
      a = f32x4.add(a, f32x4.mul(g5, f32x4.add(v128.load(p0 + c), v128.load(p10 + c))));
      v128.store(d + c, a);
    }
  }
}

/** S from the five blurred planes at `sums`, times w, added to the W floats at `out`. */
function ssimRow(W: i32, sums: usize, srow: usize, out: usize, c1: f32, c2: f32, w: f32): void {
  const plane = <usize>laneWidth(W) << 2;
  const C1 = f32x4.splat(c1), C2 = f32x4.splat(c2), two = f32x4.splat(2), wv = f32x4.splat(w);
  for (let c: usize = 0; c < plane; c += 16) {
    const mx = v128.load(sums + c), my = v128.load(sums + plane + c);
    const xx = v128.load(sums + 2 * plane + c), yy = v128.load(sums + 3 * plane + c), xy = v128.load(sums + 4 * plane + c);
    const mxy = f32x4.mul(mx, my), mxx = f32x4.mul(mx, mx), myy = f32x4.mul(my, my);
    const num = f32x4.mul(f32x4.add(f32x4.mul(two, mxy), C1), f32x4.add(f32x4.mul(two, f32x4.sub(xy, mxy)), C2));
    const den = f32x4.mul(f32x4.add(f32x4.add(mxx, myy), C1), f32x4.add(f32x4.add(f32x4.sub(xx, mxx), f32x4.sub(yy, myy)), C2));
    v128.store(srow + c, f32x4.mul(wv, f32x4.div(num, den)));
  }
  let c = 0;
  for (; c + 4 <= W; c += 4) {
    const p = <usize>c << 2;
    v128.store(out + p, f32x4.add(v128.load(out + p), v128.load(srow + p)));
  }
  for (; c < W; c++) {
    const p = <usize>c << 2;
    store<f32>(out + p, load<f32>(out + p) + load<f32>(srow + p));
  }
}

/** out[H,W] += mean over the C channels of S(x, y), for interleaved x, y [H,W,C] (H, W >= 5). */
export function ssimMeanMap(x: usize, y: usize, C: i32, W: i32, H: i32, out: usize, taps: usize, scratch: usize, c1: f32, c2: f32): void {
  const pad = scratch;
  const ring = pad + (<usize>(5 * paddedWidth(W)) << 2);
  const row = <usize>(5 * laneWidth(W)) << 2;
  const sums = ring + row * TAPS;
  const srow = sums + row;
  const w: f32 = 1 / <f32>C;
  for (let ch = 0; ch < C; ch++) {
    for (let k = 0; k < TAPS - 1; k++) {
      fillRow(x, y, C, ch, W, reflect(k - R, H), pad);
      blurRow(W, pad, ring + <usize>k * row, taps);
    }
    for (let r = 0; r < H; r++) {
      fillRow(x, y, C, ch, W, reflect(r + R, H), pad);
      blurRow(W, pad, ring + <usize>((r + TAPS - 1) % TAPS) * row, taps);
      blurColumns(W, r, ring, sums, taps);
      ssimRow(W, sums, srow, out + (<usize>(r * W) << 2), c1, c2, w);
    }
  }
}

/**
 * n stored samples at `src` (8-bit when `bytes` is 1, else 16-bit) to float32 at `dst`: x = v / max (IEEE
 * float32 division, as the backends divide), then 2x - 1 for the signed range (two float32 operations).
 */
export function samplesToFloats(src: usize, bytes: i32, n: i32, max: f32, signed: bool, dst: usize): void {
  for (let i = 0; i < n; i++) {
    let x: f32 = bytes == 1 ? <f32>load<u8>(src + <usize>i) / max : <f32>load<u16>(src + (<usize>i << 1)) / max;
    if (signed) x = x * 2 - 1;
    store<f32>(dst + (<usize>i << 2), x);
  }
}

/** dst[i] = 1 - src[i] for n float32 (the ssim map from S). */
export function oneMinus(src: usize, n: i32, dst: usize): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.sub(one, v128.load(src + o)));
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 1 - load<f32>(src + (<usize>i << 2)));
}
