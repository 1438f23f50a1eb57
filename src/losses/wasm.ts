import { readFileSync } from 'node:fs';

/**
 * The WebAssembly kernels of asm/ (built to dist/asm/), loaded without TensorFlow.js (a worker thread that
 * runs only a kernel does not load it). Which backends use them: host.ts.
 */

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
