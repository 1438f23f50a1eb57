import { tf } from '../tf.js';
import type { LossContext, LossDefinition } from '../losses/types.js';
import { toRange } from '../losses/common.js';
import type { Range } from '../losses/range.js';

/** A decoded image as the engine takes it: HWC float32 RGB in [0, 1]. */
export interface UnitImage {
  width: number;
  height: number;
  /** width * height * 3 values in [0, 1], row-major, RGB interleaved. */
  data: Float32Array;
}

/** The numbers of one comparison, downloaded from the backend: no tensors survive a call. */
export interface PairResult {
  /** H*W float32 loss map, row-major. */
  map: Float32Array;
  /** The loss: mean(map) accumulated in float64, so the printed value does not depend on a backend's
   *  reduction order; for losses whose value is not the map's mean (vgg), the loss's own scalar. */
  mean: number;
  filtered?: { real: Float32Array; fake: Float32Array };
}

/** Runs one loss on one pair in the chosen range; every tensor it creates is disposed before it returns. */
/** `filtered: false` skips downloading the filtered maps (nothing will draw them). */
export function computePair(loss: LossDefinition, real: UnitImage, fake: UnitImage, range: Range, ctx?: LossContext, want = { filtered: true }): PairResult {
  if (real.width !== fake.width || real.height !== fake.height) {
    throw new Error(`real is ${real.width}x${real.height} but fake is ${fake.width}x${fake.height}`);
  }
  const shape: [number, number, number] = [real.height, real.width, 3];
  const tensors = tf.tidy(() => {
    const r = toRange(tf.tensor3d(real.data, shape, 'float32'), range);
    const f = toRange(tf.tensor3d(fake.data, shape, 'float32'), range);
    const res = loss.compute(r, f, ctx);
    return { map: res.map, filtered: res.filtered && want.filtered ? [res.filtered.real, res.filtered.fake] : [], terms: res.terms ?? [] };
  });
  try {
    const map = tensors.map.dataSync() as Float32Array;
    const [fr, ff] = tensors.filtered.map((t) => t.dataSync() as Float32Array);
    // loss = mean(map), or sum_i mean(term_i) when the loss gives terms; both accumulated in float64.
    const mean = tensors.terms.length ? tensors.terms.reduce((s, t) => s + mean64(t.dataSync() as Float32Array), 0) : mean64(map);
    return { map, mean, filtered: fr && ff ? { real: fr, fake: ff } : undefined };
  } finally {
    tf.dispose([tensors.map, ...tensors.filtered, ...tensors.terms]);
  }
}

export function mean64(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}
