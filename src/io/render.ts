import type { LossDefinition } from '../losses/types.js';
import { recycleBytes } from '../losses/wasm.js';
import {
  DEFAULTS,
  type DecodedImage,
  type DrawSettings,
  type FileKind,
  type LossOutput,
  type Region,
} from '../model.js';
import { colormapLut } from './colormap.js';
import { encodeNpy } from './npy.js';
import { encodePng } from './png.js';
import { colorize, maxScale, outlineBoxes, toLevels, toRgb8, type Raster } from './raster.js';

/** What a loss's files need to know about it: its name, caption, filtered-map label and default look. */
export type LossLabels = Pick<
  LossDefinition,
  'name' | 'title' | 'filterLabel' | 'colormap' | 'higherIsBetter' | 'mapTitle' | 'unit' | 'heatScale'
>;

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

/**
 * A figure's caption. A loss whose value is its map's mean: NectarGAN's `Sobel Heatmap - Mean: 0.365425`
 * (six decimals). A similarity, whose map shows dissimilarity (ssim, psnr): two lines, the map and its mean
 * (three significant digits), then the value and which way is better: `1 − SSIM map, mean 0.378` and
 * `SSIM 0.6219 (higher is better)` (psnr: `PSNR 24.42 dB (higher is better)`).
 */
export function captionFor(loss: LossLabels, value: number, mapMean?: number): string {
  if (!loss.mapTitle || mapMean === undefined) return `${loss.title} Heatmap - Mean: ${value.toFixed(6)}`;
  const shown = Number.isFinite(value)
    ? `${value.toFixed(loss.unit ? 2 : 4)}${loss.unit ? ` ${loss.unit}` : ''}`
    : `${value > 0 ? 'inf' : String(value)}${loss.unit ? ` ${loss.unit}` : ''}`;
  const way = loss.higherIsBetter ? 'higher' : 'lower';
  return (
    `${loss.mapTitle} map, mean ${String(Number(mapMean.toPrecision(3)))}\n` +
    `${loss.title} ${shown} (${way} is better)`
  );
}

/** The mean of the map over the compared pixels (all, or those `mask` keeps), in float64. */
export function mapMean(map: Float32Array, mask?: Uint8Array): number {
  let sum = 0,
    n = 0;
  for (let i = 0; i < map.length; i++) {
    if (mask && !mask[i]) continue;
    sum += map[i]!;
    n++;
  }
  return n ? sum / n : 0;
}

/**
 * The heatmap's scale: --scale, else the loss's own for this data range (psnr: 0.01·L²), else the default 1.
 */
export function heatScaleOf(opt: DrawSettings, loss: LossLabels, dataRange = 1): number | 'max' {
  return opt.scale ?? loss.heatScale?.(dataRange) ?? DEFAULT_SCALE;
}

/** The scale of a loss that names none, and of filtered maps, when --scale is not given. */
const DEFAULT_SCALE = 1;

/** What is drawn, and the boxes outlined on the heatmaps. */
type Draw = DrawSettings & { boxes?: readonly Region[] };

/**
 * Encodes every file of one pair, for every loss, in memory, so that nothing is written until all of it
 * succeeded; the encodes run concurrently on sharp's threads. The pair's changed regions, when given (and
 * `draw.regionBoxes` is not false), are outlined on every heatmap (outlineBoxes: 1 px).
 */
export async function renderPair(
  losses: readonly LossLabels[],
  outputs: readonly LossOutput[],
  real: DecodedImage,
  fake: DecodedImage,
  stem: string,
  draw: DrawSettings,
  mask?: Uint8Array,
  dataRange = 1,
  regions?: readonly Region[],
): Promise<RenderedFile[]> {
  const opt: Draw = { ...draw, ...(draw.regionBoxes !== false && regions ? { boxes: regions } : {}) };
  return (
    await Promise.all(
      losses.map((loss, i) => renderFiles(loss, outputs[i], real, fake, stem, opt, mask, dataRange)),
    )
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

/** The heatmap's gray levels, coloured levels and (with a mask) hatched raster, boxes outlined. */
async function heatmapOf(
  loss: LossLabels,
  map: Float32Array,
  W: number,
  H: number,
  opt: Draw,
  mask: Uint8Array | undefined,
  dataRange: number,
): Promise<{ plain: Uint8Array; levels: Raster; heatmap: Raster }> {
  const scale = heatScaleOf(opt, loss, dataRange);
  // --scale max: the largest value among the compared pixels.
  const heatScale = scale === 'max' ? maxScale(mask ? map.map((v, i) => (mask[i] ? v : 0)) : map) : scale;
  const plain = toLevels(map, heatScale);
  const levels = colorize(plain, W, H, await colormapLut(colormapOf(opt, loss)));
  const heatmap = mask ? hatch(levels, mask) : levels;
  // In place: nothing reads the levels again but the figure, which shows the outlined heatmap.
  if (opt.boxes?.length) outlineBoxes(heatmap, opt.boxes);
  return { plain, levels, heatmap };
}

/** The filtered maps' scale: --scale (max: the larger of the two maps' maxima), else 1. */
function filteredScale(opt: DrawSettings, f: { real: Float32Array; fake: Float32Array }): number {
  const given = opt.scale ?? DEFAULT_SCALE;
  return given === 'max' ? maxScale(f.real, f.fake) : given;
}

/**
 * One loss's files. Names: `<stem>.<loss>.<kind>.png` and `<stem>.<loss>.map.npy`, stem being the fake
 * image's base name. Encodes run concurrently on sharp's threads; the list keeps a fixed order.
 */
async function renderFiles(
  loss: LossLabels,
  res: LossOutput,
  real: DecodedImage,
  fake: DecodedImage,
  stem: string,
  opt: Draw,
  mask: Uint8Array | undefined,
  dataRange: number,
): Promise<RenderedFile[]> {
  const { width: W, height: H } = real;
  const { plain, levels, heatmap } = await heatmapOf(loss, res.map, W, H, opt, mask, dataRange);
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
    const s = filteredScale(opt, res.filtered);
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
        caption: captionFor(loss, res.value, loss.mapTitle ? mapMean(res.map, mask) : undefined),
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
