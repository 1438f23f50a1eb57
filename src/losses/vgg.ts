import { tf } from '../tf.js';
import type { Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import { checkPair, layeredResult, rgb4d, tidyLoss } from './common.js';
import type { Image, LossContext, LossDefinition, LossResult, Vgg19Weights } from './types.js';
import { VGG19_CONVS, type TorchConv } from './vgg-layout.js';

/**
 * VGG19 perceptual loss, NectarGAN's VGGPerceptual: torchvision's vgg19 `features` (configuration E: 3x3
 * convs with padding 1, each followed by ReLU; 2x2 max-pool, stride 2, floor on odd sizes) cut into
 *   B1 = features[0:4]  conv1_1 relu conv1_2 relu
 *   B2 = features[4:9]  pool conv2_1 relu conv2_2 relu
 *   B3 = features[9:16] pool conv3_1 relu conv3_2 relu conv3_3 relu
 * real and fake each pass through B1, B2, B3 in turn; loss = sum_i mean|B_i(fake) - B_i(real)| with layer
 * weights 1, 1, 1. No ImageNet mean/std normalisation: NectarGAN feeds its [-1, 1] tensors directly.
 */

export { VGG19_ALL_CONV_INDICES, VGG19_CONVS, type TorchConv } from './vgg-layout.js';
export type { Vgg19Weights } from './types.js';

export function vgg19Weights(convs: TorchConv[]): Vgg19Weights {
  const list = VGG19_CONVS.map((spec) => {
    const c = convs.find((x) => x.index === spec.index);
    if (!c) throw new Error(`VGG19 conv features.${spec.index} missing`);
    return tf.tidy(() => ({
      kernel: tf.transpose(tf.tensor4d(c.weight, [spec.cout, spec.cin, 3, 3]), [2, 3, 1, 0]) as Tensor4D,
      bias: tf.tensor1d(c.bias),
    }));
  });
  return { convs: list, dispose: () => list.forEach((c) => tf.dispose([c.kernel, c.bias])) };
}

/** conv 3x3, padding 1, + bias, ReLU; each layer in its own tidy so only its output outlives it. */
const conv = (x: Tensor4D, c: { kernel: Tensor4D; bias: Tensor1D }) =>
  tf.tidy(() => tf.relu(tf.add(tf.conv2d(x, c.kernel, 1, 'same'), c.bias)) as Tensor4D);
/** MaxPool2d(2, 2): floor on odd sizes, as 'valid' padding does. */
const pool = (x: Tensor4D) => tf.maxPool(x, 2, 2, 'valid');

/** B1, B2, B3, each mapping the previous block's output to its own; intermediates are freed as it goes. */
function blocks(w: Vgg19Weights): ((x: Tensor4D) => Tensor4D)[] {
  const [c11, c12, c21, c22, c31, c32, c33] = w.convs;
  const chain = (x: Tensor4D, ...steps: ((t: Tensor4D) => Tensor4D)[]) =>
    steps.reduce((t, step) => {
      const next = step(t);
      if (t !== x) t.dispose();
      return next;
    }, x);
  return [
    (x) =>
      chain(
        x,
        (t) => conv(t, c11),
        (t) => conv(t, c12),
      ),
    (x) =>
      chain(
        x,
        pool,
        (t) => conv(t, c21),
        (t) => conv(t, c22),
      ),
    (x) =>
      chain(
        x,
        pool,
        (t) => conv(t, c31),
        (t) => conv(t, c32),
        (t) => conv(t, c33),
      ),
  ];
}

/** The three block outputs of one image (or batch): B1(x), B2(B1(x)), B3(B2(B1(x))). The caller owns them. */
export function vggFeatures(x: Image, weights: Vgg19Weights): Tensor4D[] {
  const out: Tensor4D[] = [];
  let t = rgb4d(x);
  for (const block of blocks(weights)) {
    const next = block(t);
    if (t !== x && !out.includes(t)) t.dispose();
    out.push(next);
    t = next;
  }
  return out;
}

/**
 * The loss from both images' block outputs (shapes [N, h_i, w_i, C_i]), for an input of size h x w.
 * Per-pixel map: for each block the channel mean of |B_i(fake) - B_i(real)| at that block's resolution
 * (these are the `terms`: mean(term_i) = mean|B_i(fake) - B_i(real)|), enlarged to the input size by nearest
 * neighbour (F.interpolate's 'nearest': source = floor(dst * in / out)) and summed over blocks.
 * `mean` is the loss, sum_i mean(term_i); for odd sizes it differs slightly from mean(map). withMap false:
 * `map` is a scalar placeholder.
 */
export function vggCompare(
  realFeatures: Tensor4D[],
  fakeFeatures: Tensor4D[],
  h: number,
  w: number,
  single: boolean,
  withMap = true,
): LossResult {
  const terms = realFeatures.map(
    (r, i) => tf.tidy(() => tf.mean(tf.abs(tf.sub(fakeFeatures[i], r)), 3, true)) as Tensor4D,
  );
  return layeredResult(terms, h, w, single, withMap, (t, size) =>
    tf.image.resizeNearestNeighbor(t, size, false, false),
  );
}

/** NectarGAN's VGGPerceptual on two images (see the top of this file). */
export const vgg = tidyLoss(function vgg(real: Image, fake: Image, weights: Vgg19Weights): LossResult {
  const single = checkPair(real, fake);
  const [h, w] = real.rank === 3 ? real.shape : real.shape.slice(1, 3);
  const rf = vggFeatures(real, weights);
  const ff = vggFeatures(fake, weights);
  try {
    return vggCompare(rf, ff, h, w, single);
  } finally {
    tf.dispose([...rf, ...ff]);
  }
});

function weightsOf(ctx?: LossContext): Vgg19Weights {
  if (!ctx?.vgg19) throw new Error('the vgg loss needs VGG19 weights (ctx.vgg19)');
  return ctx.vgg19;
}

export const vggLoss: LossDefinition = {
  name: 'vgg',
  title: 'VGG',
  requires: 'vgg19',
  compute: (real, fake, ctx) => vgg(real, fake, weightsOf(ctx)),
  embed: (x, ctx) => vggFeatures(x, weightsOf(ctx)),
  compareEmbeddings: vggCompare,
};
