import { DEFAULT_PPD, type RawImage } from '../model.js';
import {
  featureFilters,
  featureSpread,
  flipConstants,
  spatialFilters,
  spatialRadius,
} from './flip-filters.js';
import type { LossContext } from './types.js';
import { hostKernel, MAX_KERNEL_BYTES, sampleBytes } from './wasm.js';

/**
 * The LDR-ꟻLIP map computed by a WebAssembly SIMD kernel (asm/flip.ts, built to dist/asm/flip.wasm) from
 * the stored samples, on the backends whose tensors live in host memory (wasm, cpu, tensorflow), instead of
 * tfjs ops: the float32 operations of FLIP's C++ code in its order, rows streaming through a few rows of
 * memory (~30x faster than the ops on tfjs-wasm for a 1920x1080 pair). A GPU backend, and tf.grad, use the
 * ops (flip.ts decides). No TensorFlow.js here: the engine runs bands of rows on a worker thread
 * (samplesRows).
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
    start: number,
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
 * Rows y0 ... y1 - 1 of the FLIP map ((y1 - y0) * W float32) of two RGB images given as stored samples
 * (x = v / max, the sRGB values FLIP reads; the range the losses see does not matter) at `ppd` pixels per
 * degree. The samples may start at row `from` (a band's rows with the filters' halo: rows from
 * max(0, y0 - halo) to min(H, y1 + halo) are read), H = real.height; written into `into` when given.
 * Undefined for a width needing over 2 GiB of kernel memory or images of different sample types: the
 * caller then uses tfjs ops.
 */
export function flipSamplesRows(
  real: RawImage,
  fake: RawImage,
  ppd: number,
  y0: number,
  y1: number,
  from = 0,
  into?: Float32Array,
): Float32Array | undefined {
  const { width: W, height: H } = real;
  const bytes = real.samples.BYTES_PER_ELEMENT;
  if (fake.samples.BYTES_PER_ELEMENT !== bytes || fake.max !== real.max) return undefined;
  const rc = spatialRadius(ppd),
    rf = featureSpread(ppd).radius,
    halo = Math.max(rc, rf),
    rs = CALL_ROWS + 2 * halo + 1;
  const sizer = hostKernel<FlipKernel>('flip', 0).exports;
  const at = layout(sizer.heapBase(), W, real.max, rc, rf);
  const total = at.scratch + sizer.scratchBytes(W, rc, rf, bytes, rs);
  if (total > MAX_KERNEL_BYTES) return undefined;
  const { exports: k, memory } = hostKernel<FlipKernel>('flip', total);
  const heap = new Float32Array(memory.buffer);
  const u8 = new Uint8Array(memory.buffer);
  heap.set(flipConstants(), at.k / 4);
  if (tableFor !== real.max) {
    k.linearTable(real.max, at.lut);
    tableFor = real.max;
  }
  const s = spatialFilters(ppd),
    g = featureFilters(ppd);
  heap.set([...s.y, ...s.cx, ...s.cz1, ...s.cz2], at.ct / 4);
  heap.set([...g.g, ...g.dg, ...g.ddg], at.ft / 4);
  k.setup(W, H, bytes, at.lut, at.k, at.ct, rc, at.ft, rf, rs, at.scratch, y0);
  const out = into ?? new Float32Array(W * (y1 - y0));
  const rowBytes = W * 3 * bytes;
  const images = [sampleBytes(real.samples), sampleBytes(fake.samples)];
  let loaded = Math.max(0, y0 - halo);
  const load = (i: number, y: number) =>
    u8.set(images[i]!.subarray((y - from) * rowBytes, (y - from + 1) * rowBytes), k.sampleRow(i, y));
  for (let a = y0; a < y1; a += CALL_ROWS) {
    const b = Math.min(y1, a + CALL_ROWS);
    for (const need = Math.min(H, b + halo); loaded < need; loaded++) {
      load(0, loaded);
      load(1, loaded);
    }
    k.flipRows(a, b, at.out);
    out.set(heap.subarray(at.out / 4, at.out / 4 + (b - a) * W), (a - y0) * W);
  }
  return out;
}

/** The engine's entry on a worker thread (LossDefinition.rowsModule): flipSamplesRows at ctx's ppd. */
export function samplesRows(
  real: RawImage,
  fake: RawImage,
  ctx: LossContext,
  y0: number,
  y1: number,
  from: number,
  into?: Float32Array,
): Float32Array | undefined {
  return flipSamplesRows(real, fake, ctx.ppd ?? DEFAULT_PPD, y0, y1, from, into);
}

/**
 * Runs the kernel once on a small synthetic pair (256x64): V8 first runs WebAssembly in its baseline tier
 * and compiles the optimized code in the background once a function is hot, so a thread that will run a
 * large pair warms it while the images decode (the first 1920x1080 pair then runs ~10% faster; more when
 * the cores are busy).
 */
export function warmUp(): void {
  const [w, h] = [256, 64];
  const samples = new Uint8Array(w * h * 3).map((_, i) => (i * 2654435761) >>> 24);
  const image = { width: w, height: h, samples, max: 255 };
  flipSamplesRows(image, { ...image, samples: samples.slice().reverse() }, DEFAULT_PPD, 0, h);
}
