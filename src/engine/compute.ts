import { tf } from '../tf.js';
import { toRange } from '../losses/common.js';
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

/** unit floats of rows [y0, y1): x = v / max (float64 division rounded to float32, as PIL-then-/255 is). */
export function unitRows(img: UnitImage, y0: number, y1: number): Float32Array {
  const a = y0 * img.width * 3, b = y1 * img.width * 3;
  const out = new Float32Array(b - a);
  const s = img.samples, max = img.max;
  for (let i = a; i < b; i++) out[i - a] = s[i]! / max;
  return out;
}

/**
 * Runs one loss on one pair in the chosen range; every tensor it creates is disposed before it returns.
 * Local losses (those with a `halo`) run in horizontal strips that overlap by the halo: a strip's border
 * rows see their true neighbours, the true image border still sees zero padding, and only the strip's own
 * rows are kept, so tiled and untiled results are the same numbers.
 */
export function computePair(loss: LossDefinition, real: UnitImage, fake: UnitImage, range: Range, ctx?: LossContext, opt: ComputeOptions = {}): PairResult {
  const { width: W, height: H } = real;
  if (fake.width !== W || fake.height !== H) throw new Error(`real is ${W}x${H} but fake is ${fake.width}x${fake.height}`);
  const wantMap = opt.map ?? true, wantFiltered = opt.filtered ?? true;
  const halo = loss.halo;
  const rows = halo === undefined ? H : Math.max(1, opt.tileRows ?? Math.max(1, Math.floor(TILE_PIXELS / W)));
  const map = new Float32Array(wantMap ? W * H : 0);
  let filtered: { real: Float32Array; fake: Float32Array } | undefined;
  // loss = mean(map), or for losses that give terms (vgg, never tiled) sum_i mean(term_i); float64 either way.
  let sum = 0;
  let termLoss: number | undefined;
  for (let y0 = 0; y0 < H; y0 += rows) {
    const y1 = Math.min(H, y0 + rows);
    const t0 = halo === undefined ? y0 : Math.max(0, y0 - halo), t1 = halo === undefined ? y1 : Math.min(H, y1 + halo);
    const shape: [number, number, number] = [t1 - t0, W, 3];
    const tensors = tf.tidy(() => {
      const r = toRange(tf.tensor3d(unitRows(real, t0, t1), shape, 'float32'), range);
      const f = toRange(tf.tensor3d(unitRows(fake, t0, t1), shape, 'float32'), range);
      const res = loss.compute(r, f, ctx);
      return { map: res.map, filtered: res.filtered && wantFiltered ? [res.filtered.real, res.filtered.fake] : [], terms: res.terms ?? [] };
    });
    try {
      // Rows of this strip inside the computed window.
      const a = (y0 - t0) * W, b = (y1 - t0) * W;
      const m = (tensors.map.dataSync() as Float32Array).subarray(a, b);
      if (tensors.terms.length) termLoss = tensors.terms.reduce((s, t) => s + mean64(t.dataSync() as Float32Array), 0);
      else for (let i = 0; i < m.length; i++) sum += m[i]!;
      if (wantMap) map.set(m, y0 * W);
      if (tensors.filtered.length) {
        filtered ??= { real: new Float32Array(W * H), fake: new Float32Array(W * H) };
        filtered.real.set((tensors.filtered[0]!.dataSync() as Float32Array).subarray(a, b), y0 * W);
        filtered.fake.set((tensors.filtered[1]!.dataSync() as Float32Array).subarray(a, b), y0 * W);
      }
    } finally {
      tf.dispose([tensors.map, ...tensors.filtered, ...tensors.terms]);
    }
  }
  return { map, mean: termLoss ?? sum / (W * H), filtered };
}

export function mean64(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}
