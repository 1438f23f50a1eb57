import type { LossDefinition } from '../losses/types.js';
import { recycleBytes } from '../losses/wasm.js';
import { DEFAULTS, type DecodedImage, type DrawSettings, type FileKind, type LossOutput } from '../model.js';
import { colormapLut } from './colormap.js';
import { encodeNpy } from './npy.js';
import { encodePng } from './png.js';
import { colorize, maxScale, toLevels, toRgb8, type Raster } from './raster.js';

/** What a loss's files need to know about it: its name, caption title and filtered-map label. */
export type LossLabels = Pick<LossDefinition, 'name' | 'title' | 'filterLabel' | 'colormap'>;

export interface RenderedFile {
  /** The loss it belongs to. */
  loss: string;
  kind: FileKind;
  /** File name inside --out. */
  name: string;
  bytes: Buffer;
}

/** Whether drawing these kinds needs the filtered maps (so the engine downloads them only then). */
export function drawsFiltered(draw: DrawSettings): boolean {
  return draw.kinds.some((k) => k === 'real' || k === 'fake' || k === 'figure');
}

/** Inputs above this many pixels get no figure (it would be 8x their size); the other files are written. */
export const FIGURE_MAX_PIXELS = 4 * 2 ** 20;

/** Six decimals, as NectarGAN's figure captions print the mean. */
export function captionFor(loss: LossLabels, mean: number): string {
  return `${loss.title} Heatmap - Mean: ${mean.toFixed(6)}`;
}

/**
 * Encodes every file of one pair, for every loss, in memory, so that nothing is written until all of it
 * succeeded; the encodes run concurrently on sharp's threads.
 */
export async function renderPair(
  losses: readonly LossLabels[],
  outputs: readonly LossOutput[],
  real: DecodedImage,
  fake: DecodedImage,
  stem: string,
  draw: DrawSettings,
  mask?: Uint8Array,
): Promise<RenderedFile[]> {
  return (
    await Promise.all(losses.map((loss, i) => renderFiles(loss, outputs[i], real, fake, stem, draw, mask)))
  ).flat();
}

/**
 * Ignored pixels on a heatmap: diagonal stripes, 8 px apart, in a blue no colour map uses, over dark gray.
 */
const HATCH = { stripe: [0, 140, 255], ground: [48, 48, 48] } as const;

/** The heatmap with every pixel outside `mask` hatched (RGB from then on). */
function hatch(r: Raster, mask: Uint8Array): Raster {
  const rgb =
    r.channels === 3 ? r.data : new Uint8Array(r.width * r.height * 3).map((_, i) => r.data[(i / 3) | 0]);
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) continue;
    const x = i % r.width,
      y = (i / r.width) | 0;
    const c = (x + y) % 8 < 2 ? HATCH.stripe : HATCH.ground;
    rgb.set(c, i * 3);
  }
  return { width: r.width, height: r.height, channels: 3, data: rgb };
}

/** The heatmap's colour map: --colormap, else the loss's own (flip: magma), else gray. */
function colormapOf(opt: DrawSettings, loss: LossLabels): string {
  return opt.colormap ?? loss.colormap ?? DEFAULTS.colormap;
}

/** The heatmap's gray levels, coloured levels and (with a mask) hatched raster. */
async function heatmapOf(
  loss: LossLabels,
  map: Float32Array,
  W: number,
  H: number,
  opt: DrawSettings,
  mask?: Uint8Array,
): Promise<{ plain: Uint8Array; levels: Raster; heatmap: Raster }> {
  // --scale max: the largest value among the compared pixels.
  const heatScale =
    opt.scale === 'max' ? maxScale(mask ? map.map((v, i) => (mask[i] ? v : 0)) : map) : opt.scale;
  const plain = toLevels(map, heatScale);
  const levels = colorize(plain, W, H, await colormapLut(colormapOf(opt, loss)));
  return { plain, levels, heatmap: mask ? hatch(levels, mask) : levels };
}

/**
 * One loss's files. Names: `<stem>.<loss>.<kind>.png` and `<stem>.<loss>.map.npy`, stem being the fake
 * image's base name.
 */
async function renderFiles(
  loss: LossLabels,
  res: LossOutput,
  real: DecodedImage,
  fake: DecodedImage,
  stem: string,
  opt: DrawSettings,
  mask?: Uint8Array,
): Promise<RenderedFile[]> {
  const { width: W, height: H } = real;
  const { plain, levels, heatmap } = await heatmapOf(loss, res.map, W, H, opt, mask);
  // Encodes run concurrently on sharp's threads; the list keeps a fixed order.
  const out: Promise<RenderedFile>[] = [];
  const wanted = new Set<FileKind>(opt.kinds);
  const png = (kind: FileKind, r: Raster) =>
    wanted.has(kind) &&
    out.push(
      encodePng(r).then((bytes) => ({
        loss: loss.name,
        kind,
        name: `${stem}.${loss.name}.${kind}.png`,
        bytes,
      })),
    );
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
    png(
      'figure',
      await composeFigure({
        real: toRgb8(real),
        fake: toRgb8(fake),
        filtered,
        heatmap,
        caption: captionFor(loss, res.value),
      }),
    );
  }
  if (opt.raw)
    out.push(
      Promise.resolve({
        loss: loss.name,
        kind: 'raw',
        name: `${stem}.${loss.name}.map.npy`,
        bytes: encodeNpy(res.map, [H, W]),
      }),
    );
  const files = await Promise.all(out);
  // Encoded: the heatmap's rasters serve the next pair (a fresh 1-3 MB array cost its page faults).
  recycleBytes([plain, levels.data, heatmap.data]);
  return files;
}
