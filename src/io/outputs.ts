import type { PairResult } from '../engine/compute.js';
import type { LossDefinition } from '../losses/types.js';
import { colormapLut } from './colormap.js';
import type { DecodedImage } from './decode.js';
import { encodeNpy } from './npy.js';
import { encodePng } from './png.js';
import { colorize, maxScale, toLevels, toRgb8, type Raster } from './raster.js';

/** Kinds of file the CLI writes, as named in its JSON `files` object. */
export type FileKind = 'heatmap' | 'real' | 'fake' | 'figure' | 'raw';

export interface RenderOptions {
  /** Divide the map by this before 0..255 (1 = absolute scale); 'max' = the map's own maximum. */
  scale: number | 'max';
  colormap: string;
  /** Also the float32 map as .npy. */
  raw: boolean;
  /** Which of heatmap, real, fake, figure to write (--files); default all four. */
  files?: readonly FileKind[];
}

export const PNG_KINDS: readonly FileKind[] = ['heatmap', 'real', 'fake', 'figure'];

export interface RenderedFile {
  kind: FileKind;
  /** File name inside --out. */
  name: string;
  bytes: Buffer;
}

/** Inputs above this many pixels get no figure (it would be 8x their size); the other files are written. */
export const FIGURE_MAX_PIXELS = 4 * 2 ** 20;

/** Six decimals, as NectarGAN's figure captions print the mean. */
export function captionFor(loss: LossDefinition, mean: number): string {
  return `${loss.title} Heatmap - Mean: ${mean.toFixed(6)}`;
}

/**
 * Encodes every file of one comparison in memory, so that nothing is written until all of it succeeded.
 * Names: `<stem>.<loss>.<kind>.png` and `<stem>.<loss>.map.npy`, stem being the fake image's base name.
 */
export async function renderFiles(loss: LossDefinition, res: PairResult, real: DecodedImage, fake: DecodedImage, stem: string, opt: RenderOptions): Promise<RenderedFile[]> {
  const { width: W, height: H } = real;
  const heatScale = opt.scale === 'max' ? maxScale(res.map) : opt.scale;
  const heatmap = colorize(toLevels(res.map, heatScale), W, H, await colormapLut(opt.colormap));
  // Encodes run concurrently on sharp's threads; the list keeps a fixed order.
  const out: Promise<RenderedFile>[] = [];
  const wanted = new Set(opt.files ?? PNG_KINDS);
  const png = (kind: FileKind, r: Raster) => wanted.has(kind) && out.push(encodePng(r).then((bytes) => ({ kind, name: `${stem}.${loss.name}.${kind}.png`, bytes })));
  png('heatmap', heatmap);
  let filtered: { real: Raster; fake: Raster; label: string } | undefined;
  const figure = wanted.has('figure') && W * H <= FIGURE_MAX_PIXELS;
  if (res.filtered && loss.filterLabel && (figure || wanted.has('real') || wanted.has('fake'))) {
    const s = opt.scale === 'max' ? maxScale(res.filtered.real, res.filtered.fake) : opt.scale;
    const gray = (m: Float32Array): Raster => ({ width: W, height: H, channels: 1, data: toLevels(m, s) });
    filtered = { real: gray(res.filtered.real), fake: gray(res.filtered.fake), label: loss.filterLabel };
    png('real', filtered.real);
    png('fake', filtered.fake);
  }
  if (figure) {
    // Figures need opentype.js and the font: loaded only when a figure is drawn.
    const { composeFigure } = await import('./figure.js');
    png('figure', await composeFigure({ real: toRgb8(real), fake: toRgb8(fake), filtered, heatmap, caption: captionFor(loss, res.mean) }));
  }
  if (opt.raw) out.push(Promise.resolve({ kind: 'raw', name: `${stem}.${loss.name}.map.npy`, bytes: encodeNpy(res.map, [H, W]) }));
  return Promise.all(out);
}
