/**
 * unit:   x = stored / max (255, or 65535 for 16-bit), the docs figures' "normalized (0, 1)".
 * signed: x = 2 * unit - 1, the [-1, 1] tensors NectarGAN trains on,
 *         so the loss equals what NectarGAN's loss module returns during training.
 */
export type Range = 'unit' | 'signed';
export const RANGES: readonly Range[] = ['unit', 'signed'];
