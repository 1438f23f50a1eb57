import { tf } from '../tf.js';
import type { Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import type { Range } from '../model.js';
import { checkPair, layeredResult, rgb4d, tidyLoss } from './common.js';
import type { LpipsWeights } from './lpips-types.js';
import {
  LPIPS_CHANNELS,
  LPIPS_SCALE,
  LPIPS_SHIFT,
  TRUNK_CONVS,
  TRUNK_NAMES,
  TRUNK_PLAN,
  type LpipsNet,
} from './trunk-layout.js';
import type { TorchConv } from './vgg-layout.js';
import type { Image, LossContext, LossDefinition, LossResult } from './types.js';

/**
 * LPIPS v0.1 (Zhang et al. 2018) as the lpips package computes it, net 'alex' (lpips) or 'vgg' (lpips-vgg):
 *   x' = (x - shift) / scale            ScalingLayer, x in [-1, 1] (unit images are mapped by 2x - 1 first)
 *   f_l = trunk tap l of x' (l = 1..5)   torchvision AlexNet / VGG16 features, ReLU outputs (trunk-layout.ts)
 *   n_l = f_l / (||f_l||_channels + 1e-10)
 *   d_l = sum_c w_lc (n_l(real) - n_l(fake))^2   the 1x1 linear layer lin_l (no bias) on the squared
 * difference
 *   LPIPS = sum_l mean_{h,w} d_l;  spatial map = sum_l bilinear(d_l -> H x W), align_corners=False.
 * Since lpips' linear weights are non-negative, d_l = sum_c (a_l(real) - a_l(fake))^2 with a_l = sqrt(w_l)
 * n_l: lpipsFeatures gives a_l per image (so real and fake can be embedded on two threads) and lpipsCompare
 * needs no weights. Shapes: images [H,W,C] or [N,H,W,C] (C >= 3); features [N, h_l, w_l, C_l]; map [H,W] or
 * [N,H,W].
 */

export type { LpipsWeights } from './lpips-types.js';

/** tfjs tensors from the trunk's convs (PyTorch layout) and the five linear layers' weights ([C_l] each). */
export function lpipsWeights(net: LpipsNet, convs: TorchConv[], lins: Float32Array[]): LpipsWeights {
  const map = new Map<number, { kernel: Tensor4D; bias: Tensor1D; stride: number; pad: number }>();
  for (const spec of TRUNK_CONVS[net]) {
    const c = convs.find((x) => x.index === spec.index);
    if (!c) throw new Error(`${TRUNK_NAMES[net]} conv features.${spec.index} missing`);
    const kernel = tf.tidy(
      () =>
        tf.transpose(tf.tensor4d(c.weight, [spec.cout, spec.cin, spec.k, spec.k]), [2, 3, 1, 0]) as Tensor4D,
    );
    map.set(spec.index, { kernel, bias: tf.tensor1d(c.bias), stride: spec.stride, pad: spec.pad });
  }
  const sqrtLins = LPIPS_CHANNELS[net].map((ch, l) => {
    const w = lins[l] as Float32Array | undefined;
    if (!w || w.length !== ch) throw new Error(`LPIPS ${net} lin${l} needs ${ch} weights`);
    if (w.some((v) => v < 0))
      throw new Error(`LPIPS ${net} lin${l} has a negative weight (lpips trains them non-negative)`);
    return tf.tensor1d(w.map(Math.sqrt));
  });
  const dispose = () => {
    map.forEach((c) => tf.dispose([c.kernel, c.bias]));
    tf.dispose(sqrtLins);
  };
  return { net, convs: map, sqrtLins, dispose };
}

function step(x: Tensor4D, s: (typeof TRUNK_PLAN)['alex'][number], w: LpipsWeights): Tensor4D {
  if (s === 'tap') return x;
  if ('pool' in s) return tf.maxPool(x, s.pool.size, s.pool.stride, 'valid');
  const c = w.convs.get(s.conv)!;
  const p = c.pad;
  return tf.relu(
    tf.add(
      tf.conv2d(x, c.kernel, c.stride, [
        [0, 0],
        [p, p],
        [p, p],
        [0, 0],
      ]),
      c.bias,
    ),
  ) as Tensor4D;
}

/** a_l = sqrt(w_l) * n_l for the five taps of x (in `range`); the caller owns them. */
export function lpipsFeatures(x: Image, weights: LpipsWeights, range: Range): Tensor4D[] {
  let t = tf.tidy(() => {
    const v = rgb4d(x);
    const signed = range === 'unit' ? tf.sub(tf.mul(v, 2), 1) : v;
    return tf.div(
      tf.sub(signed, tf.tensor1d(LPIPS_SHIFT as unknown as number[])),
      tf.tensor1d(LPIPS_SCALE as unknown as number[]),
    ) as Tensor4D;
  });
  const taps: Tensor4D[] = [];
  for (const s of TRUNK_PLAN[weights.net]) {
    if (s === 'tap') {
      const l = taps.length;
      taps.push(
        tf.tidy(
          () =>
            tf.mul(
              tf.div(t, tf.add(tf.sqrt(tf.sum(tf.square(t), 3, true)), 1e-10)),
              weights.sqrtLins[l],
            ) as Tensor4D,
        ),
      );
      continue;
    }
    const next = tf.tidy(() => step(t, s, weights));
    t.dispose();
    t = next;
  }
  t.dispose();
  return taps;
}

/**
 * LPIPS from both images' lpipsFeatures, for an input of h x w: terms = d_l ([h_l, w_l] or [N, h_l, w_l];
 * their means add up to LPIPS), map = sum_l d_l resized bilinearly (half-pixel centres, as
 * align_corners=False; withMap false: a scalar placeholder), mean = value = LPIPS (the mean over a batch).
 */
export function lpipsCompare(
  realFeatures: Tensor4D[],
  fakeFeatures: Tensor4D[],
  h: number,
  w: number,
  single: boolean,
  withMap = true,
): LossResult {
  const d = realFeatures.map(
    (r, i) => tf.tidy(() => tf.sum(tf.squaredDifference(r, fakeFeatures[i]), 3, true)) as Tensor4D,
  );
  return layeredResult(d, h, w, single, withMap, (t, size) => tf.image.resizeBilinear(t, size, false, true));
}

/** LPIPS of two images in `range` (see the top of this file). */
export const lpips = tidyLoss(function lpips(
  real: Image,
  fake: Image,
  weights: LpipsWeights,
  range: Range,
): LossResult {
  const single = checkPair(real, fake);
  const [h, w] = real.rank === 3 ? real.shape : real.shape.slice(1, 3);
  const rf = lpipsFeatures(real, weights, range);
  const ff = lpipsFeatures(fake, weights, range);
  try {
    return lpipsCompare(rf, ff, h, w, single);
  } finally {
    tf.dispose([...rf, ...ff]);
  }
});

function definition(net: LpipsNet): LossDefinition {
  const key = net === 'alex' ? 'lpips-alex' : 'lpips-vgg';
  const name = net === 'alex' ? 'lpips' : 'lpips-vgg';
  const weightsOf = (ctx?: LossContext): LpipsWeights => {
    const wts = ctx?.[key];
    if (!wts) throw new Error(`the ${name} metric needs LPIPS ${TRUNK_NAMES[net]} weights (ctx['${key}'])`);
    return wts;
  };
  return {
    name,
    title: net === 'alex' ? 'LPIPS' : 'LPIPS-VGG',
    requires: key,
    compute: (real, fake, ctx) => lpips(real, fake, weightsOf(ctx), rangeOf(ctx, name)),
    embed: (x, ctx) => lpipsFeatures(x, weightsOf(ctx), rangeOf(ctx, name)),
    compareEmbeddings: lpipsCompare,
  };
}

/** LPIPS always sees [-1, 1]: the range the engine's images are in, from their data range L (2: signed). */
function rangeOf(ctx: LossContext | undefined, _name: string): Range {
  return ctx?.dataRange === 2 ? 'signed' : 'unit';
}

export const lpipsAlexLoss = definition('alex');
export const lpipsVggLoss = definition('vgg');
