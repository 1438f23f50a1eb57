/**
 * VGG19's layer layout as torchvision stores it: plain data, no TensorFlow.js, so that the weights reader
 * (src/io/weights/vgg19.ts) can check a file without loading tfjs.
 */

/** The conv layers NectarGAN's three blocks use: torchvision `features` index, in and out channels. */
export const VGG19_CONVS = [
  { index: 0, cin: 3, cout: 64 },
  { index: 2, cin: 64, cout: 64 },
  { index: 5, cin: 64, cout: 128 },
  { index: 7, cin: 128, cout: 128 },
  { index: 10, cin: 128, cout: 256 },
  { index: 12, cin: 256, cout: 256 },
  { index: 14, cin: 256, cout: 256 },
] as const;

/**
 * Indices of every conv in torchvision's VGG19 `features` (configuration E), to tell VGG19 from VGG11/13/16.
 */
export const VGG19_ALL_CONV_INDICES = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34];

/** One conv's parameters as PyTorch stores them: weight [out, in, 3, 3] row-major, bias [out]. */
export interface TorchConv {
  index: number;
  weight: Float32Array;
  bias: Float32Array;
}
