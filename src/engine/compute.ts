import { tf } from '../tf.js';
import type { Tensor as TfTensor, Tensor3D } from '@tensorflow/tfjs-core';
import { gray, toRange } from '../losses/common.js';
import type { Range } from '../losses/range.js';
import type { LossContext, LossDefinition } from '../losses/types.js';

/**
 * A decoded image as the engine takes it: RGB samples as stored (8- or 16-bit), row-major, interleaved.
 * x = sample / max is formed per tile, so a huge image never exists as float32 all at once.
 */
export interface UnitImage {
  width: number;
  height: number;
  samples: Uint8Array | Uint16Array;
  /** 255 or 65535 */
  max: number;
}

/** The numbers of one comparison, downloaded from the backend: no tensors survive a call. */
export interface PairResult {
  /** H*W float32 loss map, row-major (empty when not asked for). */
  map: Float32Array;
  /** The loss: mean(map) accumulated in float64, so the printed value does not depend on a backend's
   *  reduction order; for losses whose value is not the map's mean (vgg), the sum of its terms' means. */
  mean: number;
  filtered?: { real: Float32Array; fake: Float32Array };
}

export interface ComputeOptions {
  /** Keep the per-pixel map (false: only the mean is needed). */
  map?: boolean;
  /** Download the filtered maps (false: nothing will draw them). */
  filtered?: boolean;
  /** Rows per tile for losses with a `halo`; default: whole images up to ~1 Mpixel, then ~1 Mpixel strips. */
  tileRows?: number;
}

const TILE_PIXELS = 2 ** 20;

/**
 * tfjs-wasm copies a new tensor's values into its own heap when the tensor is made, so on wasm one
 * conversion buffer serves every upload (fresh 3 MB buffers per 512² image kept V8's garbage collector
 * busy: ~2 ms a pair). Other backends keep the array as the tensor's storage and get a fresh one.
 */
let scratch = new Float32Array(0);

/**
 * Rows [y0, y1) as a [rows, W, 3] tensor of x = v / max. The integer samples are converted natively
 * (typed-array copy) and divided on the backend: IEEE float32 division, as the reference divides.
 */
export function unitTensor(img: UnitImage, y0: number, y1: number): Tensor3D {
  const src = img.samples.subarray(y0 * img.width * 3, y1 * img.width * 3);
  const shape: [number, number, number] = [y1 - y0, img.width, 3];
  const backend = tf.getBackend();
  if (backend === 'cpu') {
    // The cpu backend divides by a broadcast scalar ~20x slower than this loop. v / max in float64, then
    // rounded to float32, is the float32 quotient: for max = 2^k - 1 the exact quotient never lies close
    // enough to a float32 rounding midpoint for the double rounding to differ.
    const v = new Float32Array(src.length);
    for (let i = 0; i < v.length; i++) v[i] = src[i]! / img.max;
    return tf.tensor3d(v, shape, 'float32');
  }
  let v: Float32Array;
  if (backend === 'wasm') {
    if (scratch.length < src.length) scratch = new Float32Array(src.length);
    v = scratch.subarray(0, src.length);
  } else v = new Float32Array(src.length);
  v.set(src);
  return tf.div<Tensor3D>(tf.tensor3d(v, shape, 'float32'), img.max);
}

/**
 * Runs one loss on one pair in the chosen range; every tensor it creates is disposed before it returns.
 * See computeLosses.
 */
export function computePair(loss: LossDefinition, real: UnitImage, fake: UnitImage, range: Range, ctx?: LossContext, opt: ComputeOptions = {}): PairResult {
  return computeLosses([loss], real, fake, range, ctx, opt)[0]!;
}

/**
 * Runs several losses on one pair; every tensor it creates is disposed before it returns. The pair is
 * uploaded once per strip and shared by the local losses.
 * Local losses (those with a `halo`) run in horizontal strips that overlap by the largest halo: a strip's
 * border rows see their true neighbours, the true image border still sees zero padding, and only the
 * strip's own rows are kept, so tiled and untiled results are the same numbers. Other losses (vgg) run on
 * the whole image, one at a time.
 */
export function computeLosses(losses: LossDefinition[], real: UnitImage, fake: UnitImage, range: Range, ctx?: LossContext, opt: ComputeOptions = {}): PairResult[] {
  const { width: W, height: H } = real;
  if (fake.width !== W || fake.height !== H) throw new Error(`real is ${W}x${H} but fake is ${fake.width}x${fake.height}`);
  const wantMap = opt.map ?? true, wantFiltered = opt.filtered ?? true;
  const results = new Map<LossDefinition, PairResult>();
  const local = losses.filter((l) => l.halo !== undefined);
  const run = (group: LossDefinition[], halo: number | undefined) => {
    const rows = halo === undefined ? H : Math.max(1, opt.tileRows ?? Math.max(1, Math.floor(TILE_PIXELS / W)));
    const whole = rows >= H;
    const acc = group.map(() => ({
      // A whole-image run adopts the downloaded arrays (fresh copies) instead of copying them again.
      map: new Float32Array(wantMap && !whole ? W * H : 0) as Float32Array,
      filtered: undefined as { real: Float32Array; fake: Float32Array } | undefined,
      // loss = mean(map), or for losses that give terms (vgg, never tiled) sum_i mean(term_i); float64 either way.
      sum: 0,
      termLoss: undefined as number | undefined,
    }));
    for (let y0 = 0; y0 < H; y0 += rows) {
      const y1 = Math.min(H, y0 + rows);
      const t0 = halo === undefined ? y0 : Math.max(0, y0 - halo), t1 = halo === undefined ? y1 : Math.min(H, y1 + halo);
      const outs = tf.tidy(() => {
        const r = toRange(unitTensor(real, t0, t1), range);
        const f = toRange(unitTensor(fake, t0, t1), range);
        // Losses that read only gray(x) share one gray pair.
        let g: [Tensor3D, Tensor3D] | undefined;
        const gray3 = (x: Tensor3D) => tf.squeeze<Tensor3D>(gray(x), [0]);
        return group.map((loss) => {
          const [a, b] = loss.grayOnly ? (g ??= [gray3(r), gray3(f)]) : [r, f];
          const res = loss.compute(a, b, ctx);
          return { map: res.map, filtered: res.filtered && wantFiltered ? [res.filtered.real, res.filtered.fake] : [], terms: res.terms ?? [] };
        });
      });
      try {
        // Rows of this strip inside the computed window.
        const a = (y0 - t0) * W, b = (y1 - t0) * W;
        const rowsOf = (t: TfTensor) => (t.dataSync() as Float32Array).subarray(a, b);
        outs.forEach((o, i) => {
          const s = acc[i]!;
          const m = rowsOf(o.map);
          if (o.terms.length) s.termLoss = o.terms.reduce((t, x) => t + mean64(x.dataSync() as Float32Array), 0);
          else s.sum += sum64(m);
          if (wantMap) {
            if (whole) s.map = m;
            else s.map.set(m, y0 * W);
          }
          if (o.filtered.length) {
            if (whole) s.filtered = { real: rowsOf(o.filtered[0]!), fake: rowsOf(o.filtered[1]!) };
            else {
              s.filtered ??= { real: new Float32Array(W * H), fake: new Float32Array(W * H) };
              s.filtered.real.set(rowsOf(o.filtered[0]!), y0 * W);
              s.filtered.fake.set(rowsOf(o.filtered[1]!), y0 * W);
            }
          }
        });
      } finally {
        tf.dispose(outs.flatMap((o) => [o.map, ...o.filtered, ...o.terms]));
      }
    }
    group.forEach((loss, i) => {
      const s = acc[i]!;
      results.set(loss, { map: s.map, mean: s.termLoss ?? s.sum / (W * H), filtered: s.filtered });
    });
  };
  if (local.length) run(local, Math.max(...local.map((l) => l.halo!)));
  for (const loss of losses) if (loss.halo === undefined) run([loss], undefined);
  return losses.map((l) => results.get(l)!);
}

/**
 * Sum in float64, in local accumulators (a double stored into an object field allocates on every add);
 * four of them, so the adds do not wait on each other (2x faster, measured). Float32 terms summed in
 * float64 keep ~29 bits more than the float32 result needs, so the order does not show in it.
 */
export function sum64(a: Float32Array): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
  for (const n = a.length - (a.length % 4); i < n; i += 4) {
    s0 += a[i]!;
    s1 += a[i + 1]!;
    s2 += a[i + 2]!;
    s3 += a[i + 3]!;
  }
  for (; i < a.length; i++) s0 += a[i]!;
  return s0 + s1 + (s2 + s3);
}

export function mean64(a: Float32Array): number {
  return sum64(a) / a.length;
}
