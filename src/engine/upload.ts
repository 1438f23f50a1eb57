import { tf } from '../tf.js';
import type { Tensor3D } from '@tensorflow/tfjs-core';
import type { RawImage } from '../model.js';
import { traitsOf } from './backend.js';

/**
 * One conversion buffer for backends that copy a new tensor's values when it is made (wasm): fresh 3 MB
 * buffers per 512² image kept V8's garbage collector busy (~2 ms a pair). Other backends keep the array
 * as the tensor's storage and get a fresh one.
 */
let scratch = new Float32Array(0);

function buffer(n: number, reuse: boolean): Float32Array {
  if (!reuse) return new Float32Array(n);
  if (scratch.length < n) scratch = new Float32Array(n);
  return scratch.subarray(0, n);
}

/**
 * Rows [y0, y1) as a [rows, W, 3] tensor of x = v / max, as the backend's traits say: divided in
 * JavaScript (v / max in float64, then rounded to float32, is the float32 quotient: for max = 2^k - 1 the
 * exact quotient never lies close enough to a float32 rounding midpoint for the double rounding to
 * differ), or converted natively and divided on the backend (IEEE float32 division, as the reference).
 */
export function unitTensor(img: RawImage, y0: number, y1: number): Tensor3D {
  const src = img.samples.subarray(y0 * img.width * 3, y1 * img.width * 3);
  const shape: [number, number, number] = [y1 - y0, img.width, 3];
  const traits = traitsOf(tf.getBackend());
  if (traits.divide === 'js') {
    const v = new Float32Array(src.length);
    for (let i = 0; i < v.length; i++) v[i] = src[i] / img.max;
    return tf.tensor3d(v, shape, 'float32');
  }
  const v = buffer(src.length, traits.copiesOnCreate);
  v.set(src);
  // In its own tidy: only the quotient survives, wherever it is called from.
  return tf.tidy(() => tf.div<Tensor3D>(tf.tensor3d(v, shape, 'float32'), img.max));
}
