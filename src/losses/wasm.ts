import { readFileSync } from 'node:fs';

/**
 * The WebAssembly kernels of asm/ (built to dist/asm/), loaded without TensorFlow.js (a worker thread that
 * runs only a kernel does not load it; nor do the map passes of map-scan.ts), and the maps and byte arrays
 * copied out of them and recycled. Which backends use them: host.ts.
 */

/** An image's stored 8- or 16-bit samples as the bytes they are (no copy), to set into a kernel's memory. */
export function sampleBytes(s: Uint8Array | Uint16Array): Uint8Array {
  return new Uint8Array(s.buffer, s.byteOffset, s.byteLength);
}

/** Largest memory a kernel may take (wasm32 addresses 4 GiB); larger inputs use tfjs ops. */
export const MAX_KERNEL_BYTES = 2 ** 31;

const modules = new Map<string, WebAssembly.Module>();
const instances = new Map<string, { memory: WebAssembly.Memory; exports: unknown }>();

function compiled(name: string): WebAssembly.Module {
  let m = modules.get(name);
  if (!m) {
    m = new WebAssembly.Module(readFileSync(new URL(`../../asm/${name}.wasm`, import.meta.url)));
    modules.set(name, m);
  }
  return m;
}

/**
 * The kernel `name` (asm/<name>.ts) with at least `bytes` of memory: one instance per kernel and thread,
 * its memory grown as larger images come (a fresh zeroed memory per call cost more than the kernel on a
 * 1280x720 pair). The caller views the memory after this call (growing detaches older views).
 */
export function hostKernel<K>(name: string, bytes: number): { exports: K; memory: WebAssembly.Memory } {
  let inst = instances.get(name);
  if (!inst) {
    // One page: a kernel's static data (flip's pow and cbrt tables) lies at its start.
    const memory = new WebAssembly.Memory({ initial: 1 });
    inst = { memory, exports: new WebAssembly.Instance(compiled(name), { env: { memory } }).exports };
    instances.set(name, inst);
  }
  const pages = Math.ceil(bytes / 65536) - inst.memory.buffer.byteLength / 65536;
  if (pages > 0) inst.memory.grow(pages);
  return { exports: inst.exports as K, memory: inst.memory };
}

/** Maps handed back after use (recycleMaps), reused by copyOut on this thread: a few, of any length. */
const spare: Float32Array[] = [];
const SPARE_KEPT = 4;

/**
 * A copy of `length` float32 at `byteOffset` of a kernel's memory, owned by the caller (the memory is
 * reused by the next call): into a recycled map of that length if there is one, else a new array (filled
 * by set(): TypedArray.prototype.slice on a view of a WebAssembly memory measured several ms slower). A
 * fresh 3.7 MB array costs its page faults and GC pressure on every pair: recycling measured ~0.5 s of CPU
 * less over the 200-pair screenshot workload.
 */
export function copyOut(memory: WebAssembly.Memory, byteOffset: number, length: number): Float32Array {
  const i = spare.findIndex((a) => a.length === length);
  const out = i >= 0 ? spare.splice(i, 1)[0]! : new Float32Array(length);
  out.set(new Float32Array(memory.buffer, byteOffset, length));
  return out;
}

/**
 * Hands maps back for reuse by copyOut on this thread. The caller promises that nothing reads or keeps
 * them any more (runPair, once its files are written). Only arrays that own their whole buffer are kept.
 */
export function recycleMaps(maps: readonly Float32Array[]): void {
  for (const m of maps) {
    if (spare.length >= SPARE_KEPT || !m.length || spare.includes(m)) continue;
    if (m.byteOffset === 0 && m.byteLength === m.buffer.byteLength && m.buffer instanceof ArrayBuffer)
      spare.push(m);
  }
}

/** Byte arrays (heatmap levels, coloured rasters) handed back after use, reused by takeBytes. */
const spareBytes: Uint8Array[] = [];

/** A byte array of `length` to be filled completely by the caller: a recycled one if there is one. */
export function takeBytes(length: number): Uint8Array {
  const i = spareBytes.findIndex((a) => a.length === length);
  return i >= 0 ? spareBytes.splice(i, 1)[0]! : new Uint8Array(length);
}

/**
 * Hands byte arrays back for reuse by takeBytes on this thread; the caller promises that nothing reads or
 * keeps them any more (a pair's rasters, once encoded). Only arrays that own their whole buffer are kept.
 */
export function recycleBytes(arrays: readonly Uint8Array[]): void {
  for (const a of arrays) {
    if (spareBytes.length >= SPARE_KEPT || !a.length || spareBytes.includes(a)) continue;
    if (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer)
      spareBytes.push(a);
  }
}
