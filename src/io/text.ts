import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type opentype from 'opentype.js';
import { sharp } from './sharp.js';
import type { Raster } from './raster.js';

/**
 * Figure text. Glyph outlines come from Lato Regular (the face of NectarGAN's figures), shipped by the
 * @fontsource/lato package (SIL OFL 1.1) and parsed by opentype.js; librsvg inside sharp fills the outline
 * paths. No system font or fontconfig lookup is involved, so text renders the same on every machine.
 */
const require = createRequire(import.meta.url);
// require(), not import: Node would first scan the CommonJS bundle for export names.
const { parse } = require('opentype.js') as typeof opentype;
let font: opentype.Font | undefined;

function lato(): opentype.Font {
  if (!font) {
    const buf = readFileSync(require.resolve('@fontsource/lato/files/lato-latin-400-normal.woff'));
    font = parse(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  }
  return font;
}

/**
 * SVG path data from opentype.js path commands. (opentype.js 1.3's own toPathData emits NaN for some
 * strings, which makes librsvg stop drawing mid-text.)
 */
function pathData(p: opentype.Path): string {
  const n = (v: number) => String(Math.round(v * 100) / 100);
  return p.commands
    .map((c) => {
      switch (c.type) {
        case 'M':
        case 'L':
          return `${c.type}${n(c.x)} ${n(c.y)}`;
        case 'Q':
          return `Q${n(c.x1)} ${n(c.y1)} ${n(c.x)} ${n(c.y)}`;
        case 'C':
          return `C${n(c.x1)} ${n(c.y1)} ${n(c.x2)} ${n(c.y2)} ${n(c.x)} ${n(c.y)}`;
        case 'Z':
          return 'Z';
      }
    })
    .join('');
}

export function textWidth(text: string, size: number): number {
  return lato().getAdvanceWidth(text, size);
}

/**
 * Draws `text` in colour `rgb` onto an RGB raster, the left end of its baseline at (x, baseline), clipped to
 * the raster; coverage from the rasterised outline blends the colour over what is there.
 */
export async function drawText(
  canvas: Raster,
  text: string,
  x: number,
  baseline: number,
  size: number,
  rgb: [number, number, number],
): Promise<void> {
  const { data, width, height, channels, ascent } = await coverage(text, size);
  const ox = Math.round(x) - 1,
    oy = Math.round(baseline) - ascent;
  for (let y = 0; y < height; y++) {
    const cy = oy + y;
    if (cy < 0 || cy >= canvas.height) continue;
    for (let xx = 0; xx < width; xx++) {
      const cx = ox + xx;
      if (cx < 0 || cx >= canvas.width) continue;
      const a = data[(y * width + xx) * channels + channels - 1];
      if (!a) continue;
      const o = (cy * canvas.width + cx) * 3;
      for (let c = 0; c < 3; c++)
        canvas.data[o + c] = Math.round((rgb[c] * a + canvas.data[o + c] * (255 - a)) / 255);
    }
  }
}

interface Coverage {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
  ascent: number;
}

/**
 * The rasterised outline of `text` at `size` (librsvg in sharp), kept for reuse: a batch draws the same
 * labels (`y_real`, `y_fake_sobel`, …) on every figure. At most LABELS entries are kept.
 */
const rendered = new Map<string, Promise<Coverage>>();
const LABELS = 256;

function coverage(text: string, size: number): Promise<Coverage> {
  const key = `${size}\u0000${text}`;
  let c = rendered.get(key);
  if (!c) {
    c = rasterize(text, size);
    if (rendered.size >= LABELS) rendered.delete(rendered.keys().next().value!);
    rendered.set(key, c);
  }
  return c;
}

async function rasterize(text: string, size: number): Promise<Coverage> {
  const ascent = Math.ceil(size * 1.05);
  const w = Math.max(1, Math.ceil(textWidth(text, size)) + 2);
  const h = Math.max(1, ascent + Math.ceil(size * 0.35));
  const d = pathData(lato().getPath(text, 1, ascent, size));
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><path d="${d}" ` +
    `fill="#fff"/></svg>`;
  const { data, info } = await sharp(Buffer.from(svg))
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels, ascent };
}

/**
 * SVG path data for `text` in Lato, its baseline's left end at (x, y); `anchor` end/middle shifts it left.
 */
export function textPathData(
  text: string,
  x: number,
  y: number,
  size: number,
  anchor: 'start' | 'middle' | 'end' = 'start',
): string {
  const w = textWidth(text, size);
  const dx = anchor === 'end' ? w : anchor === 'middle' ? w / 2 : 0;
  return pathData(lato().getPath(text, x - dx, y, size));
}
