import { tf } from '../tf.js';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { hostKernel, hostKernelsActive, MAX_KERNEL_BYTES } from './host.js';

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
