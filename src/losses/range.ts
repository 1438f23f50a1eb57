import * as tf from '@tensorflow/tfjs-core';

/**
 * unit:   x = stored / max (255, or 65535 for 16-bit), the docs figures' "normalized (0, 1)".
 * signed: x = 2 * unit - 1, the [-1, 1] tensors NectarGAN trains on,
 *         so the loss equals what NectarGAN's loss module returns during training.
 */
export type Range = 'unit' | 'signed';
export const RANGES: readonly Range[] = ['unit', 'signed'];

export function toRange<T extends tf.Tensor>(unit: T, range: Range): T {
  return range === 'unit' ? unit : (tf.sub(tf.mul(unit, 2), 1) as T);
}
