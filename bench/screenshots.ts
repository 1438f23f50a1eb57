/**
 * A seeded generator of the CI screenshot workload (issue 23): synthetic 1280x720 web pages (a header bar,
 * a navigation column, paragraphs of Lato text, rules, buttons and picture blocks), rendered by librsvg
 * (sharp) with antialiasing, and pairs of three kinds:
 *   - identical: the same file (half of them byte-identical copies, half re-encoded at another zlib level,
 *     so their bytes differ but their pixels do not);
 *   - noise: the same page with rendering noise, as two browser runs give: text moved by a fraction of a
 *     pixel (antialiasing changes), and +-1..2 levels of colour noise over the pictures;
 *   - changed: the noise plus one real change (a word, a moved block, a colour, a missing line).
 * Same seed, same files. The pairs are shuffled so that every worker sees a mix.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { textPathData } from '../src/io/text.js';

export const WIDTH = 1280;
export const HEIGHT = 720;
export type PairKind = 'identical' | 'noise' | 'changed';

/** Mulberry32: a small, well-mixed seeded generator. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const WORDS = (
  'the quick brown fox jumps over lazy dog visual regression screenshot pixel render layout button ' +
  'account settings profile search results order history payment invoice shipping delivery update ' +
  'release notes version download install configure deploy server client request response cache'
).split(' ');

/** A page: its elements, each an SVG fragment that a variant may jitter or change. */
interface Page {
  text: { x: number; y: number; size: number; words: string[]; fill: string }[];
  rects: { x: number; y: number; w: number; h: number; fill: string }[];
  pictures: { x: number; y: number; w: number; h: number; hue: number; seed: number }[];
}

function makePage(r: () => number): Page {
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;
  const hue = Math.floor(r() * 360);
  const page: Page = { text: [], rects: [], pictures: [] };
  page.rects.push({ x: 0, y: 0, w: WIDTH, h: 56, fill: `hsl(${hue},55%,35%)` });
  page.text.push({ x: 24, y: 36, size: 22, words: ['Dashboard', pick(WORDS)], fill: '#ffffff' });
  page.rects.push({ x: 0, y: 56, w: 220, h: HEIGHT - 56, fill: '#f3f4f6' });
  for (let i = 0; i < 10; i++)
    page.text.push({ x: 24, y: 96 + i * 30, size: 15, words: [pick(WORDS), pick(WORDS)], fill: '#374151' });
  let y = 90;
  while (y < HEIGHT - 40) {
    const roll = r();
    if (roll < 0.55) {
      const lines = 2 + Math.floor(r() * 4);
      for (let l = 0; l < lines && y < HEIGHT - 20; l++, y += 22) {
        const words = Array.from({ length: 6 + Math.floor(r() * 8) }, () => pick(WORDS));
        page.text.push({ x: 248, y, size: 14 + Math.floor(r() * 3), words, fill: '#111827' });
      }
      y += 10;
    } else if (roll < 0.7) {
      page.rects.push({ x: 248, y, w: WIDTH - 280, h: 1, fill: '#d1d5db' });
      y += 18;
    } else if (roll < 0.85) {
      page.rects.push({ x: 248, y: y - 16, w: 120, h: 34, fill: `hsl(${hue},70%,45%)` });
      page.text.push({ x: 262, y: y + 6, size: 15, words: ['Submit', 'form'], fill: '#ffffff' });
      y += 44;
    } else {
      const h = 80 + Math.floor(r() * 80);
      page.pictures.push({ x: 248, y: y - 10, w: 200 + Math.floor(r() * 300), h, hue, seed: r() * 1e9 });
      y += h + 16;
    }
  }
  return page;
}

/** Noise and changes applied to a page when it is drawn. */
interface Variant {
  /** Sub-pixel offset of the text (antialiasing changes). */
  jitter?: number;
  /** Colour noise amplitude over the pictures (levels). */
  noise?: number;
  change?: (p: Page) => Page;
}

function svgOf(p: Page, v: Variant): string {
  const j = v.jitter ?? 0;
  const parts = p.rects.map(
    (q) => `<rect x="${q.x}" y="${q.y}" width="${q.w}" height="${q.h}" fill="${q.fill}"/>`,
  );
  for (const t of p.text)
    parts.push(
      `<path fill="${t.fill}" d="${textPathData(t.words.join(' '), t.x + j, t.y + j / 2, t.size)}"/>`,
    );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}"><rect width="100%" height="100%" fill="#fff"/>${parts.join('')}</svg>`;
}

/** A picture: smooth colour waves (compresses like a photo thumbnail, not like flat colour). */
function paintPictures(raw: Buffer, p: Page, v: Variant): void {
  for (const q of p.pictures) {
    const r = rng(q.seed);
    const [fx, fy, ph] = [0.01 + r() * 0.05, 0.01 + r() * 0.05, r() * 6];
    const noise = rng(q.seed + 1 + (v.noise ? 7 : 0));
    for (let y = q.y; y < Math.min(HEIGHT, q.y + q.h); y++)
      for (let x = q.x; x < Math.min(WIDTH, q.x + q.w); x++) {
        const i = (y * WIDTH + x) * 3;
        const s = Math.sin(x * fx + ph) * Math.cos(y * fy - ph);
        for (let c = 0; c < 3; c++) {
          const base = 128 + 100 * s * Math.cos(c + q.hue / 60) + 20 * Math.sin((x + y) * 0.2 + c);
          const n = v.noise ? Math.round((noise() * 2 - 1) * v.noise) : 0;
          raw[i + c] = Math.max(0, Math.min(255, Math.round(base) + n));
        }
      }
  }
}

async function render(p: Page, v: Variant, file: string, level = 6): Promise<void> {
  const page = v.change ? v.change(structuredClone(p)) : p;
  const { data } = await sharp(Buffer.from(svgOf(page, v)))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  paintPictures(data, page, v);
  await sharp(data, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
    .png({ compressionLevel: level })
    .toFile(file);
}

/** One real change, chosen by `roll`. */
function changeOf(roll: number, r: () => number): (p: Page) => Page {
  return (p) => {
    const t = p.text[1 + Math.floor(r() * (p.text.length - 1))]!;
    if (roll < 0.3) t.words[Math.floor(r() * t.words.length)] = 'changed';
    else if (roll < 0.55) (p.pictures[0] ?? p.rects[1]!).y += 12 + Math.floor(r() * 20);
    else if (roll < 0.8) p.rects[0]!.fill = '#7c2d12';
    else p.text.splice(p.text.indexOf(t), 1);
    return p;
  };
}

export interface Workload {
  real: string;
  fake: string;
  kinds: Record<string, PairKind>;
}

/**
 * `count` pairs (20% identical, 55% noise, 25% changed: 40/110/50 for 200) under `dir`/real and
 * `dir`/fake, made once per seed and count (kept in `dir`).
 */
export async function makeScreenshots(dir: string, count: number, seed = 23): Promise<Workload> {
  const real = path.join(dir, 'real'),
    fake = path.join(dir, 'fake');
  const r = rng(seed);
  const identical = Math.round(count * 0.2),
    noise = Math.round(count * 0.55);
  const kinds: PairKind[] = Array.from({ length: count }, (_, i) =>
    i < identical ? 'identical' : i < identical + noise ? 'noise' : 'changed',
  );
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const names: Record<string, PairKind> = {};
  const done = path.join(dir, 'done');
  mkdirSync(real, { recursive: true });
  mkdirSync(fake, { recursive: true });
  let same = 0;
  for (const [i, kind] of kinds.entries()) {
    const name = `s${String(i).padStart(4, '0')}.png`;
    names[name] = kind;
    const page = makePage(r);
    const v: Variant = { jitter: 0.25 + r() * 0.35, noise: 1 + Math.floor(r() * 2) };
    if (kind === 'changed') v.change = changeOf(r(), rng(Math.floor(r() * 1e9)));
    if (existsSync(done)) continue;
    await render(page, {}, path.join(real, name));
    // Identical pairs: alternately the same bytes, and the same pixels re-encoded at another zlib level.
    if (kind === 'identical') await render(page, {}, path.join(fake, name), same++ % 2 ? 6 : 9);
    else await render(page, v, path.join(fake, name));
  }
  writeFileSync(done, `${count} ${seed}\n`);
  return { real, fake, kinds: names };
}
