import type * as tf from '@tensorflow/tfjs-core';
import type { LpipsNet } from './trunk-layout.js';

/**
 * One LPIPS network as tfjs tensors: the trunk's convs by torchvision `features` index (kernels [k, k, in,
 * out], transposed from PyTorch's [out, in, k, k]) and the square roots of the five 1x1 linear layers'
 * weights ([C_l] each; lpips trains them non-negative, and the loader refuses negative ones).
 */
export interface LpipsWeights {
  net: LpipsNet;
  convs: Map<number, { kernel: tf.Tensor4D; bias: tf.Tensor1D; stride: number; pad: number }>;
  sqrtLins: tf.Tensor1D[];
  dispose(): void;
}
