import type { RawImage } from '../model.js';
import { featureFilters, featureSpread, spatialFilters, spatialRadius } from './flip-filters.js';
import { hostKernel, hostKernelsActive, MAX_KERNEL_BYTES } from './host.js';

/**
 * The LDR-ꟻLIP map computed by a WebAssembly SIMD kernel (asm/flip.ts, built to dist/asm/flip.wasm) from
 * the stored samples, on the backends whose tensors live in host memory (wasm, cpu, tensorflow), instead of
 * tfjs ops: the float32 operations of FLIP's C++ code in its order, rows streaming through a few rows of
 * memory (~30x faster than the ops on tfjs-wasm for a 1920x1080 pair). A GPU backend, and tf.grad, use the
 * ops (flip.ts).
 */

interface FlipKernel {
  heapBase(): number;
  scratchBytes(w: number, rc: number, rf: number, bytes: number, rs: number): number;
  linearTable(max: number, lut: number): void;
  setup(
    w: number,
    h: number,
    bytes: number,
    lut: number,
    k: number,
    ct: number,
    rc: number,
    ft: number,
    rf: number,
    rs: number,
    scratch: number,
  ): void;
  sampleRow(image: number, y: number): number;
  flipRows(y0: number, y1: number, out: number): void;
}

/**
 * Output rows per call: V8 runs a long call in its baseline code throughout, so the work goes in many short
 * calls (later ones run the optimized code, 3x faster).
 */
const CALL_ROWS = 8;

/** Byte offsets of the constants, table, filters, a call's output rows and the kernel's scratch. */
function layout(base: number, w: number, max: number, rc: number, rf: number) {
  const a16 = (n: number) => (n + 15) & ~15;
  const k = base,
    lut = k + 256,
    ct = lut + a16((max + 1) * 4),
    ft = ct + a16(4 * (2 * rc + 1) * 4),
    out = ft + a16(3 * (2 * rf + 1) * 4),
    scratch = out + a16(CALL_ROWS * w * 4);
  return { k, lut, ct, ft, out, scratch };
}

/** The table the kernel holds now (its 8- or 16-bit sRGB -> linear table is made once per kernel). */
let tableFor = 0;

/**
 * The FLIP map (H*W float32) of two whole RGB images given as stored samples (x = v / max, the sRGB
 * values FLIP reads; the range the losses see does not matter), at `ppd` pixels per degree; `constants`
 * are flip.ts's. Undefined where the kernel does not apply (a device backend, inside tf.grad, a width
 * needing over 2 GiB of kernel memory): the caller then uses tfjs ops.
 */
export function hostFlipSamples(
  real: RawImage,
  fake: RawImage,
  ppd: number,
  constants: Float32Array,
): Float32Array | undefined {
  const { width: W, height: H } = real;
  const bytes = real.samples.BYTES_PER_ELEMENT;
  if (!hostKernelsActive() || fake.samples.BYTES_PER_ELEMENT !== bytes || fake.max !== real.max)
    return undefined;
  const rc = spatialRadius(ppd),
    rf = featureSpread(ppd).radius,
    halo = Math.max(rc, rf),
    rs = CALL_ROWS + halo + 1;
  const sizer = hostKernel<FlipKernel>('flip', 0).exports;
  const at = layout(sizer.heapBase(), W, real.max, rc, rf);
  const total = at.scratch + sizer.scratchBytes(W, rc, rf, bytes, rs);
  if (total > MAX_KERNEL_BYTES) return undefined;
  const { exports: k, memory } = hostKernel<FlipKernel>('flip', total);
  const heap = new Float32Array(memory.buffer);
  const u8 = new Uint8Array(memory.buffer);
  heap.set(constants, at.k / 4);
  if (tableFor !== real.max) {
    k.linearTable(real.max, at.lut);
    tableFor = real.max;
  }
  const s = spatialFilters(ppd),
    g = featureFilters(ppd);
  heap.set([...s.y, ...s.cx, ...s.cz1, ...s.cz2], at.ct / 4);
  heap.set([...g.g, ...g.dg, ...g.ddg], at.ft / 4);
  k.setup(W, H, bytes, at.lut, at.k, at.ct, rc, at.ft, rf, rs, at.scratch);
  const out = new Float32Array(W * H);
  const rowBytes = W * 3 * bytes;
  const asBytes = (x: RawImage) => new Uint8Array(x.samples.buffer, x.samples.byteOffset, x.samples.byteLength);
  const images = [asBytes(real), asBytes(fake)];
  let loaded = 0;
  for (let y0 = 0; y0 < H; y0 += CALL_ROWS) {
    const y1 = Math.min(H, y0 + CALL_ROWS);
    for (const need = Math.min(H, y1 + halo); loaded < need; loaded++)
      images.forEach((x, i) => u8.set(x.subarray(loaded * rowBytes, (loaded + 1) * rowBytes), k.sampleRow(i, loaded)));
    k.flipRows(y0, y1, at.out);
    out.set(heap.subarray(at.out / 4, at.out / 4 + (y1 - y0) * W), y0 * W);
  }
  return out;
}
