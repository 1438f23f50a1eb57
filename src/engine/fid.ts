import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import { UserError } from '../errors.js';
import { decodeImage } from '../io/decode.js';
import type { FidDims } from '../losses/inception-layout.js';
import type { InceptionWeights } from '../losses/inception.js';
import type { RawImage } from '../model.js';

/** pytorch-fid's IMAGE_EXTENSIONS (matched here in any letter case). */
export const FID_EXTENSIONS = ['bmp', 'jpg', 'jpeg', 'pgm', 'png', 'ppm', 'tif', 'tiff', 'webp'];

/** The images of one folder (not its subfolders, as pytorch-fid), sorted by name. */
export async function listImages(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${dir}: cannot list the folder (${code === 'ENOENT' ? 'no such folder' : code})`);
  }
  const ext = (n: string) => path.extname(n).slice(1).toLowerCase();
  return names
    .filter((n) => FID_EXTENSIONS.includes(ext(n)))
    .sort()
    .map((n) => path.join(dir, n));
}

/** Images per forward pass (each 299 x 299 x 3 at the input; pytorch-fid's default batch is 50). */
export const FID_BATCH = 8;

/** x = sample / max as float32 [1, h, w, 3]. */
async function toTensor(img: RawImage): Promise<Tensor4D> {
  const { tf } = await import('../tf.js');
  const x = new Float32Array(img.samples.length);
  for (let i = 0; i < x.length; i++) x[i] = img.samples[i] / img.max;
  return tf.tensor4d(x, [1, img.height, img.width, 3]);
}

/** Decodes `file` as PIL's convert('RGB') does (see io/decode.ts); one line naming the file when it cannot. */
export async function decodeForFid(file: string, maxPixels?: number): Promise<RawImage> {
  return decodeImage(file, { label: file, maxPixels });
}

/**
 * The network's input [n, 299, 299, 3] in [-1, 1] (row-major float32) of decoded images, each resized and
 * scaled on its own by fidInput on the active tfjs backend, exactly as fidFeatures does.
 */
export async function networkInput(images: RawImage[]): Promise<Float32Array> {
  const { fidInput } = await import('../losses/inception.js');
  const size = 299 * 299 * 3;
  const out = new Float32Array(images.length * size);
  for (let i = 0; i < images.length; i++) {
    const x = await toTensor(images[i]);
    const y = fidInput(x);
    x.dispose();
    try {
      out.set(await y.data(), i * size);
    } finally {
      y.dispose();
    }
  }
  return out;
}

/**
 * Features [n, dims] (row-major float32) of `files`, FID_BATCH at a time; `onImage` after each image.
 * Each image is decoded, resized to 299 x 299 and scaled on its own, then a batch runs through the network.
 */
export async function fidFeatures(
  files: string[],
  weights: InceptionWeights,
  onImage?: (done: number) => void,
  maxPixels?: number,
): Promise<Float32Array> {
  const { tf } = await import('../tf.js');
  const { fidInput, inceptionTrunk } = await import('../losses/inception.js');
  const out = new Float32Array(files.length * weights.dims);
  for (let start = 0; start < files.length; start += FID_BATCH) {
    const batch = files.slice(start, start + FID_BATCH);
    const inputs: Tensor4D[] = [];
    try {
      for (const f of batch) {
        const x = await toTensor(await decodeForFid(f, maxPixels));
        inputs.push(fidInput(x));
        x.dispose();
        onImage?.(start + inputs.length);
      }
      const stacked = inputs.length === 1 ? inputs[0] : tf.concat4d(inputs, 0);
      const feats: Tensor2D = inceptionTrunk(stacked, weights);
      if (stacked !== inputs[0]) stacked.dispose();
      out.set(await feats.data(), start * weights.dims);
      feats.dispose();
    } finally {
      tf.dispose(inputs);
    }
  }
  return out;
}

export type { FidDims };
