import { tf } from '../tf.js';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { backendSwitch } from './common.js';

/**
 * The 3x3 filters of the kernel losses, as F.conv2d(g, k.view(1,1,3,3), padding=1) computes them:
 * 2-D cross-correlation (no kernel flip, as in PyTorch and tf.conv2d) with zero padding 1, so the output
 * has the input's size ('same' for a 3x3, stride 1).
 *
 * Two facts of tfjs-wasm (XNNPACK) shape this file; both measured at 512x512 on this project's machine:
 * - It builds a convolution operator (packed weights, indirection setup) per kernel tensor and caches it
 *   under that tensor's id, so a kernel tensor made afresh on every call pays ~9.5 ms each time. Kernels
 *   are therefore made once per backend and kept (at most 576 floats each); `releaseKernels` frees them.
 * - Its cost is per output pixel far more than per multiply: a one-channel image convolves 1.4-2x faster
 *   when F neighbouring columns are folded into channels, [N,H,W,1] -> [N,H,W/F,F] (a free reshape),
 *   and convolved with a folded kernel [3,3,F,F*c] whose extra entries are zeros. The output reshapes
 *   back to [N,H,W,c] for free. Output column x = F*j + p reads input columns x-1..x+1, which lie in
 *   folded columns j-1..j+1; zero padding of the folded image is zero padding of the original (W % F = 0).
 *   The sums hold the same nonzero products, so results agree to float rounding.
 */
const cache = new Map<string, Tensor>();

/** 3x3 convolutions of one-channel images fold columns into channels (see above and foldFor). */
const folding = backendSwitch();
export const setColumnFolding = folding.set;

/**
 * Columns folded into channels on this backend for an image of width W and c filters (1: plain
 * convolution). Measured at 512x512 on wasm, ms per image: c = 1: F=1 2.6, F=4 2.1, F=8 1.8, F=16 3.1;
 * c = 2: F=1 3.9, F=2 2.4, F=4 2.0, F=8 3.4.
 */
function foldFor(width: number, c: number): number {
  if (!folding.active()) return 1; // on cpu/tensorflow folding only multiplies the work
  for (const F of c === 1 ? [8, 4, 2] : [4, 2]) if (width % F === 0) return F;
  return 1;
}

/**
 * The folded kernel [3, 3, F, F*c] for taps = c kernels of 9 values, row-major (k[dy][dx]): output
 * channel p*c + ch (column p of the fold, filter ch) takes input channel i of folded column j + sx - 1
 * with weight k_ch[dy][dx], dx = (sx - 1)*F + i - p + 1, when 0 <= dx <= 2.
 */
function foldedKernel(taps: readonly (readonly number[])[], F: number): Float32Array {
  const c = taps.length;
  const w = new Float32Array(3 * 3 * F * F * c);
  for (let dy = 0; dy < 3; dy++)
    for (let sx = 0; sx < 3; sx++)
      for (let i = 0; i < F; i++)
        for (let p = 0; p < F; p++) {
          const dx = (sx - 1) * F + i - p + 1;
          if (dx < 0 || dx > 2) continue;
          for (let ch = 0; ch < c; ch++)
            w[(((dy * 3 + sx) * F + i) * F + p) * c + ch] = taps[ch][dy * 3 + dx]!;
        }
  return w;
}

function kernel(name: string, taps: readonly (readonly number[])[], F: number): Tensor4D {
  return keptTensor(`${name}:${F}`, () =>
    tf.tensor4d(foldedKernel(taps, F), [3, 3, F, F * taps.length], 'float32'),
  );
}

/**
 * A filter tensor made once per backend under `name` and kept (see above): other losses' kernels (flip's)
 * live here too, so that leak checks and releaseKernels see them all.
 */
export function keptTensor<T extends Tensor>(name: string, make: () => T): T {
  const key = `${tf.getBackend()}:${name}`;
  let k = cache.get(key) as T | undefined;
  if (!k || k.isDisposed) {
    // tf.keep: made inside the caller's tf.tidy, it must outlive it.
    k = tf.keep(make());
    cache.set(key, k);
  }
  return k;
}

/** g [N,H,W,1] convolved with each of the c 3x3 kernels in `taps` (named for the cache) -> [N,H,W,c]. */
export function conv3x3(g: Tensor4D, name: string, taps: readonly (readonly number[])[]): Tensor4D {
  const [n, h, w] = g.shape;
  const F = foldFor(w, taps.length);
  const x: Tensor4D = F === 1 ? g : tf.reshape(g, [n, h, w / F, F]);
  const y = tf.conv2d(x, kernel(name, taps, F), 1, 'same');
  return F === 1 ? y : tf.reshape(y, [n, h, w, taps.length]);
}

/** How many kernel tensors are kept now (leak checks count every other tensor). */
export function keptKernels(): number {
  let n = 0;
  for (const k of cache.values()) if (!k.isDisposed) n++;
  return n;
}

/** Disposes every kept kernel (they are made again when next needed). */
export function releaseKernels(): void {
  for (const k of cache.values()) k.dispose();
  cache.clear();
}
