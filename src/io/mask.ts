import { existsSync } from 'node:fs';
import { option, said, UserError } from '../errors.js';
import type { Rect } from '../model.js';
import { conciseSharpError } from './decode.js';
import { sharp } from './sharp.js';

/**
 * Which pixels are compared: an H*W array, 1 = compared. A mask image compares a pixel where its gray value
 * is > 127 (alpha ignored; 16-bit masks are scaled to 8 bits); each --ignore rectangle clears its pixels.
 */
export async function compareMask(
  W: number,
  H: number,
  files: readonly string[],
  rects: readonly Rect[],
): Promise<Uint8Array> {
  const mask = new Uint8Array(W * H).fill(1);
  for (const file of files) andMask(mask, await readMask(file, W, H));
  for (const r of rects) clearRect(mask, W, H, r);
  return mask;
}

/** The image a mask must match, as each entry point calls it. */
const REAL = option('the expected image', 'the real image');

async function readMask(file: string, W: number, H: number): Promise<Uint8Array> {
  let out: { data: Buffer; info: { width: number; height: number } };
  if (!existsSync(file)) throw new UserError(`mask ${file}: no such file`, 'ENOENT');
  try {
    out = await sharp(file, { failOn: 'error' })
      .removeAlpha()
      .toColourspace('b-w')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new UserError(`mask ${file}: cannot decode image (${conciseSharpError(err)})`, 'BAD_MASK');
  }
  if (out.info.width !== W || out.info.height !== H)
    throw new UserError(
      said`mask ${file} is ${out.info.width}x${out.info.height}, ${REAL} is ${W}x${H}: a mask must have ${REAL}'s size`,
      'BAD_MASK',
    );
  return out.data;
}

function andMask(mask: Uint8Array, gray: Uint8Array): void {
  for (let i = 0; i < mask.length; i++) if (gray[i] <= 127) mask[i] = 0;
}

function clearRect(mask: Uint8Array, W: number, H: number, r: Rect): void {
  const x1 = Math.min(W, r.x + r.width),
    y1 = Math.min(H, r.y + r.height);
  for (let y = Math.max(0, r.y); y < y1; y++) mask.fill(0, y * W + Math.max(0, r.x), y * W + x1);
}
