import { tf } from '../tf.js';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import type { RawImage, Range } from '../model.js';
import { copyOut, hostKernel, hostKernelsActive, MAX_KERNEL_BYTES } from './host.js';
import { sampleBytes } from './wasm.js';

/**
 * The per-pixel maps of l1 and l2 and the shift-tolerant map of every per-pixel loss, computed by a
 * WebAssembly SIMD kernel (asm/shift-min.ts) in one pass, instead of tfjs ops over (2k + 1)² shifted copies:
 * the same float32 operations in the same order, so the same map, bit for bit, as the ops on tfjs-wasm (the
 * backends the engine's `pointwiseKernels` trait names).
 */

interface ShiftKernel {
  scratchFloats(width: number, height: number, channels: number, k: number): number;
  shiftMin(
    r: number,
    f: number,
    c: number,
    w: number,
    h: number,
    k: number,
    square: boolean,
    out: number,
    scratch: number,
  ): void;
}

/**
 * min over offsets d up to k of mean_c |F(p + d) - R(p)|^power, [N,H,W,1], for R = `real`, F = `fake`
 * [N,H,W,C] (k = 0: the plain channel mean of |fake - real|^power); undefined where the kernel does not
 * apply (a backend whose ops it does not reproduce exactly, inside tf.grad, over 2 GiB of kernel memory): the caller then uses tfjs ops.
 */
export function hostShiftMin(real: Tensor4D, fake: Tensor4D, k: number, power: 1 | 2): Tensor4D | undefined {
  if (!hostKernelsActive('pointwise')) return undefined;
  const [n, h, w, c] = real.shape;
  const image = h * w * c * 4;
  const sizer = hostKernel<ShiftKernel>('shift-min', 0).exports;
  const scratch = 2 * image + h * w * 4;
  const bytes = scratch + sizer.scratchFloats(w, h, c, k) * 4;
  if (bytes > MAX_KERNEL_BYTES) return undefined;
  const { exports: kernel, memory } = hostKernel<ShiftKernel>('shift-min', bytes);
  const heap = new Float32Array(memory.buffer);
  const [rs, fs] = [real.dataSync() as Float32Array, fake.dataSync() as Float32Array];
  const len = h * w * c,
    out = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) {
    heap.set(rs.subarray(i * len, (i + 1) * len), 0);
    heap.set(fs.subarray(i * len, (i + 1) * len), image / 4);
    kernel.shiftMin(0, image, c, w, h, k, power === 2, 2 * image, scratch);
    out.set(heap.subarray((2 * image) / 4, (2 * image) / 4 + h * w), i * h * w);
  }
  return tf.tensor4d(out, [n, h, w, 1]);
}

interface SamplesKernel extends ShiftKernel {
  pointMap8(
    r: number,
    f: number,
    c: number,
    w: number,
    h: number,
    max: number,
    signed: boolean,
    square: boolean,
    out: number,
    lut: number,
  ): void;
  shiftMinSamples(
    r: number,
    f: number,
    bytes: number,
    c: number,
    w: number,
    h: number,
    k: number,
    max: number,
    signed: boolean,
    square: boolean,
    out: number,
    scratch: number,
  ): void;
}

/**
 * The same map for two whole images given as stored RGB samples (8- or 16-bit, x = v / max, in the unit
 * or signed range): the kernel forms the float32 values itself (the same divisions and products the
 * upload's ops make), so no tensor is made. H*W float32, or undefined where the kernel does not apply.
 */
export function hostShiftMinSamples(
  real: RawImage,
  fake: RawImage,
  range: Range,
  k: number,
  power: 1 | 2,
): Float32Array | undefined {
  if (!hostKernelsActive('pointwise')) return undefined;
  const { width: w, height: h } = real;
  const bytes = real.samples.BYTES_PER_ELEMENT;
  const image = (h * w * 3 * bytes + 15) & ~15;
  const out = 2 * image;
  const scratch = out + ((h * w * 4 + 15) & ~15);
  // k = 0 on 8-bit samples: no planes, only the 256-float sample table after the map.
  const direct = k === 0 && bytes === 1;
  const sizer = hostKernel<SamplesKernel>('shift-min', 0).exports;
  const total = direct ? scratch + 1024 : scratch + sizer.scratchFloats(w, h, 3, k) * 4;
  if (total > MAX_KERNEL_BYTES || fake.samples.BYTES_PER_ELEMENT !== bytes) return undefined;
  const { exports: kernel, memory } = hostKernel<SamplesKernel>('shift-min', total);
  const heap = new Uint8Array(memory.buffer);
  heap.set(sampleBytes(real.samples), 0);
  heap.set(sampleBytes(fake.samples), image);
  if (direct) kernel.pointMap8(0, image, 3, w, h, real.max, range === 'signed', power === 2, out, scratch);
  else
    kernel.shiftMinSamples(
      0,
      image,
      bytes,
      3,
      w,
      h,
      k,
      real.max,
      range === 'signed',
      power === 2,
      out,
      scratch,
    );
  return copyOut(memory, out, h * w);
}
