import { sharp } from './sharp.js';
import { option, said, UserError } from '../errors.js';
import { fileProblem } from './input.js';
import { DEFAULTS, type DecodedImage } from '../model.js';

export type { DecodedImage } from '../model.js';

export interface DecodeOptions {
  /** Shown in messages: the path, or `stdin`. */
  label: string;
  /** Resize to this size (sharp's default Lanczos-3, aspect ratio not kept) before use. */
  resizeTo?: { width: number; height: number };
  /** Refuse images with more pixels than this, from the header, before decoding (--max-pixels). */
  maxPixels?: number;
}

/** sharp's own default limit (see model.ts). */
export const DEFAULT_MAX_PIXELS = DEFAULTS.maxPixels;

const MAX_PIXELS = option('maxPixels', '--max-pixels');

/**
 * Decodes like PIL's `Image.open(p).convert('RGB')`, which NectarGAN's dataset uses: pixel values as stored,
 * with no ICC-profile conversion (sharp converts embedded profiles unless `ignoreIcc`), no gamma, no EXIF
 * rotation (sharp rotates only when asked); alpha dropped, not composited; gray replicated to RGB; palettes
 * expanded. Unlike PIL, which keeps only the high byte of 16-bit RGB, 16-bit images keep all 16 bits:
 * x = v / 65535 (every bit counts); 8-bit x = v / 255.
 */
export async function decodeImage(input: Buffer | string, opts: DecodeOptions): Promise<DecodedImage> {
  try {
    // Header only: the pixel limit is checked below, with a message that says how to raise it.
    const meta = await sharp(input, { ignoreIcc: true, failOn: 'error', limitInputPixels: false }).metadata();
    const limit = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
    const pixels = meta.width * meta.height;
    // Checked from the header alone, so a forged 200000x200000 PNG is refused before any allocation.
    if (pixels > limit)
      throw new UserError(
        said`${opts.label}: ${meta.width}x${meta.height} is ${pixels} pixels, over the limit of ${limit} (${MAX_PIXELS} raises it)`,
        'TOO_MANY_PIXELS',
      );
    const sixteen = meta.depth === 'ushort';
    // failOn 'error' also rejects truncated data (sharp's levels: none < truncated < error < warning).
    let pipe = sharp(input, { ignoreIcc: true, failOn: 'error', limitInputPixels: Math.max(limit, 1) });
    if (opts.resizeTo) pipe = pipe.resize(opts.resizeTo.width, opts.resizeTo.height, { fit: 'fill' });
    // rgb16 / srgb replicate a single gray band to three; removeAlpha drops band 4 (or 2) without blending.
    pipe = pipe.removeAlpha().toColourspace(sixteen ? 'rgb16' : 'srgb');
    const { data, info } = await pipe
      .raw({ depth: sixteen ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    const n = info.width * info.height * 3;
    // Native-endian 16-bit samples; copied first if the Buffer sits at an odd offset in its pool.
    const bytes = sixteen && data.byteOffset % 2 ? Buffer.from(data) : data;
    const samples = sixteen
      ? new Uint16Array(bytes.buffer, bytes.byteOffset, n)
      : new Uint8Array(bytes.buffer, bytes.byteOffset, n);
    return {
      width: info.width,
      height: info.height,
      samples,
      max: sixteen ? 65535 : 255,
      bitDepth: sixteen ? 16 : 8,
      channels: meta.channels,
      format: meta.format,
    };
  } catch (err) {
    if (err instanceof UserError) throw err;
    // A path that is not a readable file says so, as the CLI's input check does ("no such file").
    const problem = typeof input === 'string' ? await fileProblem(input, opts.label) : undefined;
    throw (
      problem ?? new UserError(`${opts.label}: cannot decode image (${conciseSharpError(err)})`, 'BAD_IMAGE')
    );
  }
}

/** sharp/libvips messages can span lines; keep the first meaningful one. */
export function conciseSharpError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const line =
    msg
      .split('\n')
      .map((s) => s.trim())
      .find(Boolean) ?? 'unknown error';
  return line.replace(/^Input (buffer|file) /, '').replace(/^Error: /, '');
}

/**
 * Pixels already decoded (8-bit, row-major, 3 = RGB or 4 = RGBA channels; Vitest's comparators get RGBA)
 * as a DecodedImage: alpha dropped, not composited, as decodeImage does.
 */
export function fromPixels(data: Uint8Array, width: number, height: number, channels: 3 | 4): DecodedImage {
  const n = width * height;
  if (!Number.isSafeInteger(n) || n < 1 || data.length !== n * channels)
    throw new UserError(
      `pixels: ${data.length} bytes is not ${width}x${height}x${channels} (8-bit RGB or RGBA expected)`,
      'BAD_IMAGE',
    );
  let samples: Uint8Array;
  if (channels === 3) samples = data;
  else {
    samples = new Uint8Array(n * 3);
    for (let i = 0, j = 0; i < n * 4; i += 4, j += 3) {
      samples[j] = data[i]!;
      samples[j + 1] = data[i + 1]!;
      samples[j + 2] = data[i + 2]!;
    }
  }
  return { width, height, samples, max: 255, bitDepth: 8, channels, format: 'raw' };
}
