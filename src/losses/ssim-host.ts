import { tf } from '../tf.js';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import type { RawImage } from '../model.js';
import { copyOut, hostKernel, hostKernelsActive, MAX_KERNEL_BYTES } from './host.js';
import { sampleBytes } from './wasm.js';

export { setHostKernels } from './host.js';

/**
 * SSIM's map computed by a WebAssembly SIMD kernel (asm/ssim-map.ts, built to dist/asm/ssim-map.wasm) on the
 * backends whose tensors live in host memory (wasm, cpu, tensorflow), instead of tfjs ops: the same float32
 * formula, ~17x faster than five 11-tap depthwise convolutions on tfjs-wasm (1024² RGB: ~35 ms vs ~600 ms).
 * A GPU backend keeps its tensors on the device and uses the ops (src/losses/ssim.ts).
 */

interface SsimKernel {
  scratchFloats(width: number): number;
  ssimMeanMap(
    x: number,
    y: number,
    c: number,
    w: number,
    h: number,
    out: number,
    taps: number,
    scratch: number,
    c1: number,
    c2: number,
  ): void;
}

/** Byte offsets of one image's x, y, out, taps and scratch in the kernel's memory, and the bytes in all. */
function layout(h: number, w: number, c: number, scratchFloats: number) {
  const image = h * w * c * 4,
    map = h * w * 4;
  const x = 0,
    y = image,
    out = 2 * image,
    taps = out + map,
    scratch = taps + 32;
  return { x, y, out, taps, scratch, bytes: scratch + scratchFloats * 4 };
}

/**
 * The mean over channels of the SSIM map S [N,H,W,1] of x, y [N,H,W,C] (S as ssimMap in ssim.ts: `taps` the
 * Gaussian window, 11 taps, C1 = c1, C2 = c2), or undefined where the kernel does not apply (a device
 * backend, a side under 5 px, an image over 2 GiB of kernel memory, or inside tf.grad: the kernel has no
 * gradient, the ops do): then the caller computes it with tfjs ops.
 */
export function hostSsimMeanMap(
  x: Tensor4D,
  y: Tensor4D,
  taps: readonly number[],
  c1: number,
  c2: number,
): Tensor4D | undefined {
  const [n, h, w, c] = x.shape;
  if (!hostKernelsActive() || taps.length !== 11 || h < 5 || w < 5) return undefined;
  const at = layout(h, w, c, hostKernel<SsimKernel>('ssim-map', 0).exports.scratchFloats(w));
  if (at.bytes > MAX_KERNEL_BYTES) return undefined;
  const { exports: k, memory } = hostKernel<SsimKernel>('ssim-map', at.bytes);
  const heap = new Float32Array(memory.buffer);
  heap.set(taps.slice(5), at.taps / 4); // (rounded to float32 as stored) centre tap first: g[5], g[6], ..., g[10]
  const [xs, ys] = [x.dataSync() as Float32Array, y.dataSync() as Float32Array];
  const len = h * w * c,
    out = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) {
    heap.set(xs.subarray(i * len, (i + 1) * len), at.x / 4);
    heap.set(ys.subarray(i * len, (i + 1) * len), at.y / 4);
    heap.fill(0, at.out / 4, at.out / 4 + h * w);
    k.ssimMeanMap(at.x, at.y, c, w, h, at.out, at.taps, at.scratch, c1, c2);
    out.set(heap.subarray(at.out / 4, at.out / 4 + h * w), i * h * w);
  }
  return tf.tensor4d(out, [n, h, w, 1]);
}

/** The kernel's two helpers for images given as stored samples. */
interface SamplesKernel extends SsimKernel {
  samplesToFloats(src: number, bytes: number, n: number, max: number, signed: boolean, dst: number): void;
  oneMinus(src: number, n: number, dst: number): void;
}

/**
 * 1 - the kernel's channel-mean S for two whole RGB images given as stored samples (x = v / max, the
 * signed range 2x - 1, each rounded to float32 as the upload's ops round it; in the kernel), with no
 * tensor made: the map ssim.ts gives on the same images, bit for bit. Undefined where it does not apply.
 */
export function hostSsimSamples(
  real: RawImage,
  fake: RawImage,
  signed: boolean,
  taps: readonly number[],
  c1: number,
  c2: number,
): Float32Array | undefined {
  const { width: w, height: h } = real;
  const bytes = real.samples.BYTES_PER_ELEMENT;
  if (!hostKernelsActive('pointwise') || taps.length !== 11 || h < 5 || w < 5) return undefined;
  if (fake.samples.BYTES_PER_ELEMENT !== bytes) return undefined;
  const at = layout(h, w, 3, hostKernel<SamplesKernel>('ssim-map', 0).exports.scratchFloats(w));
  // The samples wait in the scratch area (grown to hold them) until they are converted.
  const n = h * w * 3,
    raw = Math.max(at.bytes, at.scratch + 2 * n * bytes);
  if (raw > MAX_KERNEL_BYTES) return undefined;
  const { exports: k, memory } = hostKernel<SamplesKernel>('ssim-map', raw);
  const heap = new Float32Array(memory.buffer);
  const u8 = new Uint8Array(memory.buffer);
  heap.set(taps.slice(5), at.taps / 4);
  u8.set(sampleBytes(real.samples), at.scratch);
  u8.set(sampleBytes(fake.samples), at.scratch + n * bytes);
  k.samplesToFloats(at.scratch, bytes, n, real.max, signed, at.x);
  k.samplesToFloats(at.scratch + n * bytes, bytes, n, real.max, signed, at.y);
  heap.fill(0, at.out / 4, at.out / 4 + h * w);
  k.ssimMeanMap(at.x, at.y, 3, w, h, at.out, at.taps, at.scratch, c1, c2);
  k.oneMinus(at.out, h * w, at.out);
  return copyOut(memory, at.out, h * w);
}
