import type { RawImage, Range } from '../model.js';
import { copyOut, hostKernel, hostKernelsActive, MAX_KERNEL_BYTES } from './host.js';
import { sampleBytes } from './wasm.js';

/**
 * The Sobel and Laplacian maps of two whole images given as stored RGB samples (8- or 16-bit), computed by
 * a WebAssembly SIMD kernel (asm/filter3x3.ts) with no tensor made: the float32 operations of sobel.ts and
 * laplacian.ts in the order tfjs-wasm (XNNPACK) runs them, so the same map bit for bit (tested against the
 * ops), on the backends the engine's `pointwiseKernels` trait names. ~40 ms of tfjs-wasm convolutions for
 * a 1280x720 pair become a few ms.
 */

interface FilterKernel {
  scratchFloats(width: number, height: number): number;
  filterMap(
    r: number,
    f: number,
    bytes: number,
    w: number,
    h: number,
    max: number,
    signed: boolean,
    kind: number,
    out: number,
    scratch: number,
  ): void;
}

const KINDS = { sobel: 0, laplacian: 1 } as const;

/** H*W float32: |filter(fake) - filter(real)|, or undefined where the kernel does not apply. */
export function hostFilterSamples(
  real: RawImage,
  fake: RawImage,
  range: Range,
  kind: keyof typeof KINDS,
): Float32Array | undefined {
  const { width: w, height: h } = real;
  // An odd width convolves unfolded (kernels.ts): for the Laplacian's one filter tfjs-wasm then sums the
  // taps in another order (measured), which this kernel does not reproduce.
  if (!hostKernelsActive('pointwise') || (kind === 'laplacian' && w % 2)) return undefined;
  const bytes = real.samples.BYTES_PER_ELEMENT;
  const image = (h * w * 3 * bytes + 15) & ~15;
  const out = 2 * image;
  const scratch = out + ((h * w * 4 + 16 + 15) & ~15);
  const sizer = hostKernel<FilterKernel>('filter3x3', 0).exports;
  const total = scratch + sizer.scratchFloats(w, h) * 4;
  if (total > MAX_KERNEL_BYTES || fake.samples.BYTES_PER_ELEMENT !== bytes) return undefined;
  const { exports: kernel, memory } = hostKernel<FilterKernel>('filter3x3', total);
  const heap = new Uint8Array(memory.buffer);
  heap.set(sampleBytes(real.samples), 0);
  heap.set(sampleBytes(fake.samples), image);
  kernel.filterMap(0, image, bytes, w, h, real.max, range === 'signed', KINDS[kind], out, scratch);
  return copyOut(memory, out, h * w);
}
