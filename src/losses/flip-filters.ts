/**
 * LDR-ꟻLIP's constants and 1-D filters (Andersson et al., "FLIP: A Difference Evaluator for Alternating
 * Images", HPG 2020; NVlabs/flip v1.6, FLIP.h), built in float32 arithmetic step by step as FLIP's C++ code
 * builds them (each Math.fround is one float operation there), so that the taps are the same floats.
 */
const f = Math.fround;

/** float(3.14159265358979f) and float(PI * PI), as FLIP.h's Gaussians use them. */
const PI = f(3.14159265358979);
const PI_SQ = f(PI * PI);

/** The contrast sensitivity functions' Gaussians: a1, b1 (Y, Cx, Cz) and a2, b2 (Cz's second term). */
const A1 = [1, 1, 34.1].map(f);
const B1 = [0.0047, 0.0053, 0.04].map(f);
const A2 = f(13.5);
const B2 = [1e-5, 1e-5, 0.025].map(f);

/** Colour (qc, pc, pt) and feature (w, qf) parameters. */
export const FLIP_CONSTANTS = { qc: f(0.7), pc: f(0.4), pt: f(0.95), w: f(0.082), qf: f(0.5) } as const;

/** a sqrt(pi / b) exp(-pi² x² / b) (the "Gaussian in alternative form"). */
function gaussAlt(x2: number, a: number, b: number): number {
  return f(f(a * f(Math.sqrt(f(PI / b)))) * f(Math.exp(f(f(-PI_SQ * x2) / b))));
}

/** sqrt(a sqrt(pi / b)) exp(-pi² x² / b): the separable half of a sum of two Gaussians (Cz). */
function gaussAltSqrt(x2: number, a: number, b: number): number {
  return f(f(Math.sqrt(f(a * f(Math.sqrt(f(PI / b)))))) * f(Math.exp(f(f(-PI_SQ * x2) / b))));
}

/** The spatial (CSF) filters' radius at `ppd` pixels per degree: ceil(3 sqrt(max b / (2 pi²)) ppd). */
export function spatialRadius(ppd: number): number {
  const maxB = Math.max(...B1, ...B2);
  return Math.ceil(f(f(3 * f(Math.sqrt(f(maxB / f(2 * PI_SQ))))) * f(ppd)));
}

/** The feature filters' standard deviation 0.5 w ppd and radius ceil(3 sd). */
export function featureSpread(ppd: number): { sd: number; radius: number } {
  const sd = f(f(0.5 * FLIP_CONSTANTS.w) * f(ppd));
  return { sd, radius: Math.ceil(f(3 * sd)) };
}

/** A running float32 sum. */
function sum32(a: readonly number[]): number {
  return a.reduce((s, v) => f(s + v), 0);
}

/**
 * The CSF filters as four 1-D kernels of 2r + 1 taps: Y and Cx (each normalized to sum 1) and Cz's two
 * terms (together of unit norm, as their separable product sums to the 2-D filter). Cz is filtered by both
 * and the two results added.
 */
export function spatialFilters(ppd: number): { y: number[]; cx: number[]; cz1: number[]; cz2: number[] } {
  const r = spatialRadius(ppd);
  const dx = f(1 / f(ppd));
  const taps = Array.from({ length: 2 * r + 1 }, (_, i) => {
    const x = f((i - r) * dx);
    const x2 = f(x * x);
    return [
      gaussAlt(x2, A1[0]!, B1[0]!),
      gaussAlt(x2, A1[1]!, B1[1]!),
      gaussAltSqrt(x2, A1[2]!, B1[2]!),
      gaussAltSqrt(x2, A2, B2[2]!),
    ] as const;
  });
  const col = (c: number) => taps.map((t) => t[c]!);
  const [ny, ncx] = [f(1 / sum32(col(0))), f(1 / sum32(col(1)))];
  const [s1, s2] = [sum32(col(2)), sum32(col(3))];
  const nz = f(1 / f(Math.sqrt(f(f(s1 * s1) + f(s2 * s2)))));
  return {
    y: col(0).map((v) => f(v * ny)),
    cx: col(1).map((v) => f(v * ncx)),
    cz1: col(2).map((v) => f(v * nz)),
    cz2: col(3).map((v) => f(v * nz)),
  };
}

/**
 * The feature filters: a Gaussian g (sum 1), its first derivative dg and second derivative ddg (each with
 * positive taps summing to 1 and negative ones to -1), 2 radius + 1 taps each.
 */
export function featureFilters(ppd: number): { g: number[]; dg: number[]; ddg: number[] } {
  const { sd, radius } = featureSpread(ppd);
  const twoVar = f(f(2 * sd) * sd);
  const sd2 = f(sd * sd);
  const raw = Array.from({ length: 2 * radius + 1 }, (_, i) => {
    const x = i - radius;
    const g = f(Math.exp(f(-(x * x) / twoVar)));
    return [g, f(-x * g), f(f(f(f(x * x) / sd2) - 1) * g)] as const;
  });
  const sumWhere = (c: number, pos: boolean) =>
    sum32(raw.map((t) => t[c]!).map((v) => (pos ? (v > 0 ? v : 0) : v > 0 ? 0 : -v)));
  const gSum = sum32(raw.map((t) => t[0]));
  const norm = (c: number) => {
    const [p, n] = [sumWhere(c, true), sumWhere(c, false)];
    return raw.map((t) => f(t[c]! / (t[c]! > 0 ? p : n)));
  };
  return { g: raw.map((t) => f(t[0] / gSum)), dg: norm(1), ddg: norm(2) };
}

/** FLIP.h's linear RGB -> XYZ matrix (D65), each entry a float quotient as there. */
export const RGB_TO_XYZ = [
  [10135552 / 24577794, 8788810 / 24577794, 4435075 / 24577794],
  [2613072 / 12288897, 8788810 / 12288897, 887015 / 12288897],
  [1425312 / 73733382, 8788810 / 73733382, 70074185 / 73733382],
].map((row) => row.map(f));
export const XYZ_TO_RGB = [
  [3.241003275, -1.537398934, -0.498615861],
  [-0.969224334, 1.875930071, 0.041554224],
  [0.055639423, -0.204011202, 1.057148933],
].map((row) => row.map(f));
export const ILLUMINANT = [0.950428545, 1, 1.088900371].map(f);
export const INV_ILLUMINANT = [1.052156925, 1, 0.91835767].map(f);
export const LAB = (() => {
  const delta = f(6 / 29);
  const delta2 = f(delta * delta);
  return { cube: f(delta * delta2), factor: f(1 / f(3 * delta2)), term: f(4 / 29), third: f(1 / 3) };
})();

/**
 * cmax = HyAB(Hunt Lab(green), Hunt Lab(blue))^qc and pc cmax, in float32 as FLIP.h's computeMaxDistance.
 */
export function colourScale(): { cmax: number; pccmax: number } {
  const lab = (rgb: number[]) => {
    const xyz = RGB_TO_XYZ.map((row, i) =>
      f(f(f(f(row[0]! * rgb[0]!) + f(row[1]! * rgb[1]!)) + f(row[2]! * rgb[2]!)) * INV_ILLUMINANT[i]!),
    );
    const t = xyz.map((v) => (v > LAB.cube ? f(Math.pow(v, LAB.third)) : f(f(LAB.factor * v) + LAB.term)));
    const L = f(f(116 * t[1]!) - 16);
    const hunt = (c: number) => f(f(0.01 * L) * c);
    return [L, hunt(f(500 * f(t[0]! - t[1]!))), hunt(f(200 * f(t[1]! - t[2]!)))];
  };
  const [g, b] = [lab([0, 1, 0]), lab([0, 0, 1])];
  const da = f(g[1]! - b[1]!),
    db = f(g[2]! - b[2]!);
  const hyab = f(f(Math.abs(f(g[0]! - b[0]!))) + f(Math.sqrt(f(f(da * da) + f(db * db)))));
  const cmax = f(Math.pow(hyab, FLIP_CONSTANTS.qc));
  return { cmax, pccmax: f(FLIP_CONSTANTS.pc * cmax) };
}

let constants: Float32Array | undefined;

/** The constants the host kernel reads (asm/flip.ts's K_ offsets), each the float FLIP.h computes. */
export function flipConstants(): Float32Array {
  const { cmax, pccmax } = colourScale();
  constants ??= Float32Array.from([
    ...RGB_TO_XYZ.flat(),
    ...XYZ_TO_RGB.flat(),
    ...ILLUMINANT,
    ...INV_ILLUMINANT,
    LAB.cube,
    LAB.factor,
    LAB.term,
    cmax,
    pccmax,
    FLIP_CONSTANTS.pt,
    FLIP_CONSTANTS.qc,
    FLIP_CONSTANTS.qf,
    f(1 / f(Math.sqrt(2))),
    f(FLIP_CONSTANTS.pt / pccmax),
    f(cmax - pccmax),
    f(1 - FLIP_CONSTANTS.pt),
    f(1 / 116),
    f(16 / 116),
  ]);
  return constants;
}
