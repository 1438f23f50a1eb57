import { tf } from '../tf.js';
import type { Tensor1D, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import {
  BN_EPS,
  INCEPTION_CONVS,
  convsFor,
  type FidDims,
  type InceptionConv,
  type TorchBasicConv,
} from './inception-layout.js';

/**
 * pytorch-fid 0.3.0's InceptionV3 feature extractor in TensorFlow.js (NHWC):
 *   x in [0, 1] -> bilinear resize to 299x299 (align_corners=False: src = (dst + 0.5) in/out - 0.5, clamped)
 *   -> 2x - 1 -> blocks; --dims 64: Conv2d_1a/2a/2b + maxpool(3, 2); 192: + Conv2d_3b/4a + maxpool(3, 2);
 *   768: + Mixed_5b..6e; 2048: + Mixed_7a..7c; the block's output averaged over space (adaptive_avg_pool2d
 *   to 1x1, as get_activations does for every dims).
 * BasicConv2d = ReLU(BN(conv(x))) with BN in eval mode is folded into one conv with bias (and the ReLU fused):
 *   s = gamma / sqrt(running_var + 0.001), kernel' = kernel s, bias' = beta - running_mean s.
 * Pools inside blocks: FIDInceptionA/C/E_1 average 3x3 stride 1 pad 1 without counting the padding
 * (count_include_pad=False, TensorFlow's 'same'); FIDInceptionE_2 max-pools 3x3 stride 1 pad 1.
 */

export interface FoldedConv {
  spec: InceptionConv;
  kernel: Tensor4D;
  bias: Tensor1D;
}

export interface InceptionWeights {
  dims: FidDims;
  convs: Map<string, FoldedConv>;
  dispose(): void;
}

/** Folds one BasicConv2d's batch norm into its conv (float64 arithmetic, rounded once to float32). */
export function foldConv(
  spec: InceptionConv,
  t: TorchBasicConv,
): { kernel: Float32Array; bias: Float32Array } {
  const per = spec.cin * spec.kh * spec.kw;
  const kernel = new Float32Array(t.weight.length);
  const bias = new Float32Array(spec.cout);
  for (let o = 0; o < spec.cout; o++) {
    const s = t.gamma[o] / Math.sqrt(t.variance[o] + BN_EPS);
    bias[o] = t.beta[o] - t.mean[o] * s;
    for (let i = o * per; i < (o + 1) * per; i++) kernel[i] = t.weight[i] * s;
  }
  return { kernel, bias };
}

/** Device tensors of the convs `dims` needs, from the state_dict's BasicConv2d parameters. */
export function inceptionWeights(convs: TorchBasicConv[], dims: FidDims): InceptionWeights {
  const byName = new Map(convs.map((x) => [x.name, x]));
  const map = new Map<string, FoldedConv>();
  for (const spec of convsFor(dims)) {
    const t = byName.get(spec.name);
    if (!t) throw new Error(`Inception conv ${spec.name} missing`);
    const { kernel, bias } = foldConv(spec, t);
    const k = tf.tidy(
      () =>
        tf.transpose(tf.tensor4d(kernel, [spec.cout, spec.cin, spec.kh, spec.kw]), [2, 3, 1, 0]) as Tensor4D,
    );
    map.set(spec.name, { spec, kernel: k, bias: tf.tensor1d(bias) });
  }
  return {
    dims,
    convs: map,
    dispose: () => map.forEach((c) => tf.dispose([c.kernel, c.bias])),
  };
}

type Conv = (x: Tensor4D, name: string) => Tensor4D;

function convOf(w: InceptionWeights): Conv {
  return (x, name) => {
    const c = w.convs.get(name);
    if (!c) throw new Error(`Inception conv ${name} not loaded (dims ${w.dims})`);
    const { stride, ph, pw } = c.spec;
    const pad: 'valid' | [[number, number], [number, number], [number, number], [number, number]] =
      ph || pw
        ? [
            [0, 0],
            [ph, ph],
            [pw, pw],
            [0, 0],
          ]
        : 'valid';
    // one fused op (XNNPACK's convolution with bias and a [0, inf) clamp on wasm) instead of three passes
    return tf.fused.conv2d({ x, filter: c.kernel, strides: stride, pad, bias: c.bias, activation: 'relu' });
  };
}

const cat = (xs: Tensor4D[]) => tf.concat4d(xs, 3);
const avg3 = (x: Tensor4D) => tf.avgPool(x, 3, 1, 'same');
const max3s2 = (x: Tensor4D) => tf.maxPool(x, 3, 2, 'valid');

function inceptionA(x: Tensor4D, m: string, conv: Conv): Tensor4D {
  const b1 = conv(x, `${m}.branch1x1`);
  const b5 = conv(conv(x, `${m}.branch5x5_1`), `${m}.branch5x5_2`);
  const b3 = conv(conv(conv(x, `${m}.branch3x3dbl_1`), `${m}.branch3x3dbl_2`), `${m}.branch3x3dbl_3`);
  return cat([b1, b5, b3, conv(avg3(x), `${m}.branch_pool`)]);
}

function inceptionB(x: Tensor4D, m: string, conv: Conv): Tensor4D {
  const b3 = conv(x, `${m}.branch3x3`);
  const bd = conv(conv(conv(x, `${m}.branch3x3dbl_1`), `${m}.branch3x3dbl_2`), `${m}.branch3x3dbl_3`);
  return cat([b3, bd, max3s2(x)]);
}

function inceptionC(x: Tensor4D, m: string, conv: Conv): Tensor4D {
  const chain = (t: Tensor4D, names: string[]) => names.reduce((a, n) => conv(a, `${m}.${n}`), t);
  const b1 = conv(x, `${m}.branch1x1`);
  const b7 = chain(x, ['branch7x7_1', 'branch7x7_2', 'branch7x7_3']);
  const bd = chain(
    x,
    [1, 2, 3, 4, 5].map((i) => `branch7x7dbl_${i}`),
  );
  return cat([b1, b7, bd, conv(avg3(x), `${m}.branch_pool`)]);
}

function inceptionD(x: Tensor4D, m: string, conv: Conv): Tensor4D {
  const b3 = conv(conv(x, `${m}.branch3x3_1`), `${m}.branch3x3_2`);
  const b7 = [1, 2, 3, 4].reduce((a, i) => conv(a, `${m}.branch7x7x3_${i}`), x);
  return cat([b3, b7, max3s2(x)]);
}

/** FIDInceptionE_1 (average pool) or FIDInceptionE_2 (max pool) on the pool branch. */
function inceptionE(x: Tensor4D, m: string, conv: Conv, maxPool: boolean): Tensor4D {
  const b1 = conv(x, `${m}.branch1x1`);
  const t3 = conv(x, `${m}.branch3x3_1`);
  const b3 = cat([conv(t3, `${m}.branch3x3_2a`), conv(t3, `${m}.branch3x3_2b`)]);
  const td = conv(conv(x, `${m}.branch3x3dbl_1`), `${m}.branch3x3dbl_2`);
  const bd = cat([conv(td, `${m}.branch3x3dbl_3a`), conv(td, `${m}.branch3x3dbl_3b`)]);
  const pooled = maxPool ? tf.maxPool(x, 3, 1, 'same') : avg3(x);
  return cat([b1, b3, bd, conv(pooled, `${m}.branch_pool`)]);
}

/** Runs `step` in its own tidy, so only its output outlives it, and frees `x` unless it is the input. */
function stage(x: Tensor4D, input: Tensor4D, step: (t: Tensor4D) => Tensor4D): Tensor4D {
  const y = tf.tidy(() => step(x));
  if (x !== input) x.dispose();
  return y;
}

/** The network's stages for `dims`, in order (each a tidy unit). */
function stages(w: InceptionWeights): ((x: Tensor4D) => Tensor4D)[] {
  const conv = convOf(w);
  const s: ((x: Tensor4D) => Tensor4D)[] = [
    (x) => max3s2(conv(conv(conv(x, 'Conv2d_1a_3x3'), 'Conv2d_2a_3x3'), 'Conv2d_2b_3x3')),
  ];
  if (w.dims >= 192) s.push((x) => max3s2(conv(conv(x, 'Conv2d_3b_1x1'), 'Conv2d_4a_3x3')));
  if (w.dims >= 768) {
    s.push(...['Mixed_5b', 'Mixed_5c', 'Mixed_5d'].map((m) => (x: Tensor4D) => inceptionA(x, m, conv)));
    s.push((x) => inceptionB(x, 'Mixed_6a', conv));
    s.push(...['6b', '6c', '6d', '6e'].map((m) => (x: Tensor4D) => inceptionC(x, `Mixed_${m}`, conv)));
  }
  if (w.dims >= 2048) {
    s.push((x) => inceptionD(x, 'Mixed_7a', conv));
    s.push((x) => inceptionE(x, 'Mixed_7b', conv, false));
    s.push((x) => inceptionE(x, 'Mixed_7c', conv, true));
  }
  return s;
}

/** The input side of the network: [N, h, w, 3] in [0, 1] -> [N, 299, 299, 3] in [-1, 1]. */
export function fidInput(x: Tensor4D): Tensor4D {
  return tf.tidy(() => {
    const r = tf.image.resizeBilinear(x, [299, 299], false, true);
    return tf.sub(tf.mul(r, 2), 1) as Tensor4D;
  });
}

/** Features [N, dims] of network inputs [N, 299, 299, 3] in [-1, 1]; `x` stays the caller's. */
export function inceptionTrunk(x: Tensor4D, w: InceptionWeights): Tensor2D {
  let t = x;
  for (const step of stages(w)) t = stage(t, x, step);
  const out = tf.tidy(() => tf.mean(t, [1, 2]) as Tensor2D);
  if (t !== x) t.dispose();
  return out;
}

/** Features [N, dims] of a batch of images in [0, 1] ([N, h, w, 3]); the caller owns the result. */
export function inceptionFeatures(x: Tensor4D, w: InceptionWeights): Tensor2D {
  const input = fidInput(x);
  try {
    return inceptionTrunk(input, w);
  } finally {
    input.dispose();
  }
}

export { INCEPTION_CONVS };
