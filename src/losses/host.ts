import { tf } from '../tf.js';
import { backendSwitch } from './common.js';

/**
 * The WebAssembly kernels of asm/ (built to dist/asm/), for the backends whose tensors live in host memory
 * (wasm, cpu, tensorflow: the engine's `hostKernels` trait). A GPU backend keeps its tensors on the device
 * and uses the tfjs ops. Each kernel steps aside inside tf.grad (it has no gradient; the ops do).
 */
const host = backendSwitch();
export const setHostKernels = host.set;

/** Backends whose ops the pointwise kernel (shift-host.ts) reproduces bit for bit (the engine's traits). */
const pointwise = backendSwitch();
export const setPointwiseKernels = pointwise.set;

/**
 * Whether a kernel may run now: a host-memory backend (for `pointwise` kernels: one whose ops they
 * reproduce exactly), and no gradient tape recording.
 */
export function hostKernelsActive(kind: 'host' | 'pointwise' = 'host'): boolean {
  return (kind === 'host' ? host : pointwise).active() && !tf.engine().isTapeOn();
}

export { hostKernel, MAX_KERNEL_BYTES } from './wasm.js';
