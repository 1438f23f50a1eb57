import { tf } from '../tf.js';
import type { Tensor, Tensor3D } from '@tensorflow/tfjs-core';
import { gray, toRange } from '../losses/common.js';
import { shiftTolerant } from '../losses/shift.js';
import type { LossContext, LossDefinition, LossResult, ShiftSpec } from '../losses/types.js';
import { DATA_RANGE, type Feature, type LossOutput, type Range, type RawImage } from '../model.js';
import { rowsInBands } from './rows.js';
import { planStrips, STRIP_PIXELS, type Strip } from './strips.js';
import { unitTensor } from './upload.js';

export { unitTensor } from './upload.js';

export interface ComputeOptions {
  /** Keep the per-pixel map (false: only the value is needed). */
  map?: boolean;
  /** Download the filtered maps (false: nothing will draw them). */
  filtered?: boolean;
  /** Rows per strip for losses with a `halo` (default: see strips.ts). */
  tileRows?: number;
  /** Shift tolerance k (losses/shift.ts): each local loss's map is the minimum over offsets up to k. */
  shift?: number;
  /** H*W, 1 where a pixel is compared: the values become means over those pixels (local losses only). */
  mask?: Uint8Array;
  /** flip: pixels per degree (default model.ts's DEFAULT_PPD). */
  ppd?: number;
}

/** One loss's tensors for one strip (all owned by the caller; a type, so tf.tidy can return it). */
type StripTensors = {
  map: Tensor;
  filtered: Tensor[];
  terms: Tensor[];
  /** A mapless loss's value (ms-ssim). */
  scalar?: Tensor;
};

/**
 * A loss's numbers as its strips come in: the map, the filtered maps, the float64 sum or the terms' value.
 */
interface Accumulator {
  /** W * H. */
  size: number;
  /** Pixels the value is the mean over: all, or those the mask compares. */
  pixels: number;
  mask?: Uint8Array;
  /** The value from the mean, when it is not the mean itself. */
  finish?: (mean: number) => number;
  map: Float32Array;
  filtered?: { real: Float32Array; fake: Float32Array };
  sum: number;
  /** Sum the map in float32, row by row, as FLIP's tool pools it (the loss's value.float32Sum). */
  float32?: true;
  termValue?: number;
}

/**
 * Runs one loss on one pair in the chosen range; every tensor it creates is disposed before it returns.
 * See computeLosses.
 */
export async function computePair(
  loss: LossDefinition,
  real: RawImage,
  fake: RawImage,
  range: Range,
  ctx?: LossContext,
  opt: ComputeOptions = {},
): Promise<LossOutput> {
  return (await computeLosses([loss], real, fake, range, ctx, opt))[0];
}

/**
 * Runs several losses on one pair; every tensor it creates is disposed before it returns. Local losses (those
 * with a `halo`) share one upload of each strip (strips.ts); other losses (vgg) run on the whole image, one
 * at a time. Results are downloaded asynchronously (tfjs-webgpu cannot read synchronously in Node).
 */
export async function computeLosses(
  losses: LossDefinition[],
  real: RawImage,
  fake: RawImage,
  range: Range,
  weights?: LossContext,
  opt: ComputeOptions = {},
): Promise<LossOutput[]> {
  if (fake.width !== real.width || fake.height !== real.height)
    throw new Error(`real is ${real.width}x${real.height} but fake is ${fake.width}x${fake.height}`);
  const ctx: LossContext = {
    ...weights,
    dataRange: DATA_RANGE[range],
    ...(opt.ppd !== undefined ? { ppd: opt.ppd } : {}),
  };
  const results = new Map<LossDefinition, LossOutput>();
  for (const l of losses) {
    const out = await fromSamples(l, real, fake, range, opt, ctx);
    if (out) results.set(l, out);
  }
  const local = losses.filter((l) => l.halo !== undefined && !results.has(l));
  const haloOf = (l: LossDefinition) => l.haloFor?.(ctx) ?? l.halo!;
  const keep = (group: LossDefinition[], out: LossOutput[]) =>
    group.forEach((l, i) => results.set(l, out[i]));
  // A shifted read reaches k pixels beyond the filter's own halo.
  if (local.length)
    keep(
      local,
      await runGroup(local, Math.max(...local.map(haloOf)) + (opt.shift ?? 0), real, fake, range, ctx, opt),
    );
  for (const loss of losses)
    if (loss.halo === undefined) keep([loss], await runGroup([loss], undefined, real, fake, range, ctx, opt));
  return losses.map((l) => results.get(l)!);
}

/**
 * A loss's output from the map its `fromSamples` gives (l1, l2, psnr, shift-tolerant or not; ssim; sobel
 * and laplacian), where it applies (images up to one strip): the same map as the strips' tensors give, with
 * no tensor made.
 */
async function fromSamples(
  loss: LossDefinition,
  real: RawImage,
  fake: RawImage,
  range: Range,
  opt: ComputeOptions,
  ctx: LossContext,
): Promise<LossOutput | undefined> {
  const k = opt.shift ?? 0;
  // Larger images run in strips, which bound the memory (the kernel's stays at its largest), unless the
  // loss's kernel bounds its own.
  const large = real.width * real.height > STRIP_PIXELS && !loss.samplesAnySize;
  if (!loss.fromSamples || (k && !loss.shift) || large) return undefined;
  // The kernels give the map alone: a loss with filtered maps to draw (sobel's figure) uses the strips.
  if (loss.filterLabel !== undefined && opt.filtered !== false) return undefined;
  const halo = loss.haloFor?.(ctx) ?? loss.halo ?? 0;
  const map =
    (k ? undefined : await rowsInBands(loss, real, fake, ctx, halo)) ??
    loss.fromSamples(real, fake, range, k, ctx);
  if (!map) return undefined;
  const acc = accumulator(loss, real.width, real.height, opt, DATA_RANGE[range], true);
  if (acc.float32) acc.sum = sum32(map, 0, acc.mask);
  else acc.sum = acc.mask ? maskedSum64(map, acc.mask) : sum64(map);
  if (opt.map !== false) acc.map = map;
  return finish(acc);
}

/** A group of losses over the strips of one pair: compute each strip, then fold it into the accumulators. */
async function runGroup(
  group: LossDefinition[],
  halo: number | undefined,
  real: RawImage,
  fake: RawImage,
  range: Range,
  ctx: LossContext | undefined,
  opt: ComputeOptions,
): Promise<LossOutput[]> {
  const { width: W, height: H } = real;
  const strips = planStrips(H, W, halo, opt.tileRows);
  const whole = strips.length === 1;
  // A whole-image run adopts the downloaded arrays (fresh copies) instead of copying them again.
  const acc: Accumulator[] = group.map((loss) => accumulator(loss, W, H, opt, ctx?.dataRange ?? 1, whole));
  for (const strip of strips) {
    const tensors = tf.tidy(() => computeStrip(group, real, fake, strip, range, ctx, opt));
    try {
      for (const [i, o] of tensors.entries()) await accumulate(acc[i], o, strip, W, whole, opt.map !== false);
    } finally {
      tf.dispose(tensors.flatMap((o) => [o.map, ...o.filtered, ...o.terms, ...(o.scalar ? [o.scalar] : [])]));
    }
  }
  return acc.map(finish);
}

/** Uploads one strip of both images and runs every loss of the group on it (inside the caller's tf.tidy). */
function computeStrip(
  group: LossDefinition[],
  real: RawImage,
  fake: RawImage,
  s: Strip,
  range: Range,
  ctx: LossContext | undefined,
  opt: ComputeOptions,
): StripTensors[] {
  const r = toRange(unitTensor(real, s.t0, s.t1), range);
  const f = toRange(unitTensor(fake, s.t0, s.t1), range);
  // Losses that read only gray(x) share one gray pair.
  let g: [Tensor3D, Tensor3D] | undefined;
  const gray3 = (x: Tensor3D) => tf.squeeze<Tensor3D>(gray(x), [0]);
  return group.map((loss) => {
    const [a, b] = loss.grayOnly ? (g ??= [gray3(r), gray3(f)]) : [r, f];
    return stripTensors(
      opt.shift ? shiftTolerant(shiftSpec(loss), a, b, opt.shift) : loss.compute(a, b, ctx),
      opt.filtered !== false,
      loss.mapless,
    );
  });
}

function shiftSpec(loss: LossDefinition): ShiftSpec {
  if (!loss.shift) throw new Error(`the ${loss.name} loss has no shift-tolerant form`);
  return loss.shift;
}

function stripTensors(result: LossResult, wantFiltered: boolean, mapless = false): StripTensors {
  return {
    map: result.map,
    filtered: result.filtered && wantFiltered ? [result.filtered.real, result.filtered.fake] : [],
    terms: result.terms ?? [],
    ...(mapless ? { scalar: result.mean } : {}),
  };
}

/**
 * A loss's accumulator: the pixels its value is the mean over (all; those the mask compares; for a loss
 * with `value.crop`, only the interior) and how the mean becomes the value.
 */
function accumulator(
  loss: LossDefinition,
  W: number,
  H: number,
  opt: ComputeOptions,
  dataRange: number,
  whole: boolean,
): Accumulator {
  const crop = loss.value?.crop ?? 0;
  let mask = opt.mask;
  let pixels = mask ? count(mask) : W * H;
  if (crop > 0) {
    const inner = interior(W, H, crop);
    if (mask) {
      mask = inner.mask.map((v, i) => v & mask![i]!);
      pixels = count(mask);
    } else ({ mask, pixels } = inner);
  }
  const fromMean = loss.value?.fromMean;
  return {
    size: W * H,
    pixels,
    mask,
    map: new Float32Array(opt.map !== false && !whole && !loss.mapless ? W * H : 0),
    sum: 0,
    ...(loss.value?.float32Sum ? { float32: true as const } : {}),
    ...(fromMean ? { finish: (m: number) => fromMean(m, dataRange) } : {}),
  };
}

/** The last interior mask made (ssim's every pair: the same size in a batch), and how many it compares. */
let lastInterior: { key: string; mask: Uint8Array; pixels: number } | undefined;

/** 1 inside `crop` pixels of the border of a W x H image (read only: shared between pairs). */
function interior(W: number, H: number, crop: number): { mask: Uint8Array; pixels: number } {
  const key = `${W}x${H}-${crop}`;
  if (lastInterior?.key !== key) {
    const mask = new Uint8Array(W * H);
    for (let y = crop; y < H - crop; y++) mask.fill(1, y * W + crop, y * W + W - crop);
    lastInterior = { key, mask, pixels: count(mask) };
  }
  return lastInterior;
}

/** Folds one strip's tensors into a loss's accumulator: only the strip's own rows are kept. */
async function accumulate(
  acc: Accumulator,
  o: StripTensors,
  s: Strip,
  W: number,
  whole: boolean,
  wantMap: boolean,
): Promise<void> {
  if (o.scalar) {
    acc.termValue = (await download(o.scalar))[0]!;
    return;
  }
  const a = (s.y0 - s.t0) * W,
    b = (s.y1 - s.t0) * W;
  const rowsOf = async (t: Tensor) => (await download(t)).subarray(a, b);
  // A loss with terms takes its value from them: its map is read only when it is kept.
  const m = wantMap || !o.terms.length ? await rowsOf(o.map) : new Float32Array(0);
  if (o.terms.length) acc.termValue = await termsValue(o.terms);
  else if (acc.float32) acc.sum = sum32(m, acc.sum, acc.mask?.subarray(s.y0 * W, s.y1 * W));
  else acc.sum += acc.mask ? maskedSum64(m, acc.mask.subarray(s.y0 * W, s.y1 * W)) : sum64(m);
  if (wantMap) {
    if (whole) acc.map = m;
    else acc.map.set(m, s.y0 * W);
  }
  if (!o.filtered.length) return;
  const [fr, ff] = await Promise.all([rowsOf(o.filtered[0]), rowsOf(o.filtered[1])]);
  if (whole) acc.filtered = { real: fr, fake: ff };
  else {
    // The whole image (acc.pixels counts only the pixels a mask compares).
    acc.filtered ??= { real: new Float32Array(acc.size), fake: new Float32Array(acc.size) };
    acc.filtered.real.set(fr, s.y0 * W);
    acc.filtered.fake.set(ff, s.y0 * W);
  }
}

function finish(acc: Accumulator): LossOutput {
  // float32: the float32 quotient by the count rounded to float32, as C++ divides a float by a size_t.
  const mean = acc.float32 ? Math.fround(acc.sum / Math.fround(acc.pixels)) : acc.sum / acc.pixels;
  return {
    map: acc.map,
    value: acc.termValue ?? (acc.finish ? acc.finish(mean) : mean),
    filtered: acc.filtered,
  };
}

/**
 * The outputs of a pair whose images are equal, without computing them, when every loss says its map is
 * then all zeros (`zeroWhenEqual`) and nothing needs the filtered maps: a zero map (when kept) and the
 * value from a zero mean, exactly what the computation gives (a test checks each loss). Undefined
 * otherwise: the caller computes.
 */
export function equalPairOutputs(
  losses: LossDefinition[],
  W: number,
  H: number,
  range: Range,
  opt: ComputeOptions,
): LossOutput[] | undefined {
  const zero = (l: LossDefinition) =>
    l.zeroWhenEqual === true || (l.zeroWhenEqual !== undefined && l.zeroWhenEqual());
  if (!losses.every(zero)) return undefined;
  if (opt.filtered !== false && losses.some((l) => l.filterLabel !== undefined)) return undefined;
  return losses.map((l) => ({
    map: new Float32Array(opt.map !== false ? W * H : 0),
    value: l.value?.fromMean ? l.value.fromMean(0, DATA_RANGE[range]) : 0,
  }));
}

/** A tensor's values, read without blocking (the only download path). */
export async function download(t: Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}

/**
 * The value of a loss that gives terms (vgg): the sum of the terms' float64 means. The only place it is
 * summed.
 */
async function termsValue(terms: Tensor[]): Promise<number> {
  const values = await Promise.all(terms.map(download));
  return values.reduce((t, x) => t + mean64(x), 0);
}

/** A two-stage loss's features of one whole image, downloaded (no tensor survives). */
export async function embedImage(
  loss: LossDefinition,
  image: RawImage,
  range: Range,
  ctx: LossContext,
): Promise<Feature[]> {
  const feats = tf.tidy(() =>
    loss.embed!(toRange(unitTensor(image, 0, image.height), range), { ...ctx, dataRange: DATA_RANGE[range] }),
  );
  try {
    return await Promise.all(feats.map(async (t) => ({ shape: t.shape, data: await download(t) })));
  } finally {
    tf.dispose(feats);
  }
}

/**
 * A two-stage loss from embeddings computed elsewhere (two worker threads): compared here, downloaded like
 * any whole-image result. No tensor survives.
 */
export async function compareEmbedded(
  loss: LossDefinition,
  realFeatures: Feature[],
  fakeFeatures: Feature[],
  H: number,
  W: number,
  opt: ComputeOptions = {},
): Promise<LossOutput> {
  const whole: Strip = { y0: 0, y1: H, t0: 0, t1: H };
  const acc: Accumulator = { size: W * H, pixels: W * H, map: new Float32Array(0), sum: 0 };
  const o = tf.tidy(() => {
    const t = (fs: Feature[]) =>
      fs.map((x) => tf.tensor4d(x.data, x.shape as [number, number, number, number]));
    return stripTensors(
      loss.compareEmbeddings!(t(realFeatures), t(fakeFeatures), H, W, true, opt.map !== false),
      false,
    );
  });
  try {
    await accumulate(acc, o, whole, W, true, opt.map !== false);
  } finally {
    tf.dispose([o.map, ...o.terms]);
  }
  return finish(acc);
}

/**
 * Sum in float64, in local accumulators (a double stored into an object field allocates on every add);
 * four of them, so the adds do not wait on each other (2x faster, measured). Float32 terms summed in
 * float64 keep ~29 bits more than the float32 result needs, so the order does not show in it.
 */
export function sum64(a: Float32Array): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0,
    i = 0;
  for (const n = a.length - (a.length % 4); i < n; i += 4) {
    s0 += a[i];
    s1 += a[i + 1];
    s2 += a[i + 2];
    s3 += a[i + 3];
  }
  for (; i < a.length; i++) s0 += a[i];
  return s0 + s1 + (s2 + s3);
}

/**
 * `start` plus the entries (those whose mask is nonzero), added one by one in float32, in order: FLIP's
 * tool's pooling (a float accumulator), whose rounding its printed mean carries.
 */
export function sum32(a: Float32Array, start = 0, mask?: Uint8Array): number {
  const f = Math.fround;
  let s = f(start);
  if (mask) for (let i = 0; i < a.length; i++) s = mask[i] ? f(s + a[i]!) : s;
  else for (let i = 0; i < a.length; i++) s = f(s + a[i]!);
  return s;
}

/** Sum in float64 of the entries whose mask is nonzero. */
export function maskedSum64(a: Float32Array, mask: Uint8Array): number {
  let s0 = 0,
    s1 = 0;
  for (let i = 0; i < a.length; i += 2) {
    if (mask[i]) s0 += a[i];
    if (mask[i + 1]) s1 += a[i + 1]; // past the end, mask[i + 1] is undefined
  }
  return s0 + s1;
}

/** How many entries are nonzero. */
export function count(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  return n;
}

export function mean64(a: Float32Array): number {
  return sum64(a) / a.length;
}
