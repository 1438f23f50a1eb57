import { sharp } from './sharp.js';
import type { UnitImage } from '../engine/compute.js';
import { UserError } from '../errors.js';

/** A decoded image: RGB samples as stored (x = sample / max), and what the file held, for figures and JSON. */
export interface DecodedImage extends UnitImage {
  /** Bits per stored sample: 8 or 16. */
  bitDepth: 8 | 16;
  /** Channels in the file (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA; palette images report their expansion). */
  channels: number;
  format: string;
}

export interface DecodeOptions {
  /** Shown in messages: the path, or `stdin`. */
  label: string;
  /** Resize to this size (sharp's default Lanczos-3, aspect ratio not kept) before use. */
  resizeTo?: { width: number; height: number };
  /** Refuse images with more pixels than this, from the header, before decoding (--max-pixels). */
  maxPixels?: number;
}

/** sharp's own default limit (0x3FFF x 0x3FFF): about 268 Mpixel, ~1.6 GB as 8-bit RGB for the pair. */
export const DEFAULT_MAX_PIXELS = 268402689;

/**
 * Decodes like PIL's `Image.open(p).convert('RGB')`, which NectarGAN's dataset uses: pixel values as stored,
 * with no ICC-profile conversion (sharp converts embedded profiles unless `ignoreIcc`), no gamma, no EXIF
 * rotation (sharp rotates only when asked); alpha dropped, not composited; gray replicated to RGB; palettes
 * expanded. Unlike PIL, which keeps only the high byte of 16-bit RGB, 16-bit images keep all 16 bits:
 * x = v / 65535 (issue 2's rule); 8-bit x = v / 255.
 */
export async function decodeImage(input: Buffer | string, opts: DecodeOptions): Promise<DecodedImage> {
  try {
    // Header only: the pixel limit is checked below, with a message that says how to raise it.
    const meta = await sharp(input, { ignoreIcc: true, failOn: 'error', limitInputPixels: false }).metadata();
    const limit = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
    const pixels = (meta.width ?? 0) * (meta.height ?? 0);
    // Checked from the header alone, so a forged 200000x200000 PNG is refused before any allocation.
    if (pixels > limit) throw new UserError(`${opts.label}: ${meta.width}x${meta.height} is ${pixels} pixels, over the limit of ${limit} (--max-pixels raises it)`);
    const sixteen = meta.depth === 'ushort';
    // failOn 'error' also rejects truncated data (sharp's levels: none < truncated < error < warning).
    let pipe = sharp(input, { ignoreIcc: true, failOn: 'error', limitInputPixels: Math.max(limit, 1) });
    if (opts.resizeTo) pipe = pipe.resize(opts.resizeTo.width, opts.resizeTo.height, { fit: 'fill' });
    // rgb16 / srgb replicate a single gray band to three; removeAlpha drops band 4 (or 2) without blending.
    pipe = pipe.removeAlpha().toColourspace(sixteen ? 'rgb16' : 'srgb');
    const { data, info } = await pipe.raw({ depth: sixteen ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    const n = info.width * info.height * 3;
    // Native-endian 16-bit samples; copied first if the Buffer sits at an odd offset in its pool.
    const bytes = sixteen && data.byteOffset % 2 ? Buffer.from(data) : data;
    const samples = sixteen ? new Uint16Array(bytes.buffer, bytes.byteOffset, n) : new Uint8Array(bytes.buffer, bytes.byteOffset, n);
    return {
      width: info.width,
      height: info.height,
      samples,
      max: sixteen ? 65535 : 255,
      bitDepth: sixteen ? 16 : 8,
      channels: meta.channels ?? 3,
      format: meta.format ?? 'unknown',
    };
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${opts.label}: cannot decode image (${conciseSharpError(err)})`);
  }
}

/** sharp/libvips messages can span lines; keep the first meaningful one. */
export function conciseSharpError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const line = msg.split('\n').map((s) => s.trim()).find(Boolean) ?? 'unknown error';
  return line.replace(/^Input (buffer|file) /, '').replace(/^Error: /, '');
}
