/**
 * The LDR-ꟻLIP map of two images in WebAssembly SIMD (AssemblyScript, compiled by `npm run build` to
 * dist/asm/flip.wasm): the formula of src/losses/flip.ts, with the float32 operations in the order the
 * `flip` tool's C++ code makes them (NVlabs/flip v1.6, FLIP.h): each separable filter sums its taps from
 * the first to the last, along the row first, then down the column, with edge-replicating borders.
 * Why by hand: the tfjs ops took ~11 s for a 1920x1080 pair on tfjs-wasm.
 *
 * Rows stream through, both images in step: each stored sample row (copied by the caller into a ring of
 * rows, sampleRow) -> linear RGB (a table made by linearTable) -> YCxCz; along the row, the feature filters
 * (dg, ddg, g) on Y / 116 + 16 / 116 and the CSF filters (Y, Cx, Cz's two terms) into rings of the last
 * 2R + 1 rows (R the larger radius); for each output row, down those rings: the CSF filters, then back to
 * linear RGB, clamped, to L*a*b* with the Hunt adjustment, and the feature filters, then the edge and point
 * responses; then per pixel: HyAB^qc remapped, the feature difference, FLIP = e_c^(1 - e_f). The memory is
 * a few rows (it stays in cache; fresh memory costs more than the arithmetic), whatever the height.
 *
 * Memory (the caller lays out the first part, float32): `k` the constants (see the K_ offsets), `lut` the
 * table, `ct` the 4 CSF filters of 2 rc + 1 taps (Y, Cx, Cz1, Cz2), `ft` the 3 feature filters of
 * 2 rf + 1 taps (g, dg, ddg); from `scratch` (scratchBytes), the kernel's rows. Rows are Wp = W rounded up
 * to 4 lanes (the extra lanes hold numbers that are never read back).
 */

// Offsets (in floats) of the constants at k.
const K_RGB_XYZ = 0; // 9: linear RGB -> XYZ, row-major
const K_XYZ_RGB = 9; // 9: XYZ -> linear RGB
const K_ILL = 18; // 3: the D65 white
const K_INV_ILL = 21; // 3: its inverse
const K_CUBE = 24; // (6/29)^3
const K_FACTOR = 25; // 1 / (3 (6/29)^2)
const K_TERM = 26; // 4 / 29
const K_CMAX = 27;
const K_PCCMAX = 28;
const K_PT = 29;
const K_QC = 30;
const K_QF = 31;
const K_NORM = 32; // 1 / sqrt(2)
const K_PT_OVER_PCCMAX = 33;
const K_CMAX_MINUS_PCCMAX = 34;
const K_ONE_MINUS_PT = 35;
const K_OVER116 = 36; // 1 / 116
const K_SIXTEEN_OVER116 = 37; // 16 / 116

@inline function kf(k: usize, i: i32): f32 {
  return load<f32>(k + (<usize>i << 2));
}

@inline function ks(k: usize, i: i32): v128 {
  return f32x4.splat(load<f32>(k + (<usize>i << 2)));
}

/** Floats per row: W rounded up to 8 (two vectors of 4 lanes). */
@inline function stride(W: i32): i32 {
  return (W + 7) & ~7;
}

/** Floats the padded row needs for radius r. */
export function padFloats(W: i32, r: i32): i32 {
  return stride(W) + 2 * r + 8;
}

/** lut[v] = linear RGB of the sRGB value v / max (FLIP's sRGBToLinearRGB), v = 0 ... max. */
export function linearTable(max: i32, lut: usize): void {
  for (let v = 0; v <= max; v++) {
    const c: f32 = <f32>v / <f32>max;
    const lin: f32 = c <= <f32>0.04045 ? c / <f32>12.92 : Mathf.pow((c + <f32>0.055) / <f32>1.055, <f32>2.4);
    store<f32>(lut + (<usize>v << 2), lin);
  }
}


/** Interleaved RGB samples of one row -> Y, Cx, Cz rows at out (FLIP's XYZToYCxCz(LinearRGBToXYZ(lin))). */
function opponent(src: usize, out: usize): void {
  const k = gK, lut = gLut, W = gW, row = <usize>gWp << 2;
  const m0 = kf(k, K_RGB_XYZ), m1 = kf(k, K_RGB_XYZ + 1), m2 = kf(k, K_RGB_XYZ + 2);
  const m3 = kf(k, K_RGB_XYZ + 3), m4 = kf(k, K_RGB_XYZ + 4), m5 = kf(k, K_RGB_XYZ + 5);
  const m6 = kf(k, K_RGB_XYZ + 6), m7 = kf(k, K_RGB_XYZ + 7), m8 = kf(k, K_RGB_XYZ + 8);
  const i0 = kf(k, K_INV_ILL), i1 = kf(k, K_INV_ILL + 1), i2 = kf(k, K_INV_ILL + 2);
  for (let x = 0; x < W; x++) {
    const s = <usize>(x * 3);
    let r: f32, g: f32, b: f32;
    if (gBytes == 1) {
      r = load<f32>(lut + (<usize>load<u8>(src + s) << 2));
      g = load<f32>(lut + (<usize>load<u8>(src + s + 1) << 2));
      b = load<f32>(lut + (<usize>load<u8>(src + s + 2) << 2));
    } else {
      r = load<f32>(lut + (<usize>load<u16>(src + (s << 1)) << 2));
      g = load<f32>(lut + (<usize>load<u16>(src + (s << 1) + 2) << 2));
      b = load<f32>(lut + (<usize>load<u16>(src + (s << 1) + 4) << 2));
    }
    const X = (m0 * r + m1 * g + m2 * b) * i0;
    const Y = (m3 * r + m4 * g + m5 * b) * i1;
    const Z = (m6 * r + m7 * g + m8 * b) * i2;
    const o = out + (<usize>x << 2);
    store<f32>(o, <f32>116 * Y - <f32>16);
    store<f32>(o + row, <f32>500 * (X - Y));
    store<f32>(o + 2 * row, <f32>200 * (Y - Z));
  }
}

// The pair being worked on (setup): its size, the filters, and where the tables and rows lie.
let gW = 0, gH = 0, gWp = 0, gBytes = 1, gRc = 0, gRf = 0, gR = 0, gRN = 0, gRS = 0;
let gLut: usize = 0, gK: usize = 0, gCt: usize = 0, gFt: usize = 0;
let gRows: usize = 0, gPad: usize = 0, gOpp: usize = 0, gRing: usize = 0, gOut: usize = 0, gSrc: usize = 0;
/** Bytes of one image's rings (7 planes of RN rows), its output rows (5) and sample rows (RS). */
let gRingBytes: usize = 0, gOutBytes: usize = 0, gSrcBytes: usize = 0, gPlane: usize = 0;
/** Rows along which each image has been filtered. */
let gDone0 = 0, gDone1 = 0;

@inline function a16(n: usize): usize {
  return (n + 15) & ~15;
}

/** The parts of the scratch memory for width W, radii rc, rf and `rs` sample rows, in bytes; sets them. */
function plan(W: i32, rc: i32, rf: i32, bytes: i32, rs: i32, scratch: usize): usize {
  const R = rc > rf ? rc : rf, Wp = stride(W), row = <usize>Wp << 2;
  gRows = scratch;
  gPad = gRows + a16(<usize>(2 * R + 1) << 2);
  gOpp = gPad + 4 * a16(<usize>padFloats(W, R) << 2);
  gRing = gOpp + 3 * row;
  gPlane = <usize>(2 * R + 1) * row;
  gRingBytes = 7 * gPlane;
  gOut = gRing + 2 * gRingBytes;
  gOutBytes = 5 * row;
  gSrc = gOut + 2 * gOutBytes;
  gSrcBytes = a16(<usize>(W * 3 * bytes)) * <usize>rs;
  return gSrc + 2 * gSrcBytes - scratch;
}

/** Bytes of scratch that setup needs (see plan). */
export function scratchBytes(W: i32, rc: i32, rf: i32, bytes: i32, rs: i32): usize {
  return plan(W, rc, rf, bytes, rs, 0);
}

/**
 * Starts a pair of W x H images with `bytes`-byte samples: the table at lut, the constants at k, the CSF
 * filters (radius rc) at ct and the feature filters (rf) at ft; `rs` sample rows in each image's ring;
 * the first output row will be `start`.
 */
export function setup(
  W: i32, H: i32, bytes: i32, lut: usize, k: usize, ct: usize, rc: i32, ft: usize, rf: i32, rs: i32,
  scratch: usize, start: i32,
): void {
  plan(W, rc, rf, bytes, rs, scratch);
  gW = W; gH = H; gWp = stride(W); gBytes = bytes; gRc = rc; gRf = rf;
  gR = rc > rf ? rc : rf; gRN = 2 * gR + 1; gRS = rs;
  gLut = lut; gK = k; gCt = ct; gFt = ft;
  // A band starting at row `start` filters along its rows from start - R (the rows above are not there).
  gDone0 = gDone1 = start > gR ? start - gR : 0;
}

/** Where the caller puts sample row y of image i (0: the reference, 1: the test). */
export function sampleRow(i: i32, y: i32): usize {
  return gSrc + <usize>i * gSrcBytes + a16(<usize>(gW * 3 * gBytes)) * <usize>(y % gRS);
}

/** The row at `src` into `pad` with R edge samples replicated on each side, times a plus b. */
function padRow(src: usize, pad: usize, a: f32, b: f32, scale: bool): void {
  const R = gR, W = gW;
  const n = gWp + 2 * R + 8;
  for (let i = 0; i < n; i++) {
    let j = i - R;
    j = j < 0 ? 0 : j >= W ? W - 1 : j;
    let v = load<f32>(src + (<usize>j << 2));
    if (scale) v = v * a + b;
    store<f32>(pad + (<usize>i << 2), v);
  }
}

/** Filters sample row y of image i along the row into its rings (planes: Y, Cx, Cz1, Cz2, dx, ddx, g). */
function alongRow(i: i32, y: i32): void {
  opponent(sampleRow(i, y), gOpp);
  const row = <usize>gWp << 2;
  const pn = a16(<usize>padFloats(gW, gR) << 2);
  const pY = gPad, pCx = gPad + pn, pCz = gPad + 2 * pn, pN = gPad + 3 * pn;
  padRow(gOpp, pY, 0, 0, false);
  padRow(gOpp + row, pCx, 0, 0, false);
  padRow(gOpp + 2 * row, pCz, 0, 0, false);
  padRow(gOpp, pN, kf(gK, K_OVER116), kf(gK, K_SIXTEEN_OVER116), true);
  const at = gRing + <usize>i * gRingBytes + <usize>(y % gRN) * row;
  featureRow(pN, at + 4 * gPlane);
  csfRow(pY, pCx, pCz, at);
}

/** The feature filters along the padded normalized Y: dx, ddx, g into rows at o, o + plane, o + 2 plane. */
function featureRow(pN: usize, o: usize): void {
  const n = 2 * gRf + 1;
  const g = gFt, dg = gFt + (<usize>n << 2), ddg = gFt + (<usize>n << 3);
  const skip = <usize>(gR - gRf) << 2;
  const dx = o, ddx = o + gPlane, gs = o + 2 * gPlane;
  for (let c: usize = 0; c < (<usize>gWp << 2); c += 32) {
    const p = pN + skip + c;
    let a = f32x4.splat(0), b = f32x4.splat(0), d = f32x4.splat(0);
    let a2 = f32x4.splat(0), b2 = f32x4.splat(0), d2 = f32x4.splat(0);
    for (let t = 0; t < n; t++) {
      const q = <usize>t << 2;
      const v = v128.load(p + q), v2 = v128.load(p + q, 16);
      const wa = v128.load32_splat(dg + q), wb = v128.load32_splat(ddg + q), wd = v128.load32_splat(g + q);
      a = f32x4.add(a, f32x4.mul(wa, v));
      a2 = f32x4.add(a2, f32x4.mul(wa, v2));
      b = f32x4.add(b, f32x4.mul(wb, v));
      b2 = f32x4.add(b2, f32x4.mul(wb, v2));
      d = f32x4.add(d, f32x4.mul(wd, v));
      d2 = f32x4.add(d2, f32x4.mul(wd, v2));
    }
    v128.store(dx + c, a);
    v128.store(dx + c, a2, 16);
    v128.store(ddx + c, b);
    v128.store(ddx + c, b2, 16);
    v128.store(gs + c, d);
    v128.store(gs + c, d2, 16);
  }
}

/** The CSF filters along the padded Y, Cx, Cz: Y, Cx, Cz1, Cz2 into rows at o + 0 ... 3 planes. */
function csfRow(pY: usize, pCx: usize, pCz: usize, o: usize): void {
  const n = 2 * gRc + 1;
  const t1 = gCt + (<usize>n << 2), t2 = gCt + (<usize>n << 3), t3 = gCt + <usize>n * 12;
  const skip = <usize>(gR - gRc) << 2;
  const o0 = o, o1 = o0 + gPlane, o2 = o1 + gPlane, o3 = o2 + gPlane;
  for (let c: usize = 0; c < (<usize>gWp << 2); c += 32) {
    const off = skip + c;
    let a = f32x4.splat(0), b = f32x4.splat(0), d = f32x4.splat(0), e = f32x4.splat(0);
    let a2 = f32x4.splat(0), b2 = f32x4.splat(0), d2 = f32x4.splat(0), e2 = f32x4.splat(0);
    for (let t = 0; t < n; t++) {
      const q = <usize>t << 2;
      const wa = v128.load32_splat(gCt + q), wb = v128.load32_splat(t1 + q);
      const wd = v128.load32_splat(t2 + q), we = v128.load32_splat(t3 + q);
      const y = pY + off + q, x = pCx + off + q, z = pCz + off + q;
      const z1 = v128.load(z), z2 = v128.load(z, 16);
      a = f32x4.add(a, f32x4.mul(wa, v128.load(y)));
      a2 = f32x4.add(a2, f32x4.mul(wa, v128.load(y, 16)));
      b = f32x4.add(b, f32x4.mul(wb, v128.load(x)));
      b2 = f32x4.add(b2, f32x4.mul(wb, v128.load(x, 16)));
      d = f32x4.add(d, f32x4.mul(wd, z1));
      d2 = f32x4.add(d2, f32x4.mul(wd, z2));
      e = f32x4.add(e, f32x4.mul(we, z1));
      e2 = f32x4.add(e2, f32x4.mul(we, z2));
    }
    v128.store(o0 + c, a);
    v128.store(o0 + c, a2, 16);
    v128.store(o1 + c, b);
    v128.store(o1 + c, b2, 16);
    v128.store(o2 + c, d);
    v128.store(o2 + c, d2, 16);
    v128.store(o3 + c, e);
    v128.store(o3 + c, e2, 16);
  }
}

/** Byte offsets in a ring plane of the rows y - r ... y + r (clamped to the image), at gRows. */
function rowOffsets(y: i32, r: i32): void {
  for (let t = -r; t <= r; t++) {
    let j = y + t;
    j = j < 0 ? 0 : j >= gH ? gH - 1 : j;
    store<u32>(gRows + (<usize>(t + r) << 2), <u32>((j % gRN) * gWp) << 2);
  }
}

/**
 * The cube root of each lane for t in (0.008, 2): a first guess from the exponent bits (the integer
 * third), two Newton steps in float32 and a last one in float64, rounded once: the correctly rounded root
 * nearly always (the float32 1/3 power FLIP takes differs from it by far less than an ulp here).
 */
@inline function cbrt4(t: v128): v128 {
  const third = f32x4.splat(<f32>1 / <f32>3);
  const bits = i32x4.trunc_sat_f32x4_u(f32x4.mul(f32x4.convert_i32x4_u(t), third));
  let y = i32x4.add(bits, i32x4.splat(709958130));
  for (let i = 0; i < 2; i++) y = f32x4.sub(y, f32x4.div(f32x4.sub(f32x4.mul(f32x4.mul(y, y), y), t), f32x4.mul(f32x4.splat(3), f32x4.mul(y, y))));
  const hy = v128.shuffle<i32>(y, y, 2, 3, 0, 1), ht = v128.shuffle<i32>(t, t, 2, 3, 0, 1);
  const lo = f32x4.demote_f64x2_zero(newton64(f64x2.promote_low_f32x4(y), f64x2.promote_low_f32x4(t)));
  const hi = f32x4.demote_f64x2_zero(newton64(f64x2.promote_low_f32x4(hy), f64x2.promote_low_f32x4(ht)));
  return v128.shuffle<i32>(lo, hi, 0, 1, 4, 5);
}

@inline function newton64(y: v128, t: v128): v128 {
  const y2 = f64x2.mul(y, y);
  return f64x2.sub(y, f64x2.div(f64x2.sub(f64x2.mul(y2, y), t), f64x2.mul(f64x2.splat(3), y2)));
}

/** Mathf.cbrt of each lane (checks cbrt4). */
export function cbrtCheck(x: f32): f32 {
  return f32x4.extract_lane(cbrt4(f32x4.splat(x)), 0) - Mathf.cbrt(x);
}

/** CIE L*a*b*'s f(t) for t already divided by the white: t^(1/3) above (6/29)^3, else linear. */
@inline function labF(t: v128, k: usize): v128 {
  const lin = f32x4.add(f32x4.mul(ks(k, K_FACTOR), t), ks(k, K_TERM));
  return v128.bitselect(cbrt4(t), lin, f32x4.gt(t, ks(k, K_CUBE)));
}

/** The row sum a x + b y + c z of a 3x3 matrix at k + i (row-major), in FLIP's order. */
@inline function row3(k: usize, i: i32, x: v128, y: v128, z: v128): v128 {
  return f32x4.add(f32x4.add(f32x4.mul(ks(k, i), x), f32x4.mul(ks(k, i + 1), y)), f32x4.mul(ks(k, i + 2), z));
}

@inline function clamp01(v: v128): v128 {
  // FLIP's Min(Max(v, 0), 1) with Max(x, y) = x > y ? x : y.
  const zero = f32x4.splat(0), one = f32x4.splat(1);
  const lo = v128.bitselect(v, zero, f32x4.gt(v, zero));
  return v128.bitselect(one, lo, f32x4.gt(lo, one));
}

/** Filtered Y, Cx, Cz -> L*a*b* with Hunt's a, b stored at L, L + plane, L + 2 plane. */
@inline function huntLab(Y: v128, Cx: v128, Cz: v128, k: usize, L: usize, plane: usize): void {
  const yv = f32x4.div(f32x4.add(Y, f32x4.splat(16)), f32x4.splat(116));
  const X = f32x4.mul(f32x4.add(yv, f32x4.div(Cx, f32x4.splat(500))), ks(k, K_ILL));
  const Yw = f32x4.mul(yv, ks(k, K_ILL + 1));
  const Z = f32x4.mul(f32x4.sub(yv, f32x4.div(Cz, f32x4.splat(200))), ks(k, K_ILL + 2));
  const r = clamp01(row3(k, K_XYZ_RGB, X, Yw, Z));
  const g = clamp01(row3(k, K_XYZ_RGB + 3, X, Yw, Z));
  const b = clamp01(row3(k, K_XYZ_RGB + 6, X, Yw, Z));
  const fx = labF(f32x4.mul(row3(k, K_RGB_XYZ, r, g, b), ks(k, K_INV_ILL)), k);
  const fy = labF(f32x4.mul(row3(k, K_RGB_XYZ + 3, r, g, b), ks(k, K_INV_ILL + 1)), k);
  const fz = labF(f32x4.mul(row3(k, K_RGB_XYZ + 6, r, g, b), ks(k, K_INV_ILL + 2)), k);
  const l = f32x4.sub(f32x4.mul(f32x4.splat(116), fy), f32x4.splat(16));
  const hunt = f32x4.mul(f32x4.splat(0.01), l);
  v128.store(L, l);
  v128.store(L + plane, f32x4.mul(hunt, f32x4.mul(f32x4.splat(500), f32x4.sub(fx, fy))));
  v128.store(L + 2 * plane, f32x4.mul(hunt, f32x4.mul(f32x4.splat(200), f32x4.sub(fy, fz))));
}


/** Down the CSF rings of image i for row y (offsets at gRows): Hunt L*a*b* into its output rows 0-2. */
function csfColumns(i: i32): void {
  const n = 2 * gRc + 1;
  const t1 = gCt + (<usize>n << 2), t2 = gCt + (<usize>n << 3), t3 = gCt + <usize>n * 12;
  const p0 = gRing + <usize>i * gRingBytes, p1 = p0 + gPlane, p2 = p1 + gPlane, p3 = p2 + gPlane;
  const out = gOut + <usize>i * gOutBytes, row = <usize>gWp << 2;
  // Two vectors at a time: eight independent sums, each in FLIP's order.
  for (let c: usize = 0; c < row; c += 32) {
    let a = f32x4.splat(0), b = f32x4.splat(0), d = f32x4.splat(0), e = f32x4.splat(0);
    let a2 = f32x4.splat(0), b2 = f32x4.splat(0), d2 = f32x4.splat(0), e2 = f32x4.splat(0);
    for (let t = 0; t < n; t++) {
      const q = <usize>t << 2;
      const r = <usize>load<u32>(gRows + q) + c;
      const wa = v128.load32_splat(gCt + q), wb = v128.load32_splat(t1 + q);
      const wd = v128.load32_splat(t2 + q), we = v128.load32_splat(t3 + q);
      a = f32x4.add(a, f32x4.mul(wa, v128.load(p0 + r)));
      a2 = f32x4.add(a2, f32x4.mul(wa, v128.load(p0 + r, 16)));
      b = f32x4.add(b, f32x4.mul(wb, v128.load(p1 + r)));
      b2 = f32x4.add(b2, f32x4.mul(wb, v128.load(p1 + r, 16)));
      d = f32x4.add(d, f32x4.mul(wd, v128.load(p2 + r)));
      d2 = f32x4.add(d2, f32x4.mul(wd, v128.load(p2 + r, 16)));
      e = f32x4.add(e, f32x4.mul(we, v128.load(p3 + r)));
      e2 = f32x4.add(e2, f32x4.mul(we, v128.load(p3 + r, 16)));
    }
    huntLab(a, b, f32x4.add(d, e), gK, out + c, row);
    huntLab(a2, b2, f32x4.add(d2, e2), gK, out + c + 16, row);
  }
}

/** Down the feature rings of image i for row y (offsets at gRows): edge, point into output rows 3, 4. */
function featureColumns(i: i32): void {
  const n = 2 * gRf + 1;
  const g = gFt, dg = gFt + (<usize>n << 2), ddg = gFt + (<usize>n << 3);
  const p4 = gRing + <usize>i * gRingBytes + 4 * gPlane, p5 = p4 + gPlane, p6 = p5 + gPlane;
  const row = <usize>gWp << 2, out = gOut + <usize>i * gOutBytes + 3 * row;
  for (let c: usize = 0; c < row; c += 32) {
    let dx = f32x4.splat(0), ddx = f32x4.splat(0), dy = f32x4.splat(0), ddy = f32x4.splat(0);
    let dx2 = f32x4.splat(0), ddx2 = f32x4.splat(0), dy2 = f32x4.splat(0), ddy2 = f32x4.splat(0);
    for (let t = 0; t < n; t++) {
      const q = <usize>t << 2;
      const r = <usize>load<u32>(gRows + q) + c;
      const gt = v128.load32_splat(g + q), dgt = v128.load32_splat(dg + q), ddgt = v128.load32_splat(ddg + q);
      const v = v128.load(p6 + r), v2 = v128.load(p6 + r, 16);
      dx = f32x4.add(dx, f32x4.mul(gt, v128.load(p4 + r)));
      dx2 = f32x4.add(dx2, f32x4.mul(gt, v128.load(p4 + r, 16)));
      ddx = f32x4.add(ddx, f32x4.mul(gt, v128.load(p5 + r)));
      ddx2 = f32x4.add(ddx2, f32x4.mul(gt, v128.load(p5 + r, 16)));
      dy = f32x4.add(dy, f32x4.mul(dgt, v));
      dy2 = f32x4.add(dy2, f32x4.mul(dgt, v2));
      ddy = f32x4.add(ddy, f32x4.mul(ddgt, v));
      ddy2 = f32x4.add(ddy2, f32x4.mul(ddgt, v2));
    }
    v128.store(out + c, f32x4.sqrt(f32x4.add(f32x4.mul(dx, dx), f32x4.mul(dy, dy))));
    v128.store(out + c, f32x4.sqrt(f32x4.add(f32x4.mul(dx2, dx2), f32x4.mul(dy2, dy2))), 16);
    v128.store(out + row + c, f32x4.sqrt(f32x4.add(f32x4.mul(ddx, ddx), f32x4.mul(ddy, ddy))));
    v128.store(out + row + c, f32x4.sqrt(f32x4.add(f32x4.mul(ddx2, ddx2), f32x4.mul(ddy2, ddy2))), 16);
  }
}

/** One output row of both images' L*a*b* and features -> the W FLIP values at out. */
function combineRow(out: usize): void {
  const k = gK, row = <usize>gWp << 2;
  const qc = kf(k, K_QC), qf = kf(k, K_QF), pccmax = kf(k, K_PCCMAX), pt = kf(k, K_PT);
  const scale = kf(k, K_PT_OVER_PCCMAX), span = kf(k, K_CMAX_MINUS_PCCMAX), rest = kf(k, K_ONE_MINUS_PT);
  const norm = kf(k, K_NORM);
  const r = gOut, t = gOut + gOutBytes;
  for (let x = 0; x < gW; x++) {
    const i = <usize>x << 2;
    const dL = Mathf.abs(load<f32>(r + i) - load<f32>(t + i));
    const da = load<f32>(r + row + i) - load<f32>(t + row + i);
    const db = load<f32>(r + 2 * row + i) - load<f32>(t + 2 * row + i);
    let ec = Mathf.pow(dL + Mathf.sqrt(da * da + db * db), qc);
    ec = ec < pccmax ? ec * scale : pt + ((ec - pccmax) / span) * rest;
    const de = Mathf.abs(load<f32>(r + 3 * row + i) - load<f32>(t + 3 * row + i));
    const dp = Mathf.abs(load<f32>(r + 4 * row + i) - load<f32>(t + 4 * row + i));
    const ef = Mathf.pow(norm * (de > dp ? de : dp), qf);
    store<f32>(out + i, Mathf.pow(ec, <f32>1 - ef));
  }
}

/**
 * The FLIP map's rows y0 ... y1 - 1 into W-float rows at out (row y0 first). The caller has put the sample
 * rows up to y1 + R - 1 (or the last) in the rings, and called this for the rows before y0.
 */
export function flipRows(y0: i32, y1: i32, out: usize): void {
  for (let y = y0; y < y1; y++) {
    const need = y + gR + 1 < gH ? y + gR + 1 : gH;
    for (; gDone0 < need; gDone0++) alongRow(0, gDone0);
    for (; gDone1 < need; gDone1++) alongRow(1, gDone1);
    rowOffsets(y, gRc);
    csfColumns(0);
    csfColumns(1);
    rowOffsets(y, gRf);
    featureColumns(0);
    featureColumns(1);
    combineRow(out + (<usize>((y - y0) * gW) << 2));
  }
}

/** Where the caller's memory may start: after the kernel's static data (the pow and cbrt tables). */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
