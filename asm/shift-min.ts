/**
 * The per-pixel difference maps of l1 and l2, and the shift-tolerant map of any per-pixel loss, in one pass
 * in WebAssembly SIMD (AssemblyScript, compiled by `npm run build` to dist/asm/shift-min.wasm). The same
 * float32 operations, in the same order, as src/losses/shift.ts's tfjs ops (and l1.ts / l2.ts's at k = 0):
 *   map(p) = min over d, |dx| <= k, |dy| <= k, p + d inside the image, of
 *            (sum over c, in channel order, of |F(p + d)_c - R(p)_c|^power) / C
 * with R the real image's and F the fake image's filtered values, [H,W,C] interleaved, and power 1 (|.|)
 * or 2 (a product). Offsets outside the image count as +Infinity, as the ops' +Infinity padding does.
 *
 * The images are first split into channel planes, the fake one padded by k columns and rows of +Infinity;
 * then each output row is the running minimum, 4 pixels a vector, over the (2k + 1)² offsets.
 *
 * Memory (the caller lays it out, all float32): r, f [H,W,C]; out [H,W]; scratch: scratchFloats(W, H, C, k).
 */

/** Floats per plane row: W rounded up to 4 lanes, plus 2k padding columns. */
@inline function rowFloats(W: i32, k: i32): i32 {
  return ((W + 3) & ~3) + 2 * k;
}

/** Scratch floats shiftMin needs: C real planes, C padded fake planes, one running-minimum row. */
export function scratchFloats(W: i32, H: i32, C: i32, k: i32): i32 {
  const row = rowFloats(W, k);
  return C * H * row + C * (H + 2 * k) * row + row;
}

/** Channel planes of r (rows of `row` floats) and of f padded by k rows and columns of +Infinity. */
function split(r: usize, f: usize, C: i32, W: i32, H: i32, k: i32, rp: usize, fp: usize): void {
  const row = rowFloats(W, k);
  const inf = Infinity as f32;
  const fplane = <usize>((H + 2 * k) * row) << 2;
  const rplane = <usize>(H * row) << 2;
  for (let c = 0; c < C; c++) {
    const fc = fp + <usize>c * fplane;
    for (let i = 0; i < (H + 2 * k) * row; i++) store<f32>(fc + (<usize>i << 2), inf);
    for (let y = 0; y < H; y++) {
      const rrow = rp + <usize>c * rplane + (<usize>(y * row) << 2);
      const frow = fc + (<usize>((y + k) * row + k) << 2);
      for (let x = 0; x < W; x++) {
        const s = <usize>((y * W + x) * C + c) << 2;
        store<f32>(rrow + (<usize>x << 2), load<f32>(r + s));
        store<f32>(frow + (<usize>x << 2), load<f32>(f + s));
      }
    }
  }
}

/**
 * As split, from stored samples (8-bit when `bytes` is 1, else 16-bit) made into the engine's float32 image:
 * x = v / max (IEEE float32 division, as the backends divide), then for the signed range 2x - 1 (two
 * float32 operations, as the tfjs ops take them).
 */
function splitSamples(r: usize, f: usize, bytes: i32, C: i32, W: i32, H: i32, k: i32, max: f32, signed: bool, rp: usize, fp: usize): void {
  const row = rowFloats(W, k);
  const inf = Infinity as f32;
  const fplane = <usize>((H + 2 * k) * row) << 2;
  const rplane = <usize>(H * row) << 2;
  for (let c = 0; c < C; c++) {
    const fc = fp + <usize>c * fplane;
    for (let i = 0; i < (H + 2 * k) * row; i++) store<f32>(fc + (<usize>i << 2), inf);
    for (let y = 0; y < H; y++) {
      const rrow = rp + <usize>c * rplane + (<usize>(y * row) << 2);
      const frow = fc + (<usize>((y + k) * row + k) << 2);
      for (let x = 0; x < W; x++) {
        const i = <usize>((y * W + x) * C + c);
        let a: f32, b: f32;
        if (bytes == 1) {
          a = <f32>load<u8>(r + i) / max;
          b = <f32>load<u8>(f + i) / max;
        } else {
          a = <f32>load<u16>(r + (i << 1)) / max;
          b = <f32>load<u16>(f + (i << 1)) / max;
        }
        if (signed) {
          a = a * 2 - 1;
          b = b * 2 - 1;
        }
        store<f32>(rrow + (<usize>x << 2), a);
        store<f32>(frow + (<usize>x << 2), b);
      }
    }
  }
}

/** The channel sum of |F(q) - R(p)|^power over 4 pixels, divided by C. */
@inline function term(rv: usize, fv: usize, C: i32, rplane: usize, fplane: usize, square: bool, cv: v128): v128 {
  let s = f32x4.splat(0);
  for (let c = 0; c < C; c++) {
    const d = f32x4.sub(v128.load(fv + <usize>c * fplane), v128.load(rv + <usize>c * rplane));
    s = f32x4.add(s, square ? f32x4.mul(d, d) : f32x4.abs(d));
  }
  return f32x4.div(s, cv);
}

/** out[H,W] = the map above, for interleaved r, f [H,W,C] (power 2 when `square`, else 1). */
export function shiftMin(r: usize, f: usize, C: i32, W: i32, H: i32, k: i32, square: bool, out: usize, scratch: usize): void {
  const row = rowFloats(W, k);
  const rp = scratch;
  const fp = rp + (<usize>(C * H * row) << 2);
  split(r, f, C, W, H, k, rp, fp);
  minRows(C, W, H, k, square, out, scratch);
}

/**
 * shiftMin for the engine's images straight from their stored samples (`bytes` 1: 8-bit, 2: 16-bit),
 * converted as splitSamples says: the tensors' values without making them.
 */
export function shiftMinSamples(r: usize, f: usize, bytes: i32, C: i32, W: i32, H: i32, k: i32, max: f32, signed: bool, square: bool, out: usize, scratch: usize): void {
  const row = rowFloats(W, k);
  const rp = scratch;
  const fp = rp + (<usize>(C * H * row) << 2);
  splitSamples(r, f, bytes, C, W, H, k, max, signed, rp, fp);
  minRows(C, W, H, k, square, out, scratch);
}

/** The running minimum over the offsets, row by row, from the planes split into `scratch`. */
function minRows(C: i32, W: i32, H: i32, k: i32, square: bool, out: usize, scratch: usize): void {
  const row = rowFloats(W, k);
  const rp = scratch;
  const fp = rp + (<usize>(C * H * row) << 2);
  const best = fp + (<usize>(C * (H + 2 * k) * row) << 2);
  const rplane = <usize>(H * row) << 2, fplane = <usize>((H + 2 * k) * row) << 2;
  const cv = f32x4.splat(<f32>C), inf = f32x4.splat(Infinity);
  const lanes = (W + 3) & ~3;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < lanes; x += 4) v128.store(best + (<usize>x << 2), inf);
    const rrow = rp + (<usize>(y * row) << 2);
    for (let dy = -k; dy <= k; dy++) {
      for (let dx = -k; dx <= k; dx++) {
        const frow = fp + (<usize>((y + k + dy) * row + k + dx) << 2);
        for (let x = 0; x < lanes; x += 4) {
          const o = <usize>x << 2;
          const m = term(rrow + o, frow + o, C, rplane, fplane, square, cv);
          v128.store(best + o, f32x4.min(v128.load(best + o), m));
        }
      }
    }
    const orow = out + (<usize>(y * W) << 2);
    memory.copy(orow, best, <usize>W << 2);
  }
}
