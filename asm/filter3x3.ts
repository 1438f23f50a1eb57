/**
 * The maps of the Sobel and Laplacian losses for two whole images given as stored RGB samples, in
 * WebAssembly SIMD (AssemblyScript, compiled by `npm run build` to dist/asm/filter3x3.wasm): the float32
 * operations of src/losses/sobel.ts and laplacian.ts as tfjs-wasm runs them, in its order:
 *   x_c   = v_c / max                      (then 2x - 1 in the signed range)
 *   g     = ((0 + x_0) + x_1 + x_2) / 3    (the channel mean: a float32 sum in channel order, divided)
 *   conv  = 0 + sum of w * g over the 3x3 taps, row by row, left to right, zero padding 1 (XNNPACK's
 *           convolution adds the taps' products to its zero bias in that order; the weights are small
 *           integers, so each product is exact, and a zero weight's product adds nothing)
 *   sobel:     mag = sqrt((0 + gx * gx + gy * gy) + 1e-6), map = |mag(fake) - mag(real)|
 *   laplacian: map = |conv(fake) - conv(real)|
 *
 * Memory (the caller lays it out): r, f samples [H,W,3] (8-bit when `bytes` is 1, else 16-bit); out [H,W]
 * float32 with 16 bytes to spare after it; scratch: scratchFloats(W, H) floats.
 */

/** Floats per gray plane row: 4 zero columns, W rounded up to 4 lanes, 4 zero columns. */
@inline function stride(W: i32): i32 {
  return ((W + 3) & ~3) + 8;
}

/** The 256-float sample table, then two gray planes of H + 2 rows (a zero row above and below). */
export function scratchFloats(W: i32, H: i32): i32 {
  return 256 + 2 * (H + 2) * stride(W);
}

/** One image's gray plane: the channel mean of its values, zero padded (the padding written too). */
function grayPlane(s: usize, bytes: i32, W: i32, H: i32, max: f32, signed: bool, lut: usize, plane: usize): void {
  const S = stride(W);
  memory.fill(plane, 0, <usize>S << 2);
  memory.fill(plane + (<usize>((H + 1) * S) << 2), 0, <usize>S << 2);
  const three = f32x4.splat(3);
  for (let y = 0; y < H; y++) {
    const row = plane + (<usize>((y + 1) * S) << 2);
    memory.fill(row, 0, 16);
    memory.fill(row + (<usize>(W + 4) << 2), 0, <usize>(S - W - 4) << 2);
    let x = 0;
    // 8-bit: 4 pixels at a time, ((0 + x0) + x1 + x2) / 3 lane by lane (0 + x0 is x0: no value is -0).
    if (bytes == 1)
      for (; x + 4 <= W; x += 4) {
        const i = s + <usize>((y * W + x) * 3);
        let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0);
        c0 = f32x4.replace_lane(c0, 0, value(lut, i, 0));
        c1 = f32x4.replace_lane(c1, 0, value(lut, i, 1));
        c2 = f32x4.replace_lane(c2, 0, value(lut, i, 2));
        c0 = f32x4.replace_lane(c0, 1, value(lut, i, 3));
        c1 = f32x4.replace_lane(c1, 1, value(lut, i, 4));
        c2 = f32x4.replace_lane(c2, 1, value(lut, i, 5));
        c0 = f32x4.replace_lane(c0, 2, value(lut, i, 6));
        c1 = f32x4.replace_lane(c1, 2, value(lut, i, 7));
        c2 = f32x4.replace_lane(c2, 2, value(lut, i, 8));
        c0 = f32x4.replace_lane(c0, 3, value(lut, i, 9));
        c1 = f32x4.replace_lane(c1, 3, value(lut, i, 10));
        c2 = f32x4.replace_lane(c2, 3, value(lut, i, 11));
        const g = f32x4.div(f32x4.add(f32x4.add(c0, c1), c2), three);
        v128.store(row + (<usize>(x + 4) << 2), g);
      }
    for (; x < W; x++) {
      const i = <usize>((y * W + x) * 3);
      let sum: f32 = 0;
      for (let c: usize = 0; c < 3; c++) {
        let v: f32;
        if (bytes == 1) v = load<f32>(lut + (<usize>load<u8>(s + i + c) << 2));
        else {
          v = <f32>load<u16>(s + ((i + c) << 1)) / max;
          if (signed) v = v * 2 - 1;
        }
        sum += v;
      }
      store<f32>(row + (<usize>(x + 4) << 2), sum / 3);
    }
  }
}

@inline function value(lut: usize, i: usize, k: usize): f32 {
  return load<f32>(lut + (<usize>load<u8>(i + k) << 2));
}

/** The value of each 8-bit sample: v / max, then 2x - 1 in the signed range (the same float32 steps). */
function sampleTable(lut: usize, max: f32, signed: bool): void {
  for (let v = 0; v < 256; v++) {
    let a = <f32>v / max;
    if (signed) a = a * 2 - 1;
    store<f32>(lut + (<usize>v << 2), a);
  }
}

/** The plane's 4 values at the pixel group's offset dy, dx. */
@inline function at(p: usize, dy: i32, dx: i32, S: i32): v128 {
  return v128.load(p + <usize>((dy * S + dx) << 2));
}

/**
 * Sobel's magnitude at 4 pixels whose centre is at `p` in a gray plane. The taps' products are exact
 * (weights 1, -1, 2, -2): 0 + w * a is written a (no value here is -0), s + w * a as s + a, s - a,
 * s + (a + a) or s - (a + a), the same float32 results in the same order.
 * kx = [1, 0, -1, 2, 0, -2, 1, 0, -1], ky = [1, 2, 1, 0, 0, 0, -1, -2, -1], row-major.
 */
@inline function sobelAt(p: usize, S: i32): v128 {
  const nw = at(p, -1, -1, S), ne = at(p, -1, 1, S), sw = at(p, 1, -1, S), se = at(p, 1, 1, S);
  const w = at(p, 0, -1, S), e = at(p, 0, 1, S), n = at(p, -1, 0, S), s = at(p, 1, 0, S);
  let gx = f32x4.sub(nw, ne);
  gx = f32x4.add(gx, f32x4.add(w, w));
  gx = f32x4.sub(gx, f32x4.add(e, e));
  gx = f32x4.add(gx, sw);
  gx = f32x4.sub(gx, se);
  let gy = f32x4.add(nw, f32x4.add(n, n));
  gy = f32x4.add(gy, ne);
  gy = f32x4.sub(gy, sw);
  gy = f32x4.sub(gy, f32x4.add(s, s));
  gy = f32x4.sub(gy, se);
  // (0 + gx * gx) + gy * gy: 0 + a square is the square.
  const sq = f32x4.add(f32x4.mul(gx, gx), f32x4.mul(gy, gy));
  return f32x4.sqrt(f32x4.add(sq, f32x4.splat(<f32>1e-6)));
}

/** The Laplacian at 4 pixels whose centre is at `p`: k = [0, 1, 0, 1, -4, 1, 0, 1, 0], row-major. */
@inline function laplacianAt(p: usize, S: i32): v128 {
  let s = f32x4.add(at(p, -1, 0, S), at(p, 0, -1, S));
  s = f32x4.sub(s, f32x4.mul(f32x4.splat(4), at(p, 0, 0, S)));
  s = f32x4.add(s, at(p, 0, 1, S));
  return f32x4.add(s, at(p, 1, 0, S));
}

/** out[H,W] = the map of `kind` (0: Sobel, 1: Laplacian) of fake against real, as described above. */
export function filterMap(r: usize, f: usize, bytes: i32, W: i32, H: i32, max: f32, signed: bool, kind: i32, out: usize, scratch: usize): void {
  const S = stride(W);
  const lut = scratch;
  const gr = lut + 1024, gf = gr + (<usize>((H + 2) * S) << 2);
  if (bytes == 1) sampleTable(lut, max, signed);
  grayPlane(r, bytes, W, H, max, signed, lut, gr);
  grayPlane(f, bytes, W, H, max, signed, lut, gf);
  for (let y = 0; y < H; y++) {
    const at = <usize>(((y + 1) * S + 4) << 2);
    for (let x = 0; x < W; x += 4) {
      const o = at + (<usize>x << 2);
      const d = kind == 0 ? f32x4.sub(sobelAt(gf + o, S), sobelAt(gr + o, S)) : f32x4.sub(laplacianAt(gf + o, S), laplacianAt(gr + o, S));
      // The last group of a row may spill into the next row's start, which that row then writes.
      v128.store(out + (<usize>(y * W + x) << 2), f32x4.abs(d));
    }
  }
}
