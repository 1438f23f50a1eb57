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

/** Scratch floats shiftMin needs: C real planes, C padded fake planes, one running-minimum row, and a
 *  256-entry table of an 8-bit sample's value. */
export function scratchFloats(W: i32, H: i32, C: i32, k: i32): i32 {
  const row = rowFloats(W, k);
  return C * H * row + C * (H + 2 * k) * row + row + 256;
}

/**
 * The float32 value of each 8-bit sample v at `lut`: v / max, then 2x - 1 in the signed range, the same
 * float32 operations splitSamples makes per sample (so looking it up gives the same value, bit for bit).
 */
function sampleTable(lut: usize, max: f32, signed: bool): void {
  for (let v = 0; v < 256; v++) {
    let a = <f32>v / max;
    if (signed) a = a * 2 - 1;
    store<f32>(lut + (<usize>v << 2), a);
  }
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
  const fplane = <usize>((H + 2 * k) * row) << 2;
  const rplane = <usize>(H * row) << 2;
  const lut = fp + <usize>C * fplane + (<usize>row << 2);
  if (bytes == 1) sampleTable(lut, max, signed);
  // Only the fake planes' padding is +Infinity: its interior is written below.
  for (let c = 0; c < C; c++) infinityBorder(fp + <usize>c * fplane, W, H, k, row);
  if (bytes == 1 && C == 3) {
    // 8-bit RGB: every pixel's three channels at once, one pass over the samples.
    for (let y = 0; y < H; y++) {
      const rrow = rp + (<usize>(y * row) << 2);
      const frow = fp + (<usize>((y + k) * row + k) << 2);
      for (let x = 0; x < W; x++) {
        const i = <usize>((y * W + x) * 3), o = <usize>x << 2;
        for (let c: usize = 0; c < 3; c++) {
          store<f32>(rrow + c * rplane + o, load<f32>(lut + (<usize>load<u8>(r + i + c) << 2)));
          store<f32>(frow + c * fplane + o, load<f32>(lut + (<usize>load<u8>(f + i + c) << 2)));
        }
      }
    }
    return;
  }
  for (let c = 0; c < C; c++) {
    const fc = fp + <usize>c * fplane;
    for (let y = 0; y < H; y++) {
      const rrow = rp + <usize>c * rplane + (<usize>(y * row) << 2);
      const frow = fc + (<usize>((y + k) * row + k) << 2);
      for (let x = 0; x < W; x++) {
        const i = <usize>((y * W + x) * C + c);
        let a: f32, b: f32;
        if (bytes == 1) {
          a = load<f32>(lut + (<usize>load<u8>(r + i) << 2));
          b = load<f32>(lut + (<usize>load<u8>(f + i) << 2));
        } else {
          a = <f32>load<u16>(r + (i << 1)) / max;
          b = <f32>load<u16>(f + (i << 1)) / max;
          if (signed) {
            a = a * 2 - 1;
            b = b * 2 - 1;
          }
        }
        store<f32>(rrow + (<usize>x << 2), a);
        store<f32>(frow + (<usize>x << 2), b);
      }
    }
  }
}

/** +Infinity in a padded fake plane's k rows above and below and in each row's columns outside [k, k + W). */
function infinityBorder(plane: usize, W: i32, H: i32, k: i32, row: i32): void {
  const inf = Infinity as f32;
  const rows = H + 2 * k;
  for (let y = 0; y < rows; y++) {
    const at = plane + (<usize>(y * row) << 2);
    if (y < k || y >= H + k) {
      for (let x = 0; x < row; x++) store<f32>(at + (<usize>x << 2), inf);
      continue;
    }
    for (let x = 0; x < k; x++) store<f32>(at + (<usize>x << 2), inf);
    for (let x = k + W; x < row; x++) store<f32>(at + (<usize>x << 2), inf);
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
  minRows(C, W, H, k, square, out, scratch, false);
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
  minRows(C, W, H, k, square, out, scratch, true);
}

/** Whether a group of 4 pixels is equal in every channel of both images (its map is then 0: see minRows). */
@inline function sameGroup(rv: usize, fv: usize, C: i32, rplane: usize, fplane: usize): bool {
  let same = i32x4.splat(-1);
  for (let c = 0; c < C; c++)
    same = v128.and(same, f32x4.eq(v128.load(fv + <usize>c * fplane), v128.load(rv + <usize>c * rplane)));
  return v128.all_true<i32>(same);
}

/**
 * The running minimum over the offsets, 4 pixels at a time, from the planes split into `scratch`: for each
 * group, min over dy, then dx, of its terms, from +Infinity. With `skip` (values from samples, never NaN,
 * which f32x4.min would carry), a group equal in every channel of both images is 0 without its terms: its
 * offset-0 term is 0 and no term is below +0 (sums of |d| or d * d, divided by C).
 */
function minRows(C: i32, W: i32, H: i32, k: i32, square: bool, out: usize, scratch: usize, skip: bool): void {
  const row = rowFloats(W, k);
  const rp = scratch;
  const fp = rp + (<usize>(C * H * row) << 2);
  const best = fp + (<usize>(C * (H + 2 * k) * row) << 2);
  const rplane = <usize>(H * row) << 2, fplane = <usize>((H + 2 * k) * row) << 2;
  const cv = f32x4.splat(<f32>C), inf = f32x4.splat(Infinity), zero = f32x4.splat(0);
  const lanes = (W + 3) & ~3;
  for (let y = 0; y < H; y++) {
    const rrow = rp + (<usize>(y * row) << 2);
    const frow0 = fp + (<usize>((y + k) * row + k) << 2);
    for (let x = 0; x < lanes; x += 4) {
      const o = <usize>x << 2;
      if (skip && sameGroup(rrow + o, frow0 + o, C, rplane, fplane)) {
        v128.store(best + o, zero);
        continue;
      }
      let b = inf;
      for (let dy = -k; dy <= k; dy++)
        for (let dx = -k; dx <= k; dx++) {
          const fq = frow0 + o + (<usize>(dy * row + dx) << 2);
          b = f32x4.min(b, term(rrow + o, fq, C, rplane, fplane, square, cv));
        }
      v128.store(best + o, b);
    }
    const orow = out + (<usize>(y * W) << 2);
    memory.copy(orow, best, <usize>W << 2);
  }
}

/**
 * k = 0 for 8-bit RGB samples, straight from the interleaved samples (no planes): per pixel
 * (sum over c, in channel order, of |F_c - R_c|^power) / C with the values from the sample table, 0 for a
 * pixel whose samples are equal in both images (4 pixels compared at once, as 12 bytes). `lut`: 256 floats
 * of scratch.
 */
export function pointMap8(r: usize, f: usize, C: i32, W: i32, H: i32, max: f32, signed: bool, square: bool, out: usize, lut: usize): void {
  sampleTable(lut, max, signed);
  const n = W * H, groups = C == 3 ? n & ~3 : 0;
  const cf = <f32>C;
  let i = 0;
  for (; i < groups; i += 4) {
    const p = <usize>(i * 3);
    if (load<u64>(r + p) == load<u64>(f + p) && load<u32>(r + p + 8) == load<u32>(f + p + 8)) {
      v128.store(out + (<usize>i << 2), f32x4.splat(0));
      continue;
    }
    for (let j = i; j < i + 4; j++) store<f32>(out + (<usize>j << 2), pixel(r, f, j, C, square, cf, lut));
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), pixel(r, f, i, C, square, cf, lut));
}

@inline function pixel(r: usize, f: usize, i: i32, C: i32, square: bool, cf: f32, lut: usize): f32 {
  let s: f32 = 0;
  for (let c = 0; c < C; c++) {
    const q = <usize>(i * C + c);
    const d = load<f32>(lut + (<usize>load<u8>(f + q) << 2)) - load<f32>(lut + (<usize>load<u8>(r + q) << 2));
    s += square ? d * d : abs<f32>(d);
  }
  return s / cf;
}
