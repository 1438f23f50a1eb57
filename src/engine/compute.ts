import * as tf from '@tensorflow/tfjs-core';
import type { LossDefinition } from '../losses/types.js';
import { toRange, type Range } from '../losses/range.js';

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
  /** mean(map), accumulated in float64 so the printed value does not depend on a backend's reduction order. */
  mean: number;
  filtered?: { real: Float32Array; fake: Float32Array };
}

/** Runs one loss on one pair in the chosen range; every tensor it creates is disposed before it returns. */
export function computePair(loss: LossDefinition, real: UnitImage, fake: UnitImage, range: Range): PairResult {
  if (real.width !== fake.width || real.height !== fake.height) {
    throw new Error(`real is ${real.width}x${real.height} but fake is ${fake.width}x${fake.height}`);
  }
  const shape: [number, number, number] = [real.height, real.width, 3];
  const tensors = tf.tidy(() => {
    const r = toRange(tf.tensor3d(real.data, shape, 'float32'), range);
    const f = toRange(tf.tensor3d(fake.data, shape, 'float32'), range);
    const res = loss.compute(r, f);
    return res.filtered ? [res.map, res.filtered.real, res.filtered.fake] : [res.map];
  });
  try {
    const [map, fr, ff] = tensors.map((t) => t.dataSync() as Float32Array);
    return { map: map!, mean: mean64(map!), filtered: fr && ff ? { real: fr, fake: ff } : undefined };
  } finally {
    tf.dispose(tensors);
  }
}

export function mean64(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}
