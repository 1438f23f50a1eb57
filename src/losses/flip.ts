import { tf } from '../tf.js';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { DEFAULT_PPD } from '../model.js';
import { checkPair, rgb4d, tidyLoss, toMap } from './common.js';
import {
  colourScale,
  FLIP_CONSTANTS as K,
  featureFilters,
  ILLUMINANT,
  INV_ILLUMINANT,
  LAB,
  RGB_TO_XYZ,
  featureSpread,
  spatialFilters,
  spatialRadius,
  XYZ_TO_RGB,
} from './flip-filters.js';
import { flipSamplesRows } from './flip-host.js';
import { hostKernelsActive } from './host.js';
import { keptTensor } from './kernels.js';
import type { Image, LossDefinition, LossResult } from './types.js';

/**
 * LDR-ꟻLIP (Andersson et al., HPG 2020), as version 1.6 of NVlabs/flip computes it (FLIP.h, the `flip`
 * tool's LDR path), in float32. Inputs are sRGB in [0, 1]; per pixel, with r = real (reference) and
 * f = fake (test):
 *   linear = sRGB^-1(clamp(x)); YCxCz = opponent space of XYZ(linear) (D65);
 *   colour: each of Y, Cx, Cz convolved with its contrast sensitivity filter (separable Gaussians, radius
 *     ceil(3 sqrt(0.04 / (2 pi²)) ppd), edge-replicating borders), back to linear RGB, clamped to [0, 1],
 *     to L*a*b* with the Hunt adjustment (a, b scaled by 0.01 L); HyAB = |dL| + ||(da, db)||;
 *     e_c = HyAB^0.7 remapped so [0, pc cmax) -> [0, pt) linearly and [pc cmax, cmax] -> [pt, 1]
 *     (pc = 0.4, pt = 0.95, cmax = the green-blue HyAB^0.7);
 *   features: Y / 116 + 16 / 116 convolved with a Gaussian's 1st and 2nd derivatives (sd 0.5 w ppd,
 *     w = 0.082, radius ceil(3 sd), edge-replicating): edge = |grad|, point = |2nd-derivative pair|;
 *     e_f = (max(|edge_r - edge_f|, |point_r - point_f|) / sqrt 2)^qf, qf = 0.5;
 *   FLIP = e_c^(1 - e_f), in [0, 1].
 * map = the FLIP map ([H,W] or [N,H,W]); mean = its mean. `ppd`: pixels per degree (default 67.020643: 0.7 m
 * from a 0.7 m wide 3840-pixel display).
 */
export const flip = tidyLoss(function flip(real: Image, fake: Image, ppd: number = DEFAULT_PPD): LossResult {
  const single = checkPair(real, fake);
  // Each image through the filters on its own: channel slices and concatenations cost tfjs-wasm more than
  // all the filtering (measured), so channels are only ever mixed by 1x1 convolutions.
  // Each in its own tidy: only its L*a*b* and features outlive it (peak memory: one image's intermediates).
  const [r, t] = [real, fake].map((x) => tf.tidy(() => perceived(rgb4d(x), ppd))) as [Perceived, Perceived];
  const colour = colourError(r.lab, t.lab);
  const feature = featureError(r.features, t.features);
  const map = toMap(tf.pow(colour, tf.sub(1, feature)) as Tensor4D, single);
  return { map, mean: tf.mean(map) };
});

/** How many pixels of context each FLIP pixel reads on every side at `ppd`: the larger filter radius. */
export function flipHalo(ppd: number): number {
  return Math.max(spatialRadius(ppd), featureSpread(ppd).radius);
}

const f = Math.fround;

/** y = M x + b per pixel of [N,H,W,C] x (a 1x1 convolution; M is out x C, column-vector convention). */
function affine(x: Tensor4D, name: string, m: number[][], b: number[]): Tensor4D {
  const k = keptTensor(`flip:${name}`, () =>
    tf.tensor4d(transpose(m).flat(), [1, 1, m[0]!.length, m.length], 'float32'),
  );
  return tf.add(tf.conv2d(x, k, 1, 'valid'), tf.tensor1d(b, 'float32'));
}

/** The matrix product A B, in float64 (rounded to float32 once, as a kernel). */
function mul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
}

const diag = (d: number[]) => d.map((v, i) => d.map((_, j) => (i === j ? v : 0)));

function transpose(m: number[][]): number[][] {
  return m[0]!.map((_, j) => m.map((r) => r[j]!));
}

/** xyz = XYZ / D65 of linear RGB. */
const RGB_TO_XYZN = mul(diag(INV_ILLUMINANT), RGB_TO_XYZ);

/**
 * What FLIP compares of one image: its filtered colour as Hunt-adjusted L*a*b* [N,H,W,3], and its edge and
 * point responses [N,H,W,2].
 */
type Perceived = { lab: Tensor4D; features: Tensor4D };
function perceived(srgb: Tensor4D, ppd: number): Perceived {
  const c = tf.clipByValue(srgb, 0, 1);
  const lin = tf.where(
    tf.lessEqual(c, 0.04045),
    tf.div(c, 12.92),
    tf.pow(tf.div(tf.add(c, 0.055), 1.055), 2.4),
  ) as Tensor4D;
  // YCxCz: Y = 116 y - 16, Cx = 500 (x - y), Cz = 200 (y - z), xyz = XYZ / D65; Cz twice (two filters).
  const opponent = [
    [0, 116, 0],
    [500, -500, 0],
    [0, 200, -200],
    [0, 200, -200],
  ];
  const ycxcz = affine(lin, 'ycxcz', mul(opponent, RGB_TO_XYZN), [-16, 0, 0, 0]);
  const y = affine(lin, 'y', mul([opponent[0]!], RGB_TO_XYZN), [-16]);
  return { lab: huntLab(filteredOpponent(ycxcz, ppd)), features: features(y, ppd) };
}

/** [Y, Cx, Cz, Cz] each convolved with its CSF filter (Y, Cx, Cz's two terms), edge-replicated. */
function filteredOpponent(ycxcz: Tensor4D, ppd: number): Tensor4D {
  const s = spatialFilters(ppd);
  const taps = [s.y, s.cx, s.cz1, s.cz2];
  return separable(clampPad(ycxcz, spatialRadius(ppd)), `csf:${ppd}`, taps, taps, 1);
}

/**
 * x [N,H,W,C] with `r` edge rows and columns replicated on each side (FLIP's clamped reads): [N,H+2r,W+2r,C].
 * Zero padding plus each edge times a 0/1 mask of the padded band: exact, and elementwise.
 */
function clampPad(x: Tensor4D, r: number): Tensor4D {
  const side = (t: Tensor4D, axis: 1 | 2) => {
    const n = t.shape[axis];
    const pad: [number, number][] = [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ];
    pad[axis] = [r, r];
    // A one-index gather: tfjs-wasm slices across rows or columns element by element (~50x slower here).
    const edge = (i: number) => tf.gather(t, tf.tensor1d([i], 'int32'), axis);
    const band = (from: number, to: number) => {
      const m = new Float32Array(n + 2 * r).map((_, i) => (i >= from && i < to ? 1 : 0));
      return tf.tensor4d(m, axis === 1 ? [1, n + 2 * r, 1, 1] : [1, 1, n + 2 * r, 1]);
    };
    return tf.add(
      tf.add(tf.pad(t, pad), tf.mul(edge(0), band(0, r))),
      tf.mul(edge(n - 1), band(n + r, n + 2 * r)),
    );
  };
  return side(side(x, 1) as Tensor4D, 2) as Tensor4D;
}

/**
 * Separable depthwise filtering of a padded x ('valid'): `across[ch * mult + m]` along W makes channel
 * ch * mult + m of the intermediate, `down[k * mult2 + m]` along H filters its channel k into output k * mult2 + m.
 */
function separable(
  x: Tensor4D,
  name: string,
  across: number[][],
  down: number[][],
  mult: number,
  mult2 = 1,
): Tensor4D {
  const k = across[0]!.length;
  const c = x.shape[3];
  const kx = keptTensor(`flip:${name}:x`, () =>
    tf.tensor4d(transpose(across).flat(), [1, k, c, mult], 'float32'),
  );
  const ky = keptTensor(`flip:${name}:y`, () =>
    tf.tensor4d(transpose(down).flat(), [k, 1, c * mult, mult2], 'float32'),
  );
  return tf.depthwiseConv2d(tf.depthwiseConv2d(x, kx, 1, 'valid'), ky, 1, 'valid');
}

/** Filtered [Y, Cx, Cz1, Cz2] -> linear RGB clamped to [0, 1] -> L*a*b* with Hunt's a, b (0.01 L a, 0.01 L b). */
function huntLab(filtered: Tensor4D): Tensor4D {
  // xyz = (Y + 16) / 116 + (Cx / 500, 0, -Cz / 200), Cz = Cz1 + Cz2; linear = XYZ_TO_RGB (D65 xyz).
  const fromOpponent = [
    [1 / 116, 1 / 500, 0, 0],
    [1 / 116, 0, 0, 0],
    [1 / 116, 0, -1 / 200, -1 / 200],
  ];
  const toRgb = mul(XYZ_TO_RGB, diag(ILLUMINANT));
  const bias = mul(toRgb, [[16 / 116], [16 / 116], [16 / 116]]).map((row) => row[0]!);
  const rgb = tf.clipByValue(affine(filtered, 'rgb', mul(toRgb, fromOpponent), bias), 0, 1);
  const xyz = affine(rgb, 'xyz', RGB_TO_XYZN, [0, 0, 0]);
  const t = tf.where(
    tf.greater(xyz, LAB.cube),
    tf.pow(xyz, LAB.third),
    tf.add(tf.mul(xyz, LAB.factor), LAB.term),
  ) as Tensor4D;
  // L = 116 fy - 16, a = 500 (fx - fy), b = 200 (fy - fz); Hunt's factor [1, 0.01 L, 0.01 L].
  const lab = affine(
    t,
    'lab',
    [
      [0, 116, 0],
      [500, -500, 0],
      [0, 200, -200],
    ],
    [-16, 0, 0],
  );
  const hunt = affine(
    t,
    'hunt',
    [
      [0, 0, 0],
      [0, 1.16, 0],
      [0, 1.16, 0],
    ],
    [1, -0.16, -0.16],
  );
  return tf.mul(lab, hunt);
}

/** The colour error e_c [N,H,W,1] from both images' Hunt L*a*b*. */
function colourError(a: Tensor4D, b: Tensor4D): Tensor4D {
  const d = tf.sub<Tensor4D>(a, b);
  const dL = tf.abs(affine(d, 'pick-l', [[1, 0, 0]], [0]));
  const hyab = tf.add(dL, tf.sqrt(affine(tf.square(d), 'sum-ab', [[0, 1, 1]], [0])));
  const { cmax, pccmax } = colourScale();
  const e = tf.pow(hyab, K.qc);
  return tf.where(
    tf.less(e, pccmax),
    tf.mul(e, f(K.pt / pccmax)),
    tf.add(tf.mul(tf.div(tf.sub(e, pccmax), f(cmax - pccmax)), f(1 - K.pt)), K.pt),
  ) as Tensor4D;
}

/** One image's [edge, point] responses [N,H,W,2] from its Y [N,H,W,1]. */
function features(y: Tensor4D, ppd: number): Tensor4D {
  const { g, dg, ddg } = featureFilters(ppd);
  const yn = tf.add(tf.mul(y, f(1 / 116)), f(16 / 116)) as Tensor4D;
  const zero = g.map(() => 0);
  // x: [g, dg, ddg] along W; y: g_x by [dg, ddg], dg_x by [g, 0], ddg_x by [g, 0] along H:
  // [dy, ddy, dx, 0, ddx, 0].
  const d = separable(
    clampPad(yn, featureSpread(ppd).radius),
    `feat:${ppd}`,
    [g, dg, ddg],
    [dg, ddg, g, zero, g, zero],
    3,
    2,
  );
  const sq = tf.square(d);
  return tf.sqrt(
    affine(
      sq,
      'edge-point',
      [
        [1, 0, 1, 0, 0, 0],
        [0, 1, 0, 0, 1, 0],
      ],
      [0, 0],
    ),
  );
}

/** The feature error e_f [N,H,W,1] from both images' edge and point responses. */
function featureError(a: Tensor4D, b: Tensor4D): Tensor4D {
  const diff = tf.max(tf.abs(tf.sub(a, b)), 3, true);
  return tf.pow(tf.mul(diff, f(1 / f(Math.sqrt(2)))), K.qf) as Tensor4D;
}

export const flipLoss: LossDefinition = {
  name: 'flip',
  title: 'FLIP',
  halo: flipHalo(DEFAULT_PPD),
  haloFor: (ctx) => flipHalo(ctx?.ppd ?? DEFAULT_PPD),
  colormap: 'magma',
  value: { float32Sum: true },
  // Equal images: no colour or feature difference, so 0^(1 - 0) = +0 everywhere (the kernel; tested).
  zeroWhenEqual: () => hostKernelsActive(),
  samplesAnySize: true,
  rowsModule: 'flip-host',
  fromSamples: (real, fake, _range, k, ctx) =>
    k || !hostKernelsActive()
      ? undefined
      : flipSamplesRows(real, fake, ctx?.ppd ?? DEFAULT_PPD, 0, real.height),
  compute: (real, fake, ctx) => flip(unit(real, ctx?.dataRange), unit(fake, ctx?.dataRange), ctx?.ppd),
};

/** FLIP reads sRGB in [0, 1]: the signed range ([-1, 1], data range 2) maps back to it. */
function unit(x: Image, dataRange = 1): Image {
  return dataRange === 2 ? (tf.div(tf.add(x, 1), 2) as Image) : x;
}
