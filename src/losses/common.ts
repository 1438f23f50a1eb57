import { tf } from '../tf.js';
import type { Scalar, Tensor, Tensor2D, Tensor4D, TensorContainer } from '@tensorflow/tfjs-core';
import type { Image, LossResult } from './types.js';

/** [H,W,C] -> [1,H,W,3]; [N,H,W,C] -> [N,H,W,3]. Drops channels past the third. */
export function rgb4d(x: Image): Tensor4D {
  const b: Tensor4D = x.rank === 3 ? tf.expandDims(x, 0) : (x as Tensor4D);
  if (b.shape[3] < 3) throw new Error(`expected at least 3 channels, got ${b.shape[3]}`);
  return b.shape[3] === 3 ? b : tf.slice(b, [0, 0, 0, 0], [-1, -1, -1, 3]);
}

/**
 * A per-backend behaviour of the math, on or off by tfjs backend name: the engine's backend table sets it.
 */
export interface BackendSwitch {
  /** Registers whether `backend` has the behaviour (engine/backend.ts calls it from its traits). */
  set: (backend: string, on: boolean) => void;
  /** Whether the active tfjs backend has it. */
  active: () => boolean;
}

export function backendSwitch(): BackendSwitch {
  const on = new Set<string>();
  return {
    set: (backend, enabled) => void (enabled ? on.add(backend) : on.delete(backend)),
    active: () => on.has(tf.getBackend()),
  };
}

/**
 * Reductions over a few channels run as slices added one by one: tfjs-webgpu reduces with a workgroup per
 * output element, 2 s for the 3 channels of a 301x217 image on SwiftShader against 4 ms for an elementwise
 * op.
 */
const unrolled = backendSwitch();
export const setChannelUnrolling = unrolled.set;

/** Sum over the channel axis of [N,H,W,C], kept as [N,H,W,1]. */
export function channelSum(x: Tensor4D): Tensor4D {
  const c = x.shape[3];
  if (!unrolled.active() || c > 8) return tf.sum(x, 3, true);
  let s: Tensor4D = tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 1]);
  for (let i = 1; i < c; i++) s = tf.add(s, tf.slice(x, [0, 0, 0, i], [-1, -1, -1, 1]));
  return s;
}

/** Mean over the channel axis of [N,H,W,C], kept as [N,H,W,1]. */
export function channelMean(x: Tensor4D): Tensor4D {
  return unrolled.active() && x.shape[3] <= 8 ? tf.div(channelSum(x), x.shape[3]) : tf.mean(x, 3, true);
}

/**
 * NectarGAN KernelLoss.to_grayscale: gray(x) = mean over the 3 channels, keepdim -> [N,H,W,1]. A
 * one-channel image is already gray (the mean over one channel is itself): the engine computes gray once
 * per pair for the losses that read only gray(x) and hands them that.
 */
export function gray(x: Image): Tensor4D {
  const b: Tensor4D = x.rank === 3 ? tf.expandDims(x, 0) : (x as Tensor4D);
  return b.shape[3] === 1 ? b : channelMean(rgb4d(b));
}

/** The most terms one float32 sum adds up in blockSum. */
const BLOCK = 32;

/**
 * Sum along `axis` with no float32 accumulation over more than 32 terms: the axis is cut into blocks of 32
 * (the last one padded with zeros), each block summed, then the block sums summed the same way. A plain
 * tf.sum on a backend that accumulates in float32 (tfjs-wasm: one running sum per output) adds a quarter
 * of a million terms for a 512x512 plane: once the running sum is large, each addition rounds by up to half
 * its ulp, in the same direction when the terms are alike (an SSIM map near 1), which cost MS-SSIM 1e-4.
 * In blocks the error stays near float32's own (issue 20); tfjs-cpu, which accumulates in float64, agrees.
 */
export function blockSum(x: Tensor, axis: number): Tensor {
  const n = x.shape[axis]!;
  if (n <= BLOCK) return tf.sum(x, axis);
  const blocks = Math.ceil(n / BLOCK);
  const padding = x.shape.map((_, i): [number, number] => [0, i === axis ? blocks * BLOCK - n : 0]);
  const shape = [...x.shape.slice(0, axis), blocks, BLOCK, ...x.shape.slice(axis + 1)];
  return blockSum(tf.sum(tf.reshape(tf.pad(x, padding), shape), axis + 1), axis);
}

/** The mean of all of x's elements, summed in blocks (blockSum). */
export function planeMean(x: Tensor): Scalar {
  return tf.div(blockSum(tf.reshape(x, [-1]), 0), x.size);
}

/** Per image and channel, the mean over the plane of x [N,H,W,C] -> [N,C], summed in blocks (blockSum). */
export function meanHW(x: Tensor4D): Tensor2D {
  const [, h, w] = x.shape;
  return tf.div(blockSum(blockSum(x, 1), 1), h * w);
}

/** Drops the channel axis of an [N,H,W,1] map, and the batch axis too when the inputs were single images. */
export function toMap(x: Tensor4D, single: boolean): Tensor {
  const m = tf.squeeze(x, [3]);
  return single ? tf.squeeze(m, [0]) : m;
}

/**
 * A layered two-stage loss's result (vgg, lpips) from its per-layer maps d_l [N, h_l, w_l, 1], which it
 * disposes: terms = each d_l as a map (toMap), mean = sum_l mean(d_l), map = sum_l resize(d_l) to h x w
 * (withMap false: a scalar placeholder, for a caller that wants only the value).
 */
export function layeredResult(
  d: Tensor4D[],
  h: number,
  w: number,
  single: boolean,
  withMap: boolean,
  resize: (t: Tensor4D, size: [number, number]) => Tensor4D,
): LossResult {
  const map = !withMap
    ? tf.scalar(0)
    : tf.tidy(() => toMap(tf.addN(d.map((t) => resize(t, [h, w]))), single));
  const mean = tf.tidy(() => tf.addN(d.map((t) => planeMean(t))) as Scalar);
  const terms = d.map((t) => toMap(t, single));
  tf.dispose(d);
  return { map, mean, terms };
}

export function checkPair(real: Image, fake: Image): boolean {
  const a: readonly number[] = real.shape,
    b: readonly number[] = fake.shape;
  if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
    throw new Error(`real and fake differ in shape: [${a.join(',')}] vs [${b.join(',')}]`);
  }
  if (a.length !== 3 && a.length !== 4)
    throw new Error(`expected [H,W,C] or [N,H,W,C] images, got rank ${a.length}`);
  return a.length === 3;
}

/** unit -> the chosen range (see range.ts): signed = 2 * unit - 1. */
export function toRange<T extends Tensor>(unit: T, range: 'unit' | 'signed'): T {
  return range === 'unit' ? unit : (tf.sub(tf.mul(unit, 2), 1) as T);
}

/**
 * Wraps a loss so that only the tensors it returns survive: library callers dispose the result and need no
 * tf.tidy of their own. (Inside tf.grad, tensors needed for the backward pass are kept by the tape.)
 */
export function tidyLoss<A extends unknown[]>(f: (...args: A) => LossResult): (...args: A) => LossResult {
  return (...args) => tf.tidy(() => f(...args) as unknown as TensorContainer) as unknown as LossResult;
}
