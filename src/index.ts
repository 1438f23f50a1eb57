/**
 * nectar-loss as a library: NectarGAN's losses as differentiable TensorFlow.js functions.
 *
 *   import * as tf from '@tensorflow/tfjs-core';
 *   import { sobel } from 'nectar-loss';
 *   const { map, mean } = sobel(real, fake);        // real, fake: float32 [H,W,3] or [N,H,W,3]
 *   const g = tf.grad((f) => sobel(real, f as tf.Tensor3D).mean)(fake);
 *
 * Every function returns new tensors that the caller disposes (or wraps the call in tf.tidy). The filter
 * losses keep their small kernel tensors between calls; releaseKernels() frees them.
 */
export { sobel } from './losses/sobel.js';
export { laplacian } from './losses/laplacian.js';
export { l1 } from './losses/l1.js';
export { l2 } from './losses/l2.js';
export { vgg, vgg19Weights, VGG19_CONVS } from './losses/vgg.js';
export { ssim } from './losses/ssim.js';
export { msSsim } from './losses/ms-ssim.js';
export { psnr } from './losses/psnr.js';
export { flip } from './losses/flip.js';
export { DEFAULT_PPD, viewingPpd } from './model.js';
export { lpips, lpipsWeights, lpipsFeatures, lpipsCompare } from './losses/lpips.js';
export type { LpipsWeights } from './losses/lpips.js';
export { loadTrunk, loadLpipsLinear, shippedLpipsLinear } from './io/weights/trunks.js';
export { shiftTolerant } from './losses/shift.js';
export type { Vgg19Weights, TorchConv } from './losses/vgg.js';
export { loadVgg19, locateVgg19, torchCheckpointDir } from './io/weights/vgg19.js';
export { openCheckpoint } from './io/weights/checkpoint.js';
export { LOSS_NAMES, loadLoss, loadLosses } from './losses/registry.js';
export { RANGES } from './losses/range.js';
export { toRange } from './losses/common.js';
export { releaseKernels } from './losses/kernels.js';
export type { Range } from './losses/range.js';
export type { Image, LossContext, LossDefinition, LossResult } from './losses/types.js';
export { useBackend, probeBackends, BACKEND_NAMES } from './engine/backend.js';
export type { BackendName, BackendProbe } from './engine/backend.js';
export { decodeImage } from './io/decode.js';
export type { DecodedImage, RawImage } from './model.js';
export { compareImages, disposeEngine } from './engine/session.js';
export type {
  Bounds,
  CompareImagesOptions,
  GateVerdict,
  ImageComparison,
  ImageInput,
} from './engine/session.js';
export type { MapStats, Rect } from './model.js';
export { UserError, SizeMismatchError, USER_ERROR_CODES } from './errors.js';
export type { UserErrorCode } from './errors.js';
