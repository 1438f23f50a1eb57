/**
 * The kind of a changed region, chosen by stated rules from the pair's pixels inside the region's box (see
 * docs/regions.md). The rules run in this order; the first that holds names the kind:
 *
 * 1. shift:     a displacement d with 1 <= max(|dx|, |dy|) <= k (k = --shift-tolerance, or 1) leaves at most
 *               EXPLAINED of the unshifted difference.
 * 2. level:     at least half the box's pixels changed, and at least 90 % of the changed ones changed by the
 *               same small gray step (every channel within 1.5 levels of their mean, that mean within 2
 *               levels of the most common one, at most LEVEL_MAX levels).
 * 3. rendering: at most 2 % of the changed pixels (at most 2 if fewer; tested on at most RENDERING_SAMPLES of
 *               them, evenly spread) lie off the colour line of
 *               the other image's 3x3 neighbourhood (the line through its darkest and brightest pixel, to
 *               within LINE_TOL levels), both ways: anti-aliasing, sub-pixel text positioning and hinting
 *               only blend, more or less, colours that were already there (a glyph's coverage moved by a
 *               fraction of a pixel can make a pixel darker than any neighbour was, on the same line).
 * 4. colour:    the real colours of the box, widened by MARGIN px, map to fake colours as a function (at
 *               least 97 % of its pixels take their real colour's most common fake colour), and the fake
 *               colours back to real ones likewise: the same structure, recoloured (the margin holds the unchanged surroundings, so a new shape on a
 *               plain background is not a recoloured rectangle).
 * 5. moved:     a displacement with k < max(|dx|, |dy|) <= --max-displacement leaves at most EXACT of the
 *               unshifted difference: an element moved by whole pixels, not redrawn.
 * 6. rendering: piecewise (pieces.ts): cut at its unchanged rows and columns, every piece passes rule 3 once
 *               shifted by at most PIECE_DX px across and PIECE_DY px up or down (full font hinting: words
 *               moved by a few whole pixels each, their glyphs redrawn).
 * 7. moved:     a displacement with k < max(|dx|, |dy|) <= --max-displacement leaves at most EXPLAINED of the
 *               unshifted difference.
 * 8. content:   none of the above: structure that no displacement explains.
 */
import { hostLevel, hostRendering, hostShiftedRendering } from '../../losses/map-scan.js';
import type { Kind, RawImage } from '../../model.js';
import { bestDisplacement, displacedError, strideOf, type Box } from './displacement.js';
import { isPiecewiseRendering } from './pieces.js';

/** A displacement explains a region when it leaves at most this fraction of the unshifted difference. */
export const EXPLAINED = 0.2;
/** A displacement moves a region exactly (an element moved, not redrawn) when it leaves at most this much. */
export const EXACT = 0.05;
/** A level change is at most this many levels (of 255). */
export const LEVEL_MAX = 16;
/** How far (levels of 255, RGB distance) a blended pixel may lie off its neighbourhood's colour line. */
export const LINE_TOL = 24;
/** The rendering rule tests at most about this many changed pixels of a region (evenly spread). */
export const RENDERING_SAMPLES = 256;
/** The level and colour rules read at most about this many pixels of a box (a grid with a stride). */
export const SAMPLES_LEVEL = 4096;
/** The colour rule looks this far around the region's box. */
export const MARGIN = 2;

/** Severity, worst last: a pair's kind is its worst region's, and regions are listed worst first. */
export const SEVERITY: Readonly<Record<Kind, number>> = {
  identical: 0,
  rendering: 1,
  level: 2,
  shift: 3,
  moved: 4,
  colour: 5,
  content: 6,
};

export interface Classified {
  kind: Kind;
  displacement: [number, number];
}

/** A sample of an image scaled to 0..255. */
const at = (im: RawImage, i: number) => (im.samples[i]! * 255) / im.max;

/** The level rule's histogram of steps (-255..255), reused. */
const levelHist = new Uint32Array(2 * 255 + 1);

/**
 * Rule 2: a uniform small gray step over most of the box. Two passes over a grid of the box, no allocation
 * per pixel; the first stops once more than half the grid is unchanged (then changed * 2 < pixels) or too
 * many changed pixels are not gray (then gray < 0.9 changed): the same answer, sooner.
 */
export function isLevel(real: RawImage, fake: RawImage, box: Box): boolean {
  const stride = strideOf(box, SAMPLES_LEVEL);
  return hostLevel(real, fake, box, stride, LEVEL_MAX) ?? levelRule(real, fake, box, stride);
}

/** Rule 2 in TypeScript, which the map-scan kernel's `level` stands in for (the pair keepPair holds). */
export function levelRule(
  real: RawImage,
  fake: RawImage,
  box: Box,
  stride = strideOf(box, SAMPLES_LEVEL),
): boolean {
  const hist = levelHist.fill(0);
  const w = real.width;
  const pixels = Math.ceil(box.width / stride) * Math.ceil(box.height / stride);
  let unchanged = 0,
    changed = 0,
    gray = 0,
    notGray = 0;
  for (let y = box.y; y < box.y + box.height; y += stride)
    for (let x = box.x, i = (y * w + x) * 3; x < box.x + box.width; x += stride, i += 3 * stride) {
      const m = step(real, fake, i);
      if (Number.isNaN(m)) {
        if (++unchanged * 2 > pixels) return false;
        continue;
      }
      changed++;
      if (m !== Infinity) gray++;
      // More than a tenth (and one) of the most that can change is not gray: gray < 0.9 changed.
      else if (10 * ++notGray > pixels - unchanged + 10) return false;
      hist[Math.round(m === Infinity ? meanStep(real, fake, i) : m) + 255]!++;
    }
  if (changed * 2 < pixels || gray < 0.9 * changed) return false;
  let mode = 0;
  for (let v = 1; v < hist.length; v++) if (hist[v]! > hist[mode]!) mode = v;
  mode -= 255;
  if (mode === 0 || Math.abs(mode) > LEVEL_MAX) return false;
  let near = 0;
  for (let y = box.y; y < box.y + box.height; y += stride)
    for (let x = box.x, i = (y * w + x) * 3; x < box.x + box.width; x += stride, i += 3 * stride)
      if (!Number.isNaN(step(real, fake, i)) && Math.abs(meanStep(real, fake, i) - mode) <= 2) near++;
  return near >= 0.9 * changed;
}

/** The mean step (levels of 255) of pixel i from real to fake. */
function meanStep(real: RawImage, fake: RawImage, i: number): number {
  return (
    (at(fake, i) - at(real, i) + at(fake, i + 1) - at(real, i + 1) + at(fake, i + 2) - at(real, i + 2)) / 3
  );
}

/** Pixel i's gray step: NaN when unchanged, Infinity when its channels' steps differ by more than 1.5. */
function step(real: RawImage, fake: RawImage, i: number): number {
  const d0 = at(fake, i) - at(real, i),
    d1 = at(fake, i + 1) - at(real, i + 1),
    d2 = at(fake, i + 2) - at(real, i + 2);
  if (d0 === 0 && d1 === 0 && d2 === 0) return NaN;
  const m = (d0 + d1 + d2) / 3;
  return Math.max(Math.abs(d0 - m), Math.abs(d1 - m), Math.abs(d2 - m)) <= 1.5 ? m : Infinity;
}

/** The box widened by m px on each side, inside the image. */
export function widen(b: Box, m: number, im: RawImage): Box {
  const x = Math.max(0, b.x - m),
    y = Math.max(0, b.y - m);
  return {
    x,
    y,
    width: Math.min(im.width, b.x + b.width + m) - x,
    height: Math.min(im.height, b.y + b.height + m) - y,
  };
}

/**
 * Whether pixel (x, y) of `a` lies more than LINE_TOL levels off the line through the darkest and brightest
 * colours of `b`'s 3x3 neighbourhood around (x, y) (luma 299 R + 587 G + 114 B, whole numbers; the first of
 * equals; from the one colour, when they are equal). With p = a - darkest and d = brightest - darkest (scaled
 * to 0..255), the squared distance |p|^2 - (d.p)^2 / |d|^2 is compared times |d|^2: no division or root,
 * and exact for 8-bit images, as the map-scan kernel computes it. No allocation: it runs for every changed
 * pixel.
 */
function offLine(a: RawImage, b: RawImage, x: number, y: number): boolean {
  const bs = b.samples,
    w = b.width;
  let lo = 0,
    hi = 0,
    loL = Infinity,
    hiL = -Infinity;
  for (let v = Math.max(0, y - 1); v <= Math.min(b.height - 1, y + 1); v++)
    for (let u = Math.max(0, x - 1); u <= Math.min(w - 1, x + 1); u++) {
      const j = (v * w + u) * 3,
        l = 299 * bs[j]! + 587 * bs[j + 1]! + 114 * bs[j + 2]!;
      if (l < loL) {
        loL = l;
        lo = j;
      }
      if (l > hiL) {
        hiL = l;
        hi = j;
      }
    }
  const k = 255 / b.max,
    i = (y * a.width + x) * 3,
    as = a.samples,
    ka = 255 / a.max;
  const s0 = bs[lo]! * k,
    s1 = bs[lo + 1]! * k,
    s2 = bs[lo + 2]! * k;
  const d0 = bs[hi]! * k - s0,
    d1 = bs[hi + 1]! * k - s1,
    d2 = bs[hi + 2]! * k - s2;
  const p0 = as[i]! * ka - s0,
    p1 = as[i + 1]! * ka - s1,
    p2 = as[i + 2]! * ka - s2;
  const dd = d0 * d0 + d1 * d1 + d2 * d2,
    dp = d0 * p0 + d1 * p1 + d2 * p2,
    pp = p0 * p0 + p1 * p1 + p2 * p2,
    tol2 = LINE_TOL * LINE_TOL;
  return dd > 0 ? pp * dd - dp * dp > tol2 * dd : pp > tol2;
}

/** Whether pixel i (sample index) differs between the two sample arrays. */
const differs = (rs: RawImage['samples'], fs: RawImage['samples'], i: number) =>
  rs[i] !== fs[i] || rs[i + 1] !== fs[i + 1] || rs[i + 2] !== fs[i + 2];

/** The changed pixels' positions (y * width + x) of the last box, reused: they fill it in row-major order. */
let changedAt = new Int32Array(0);

/** Rule 3: the changed pixels only blend colours their neighbourhood already had, both ways. */
export function isRendering(real: RawImage, fake: RawImage, box: Box): boolean {
  return hostRendering(real, fake, box, RENDERING_SAMPLES, LINE_TOL) ?? renderingRule(real, fake, box);
}

/** Rule 3 in TypeScript, which the map-scan kernel's `rendering` stands in for (8-bit images). */
export function renderingRule(real: RawImage, fake: RawImage, box: Box): boolean {
  const rs = real.samples,
    fs = fake.samples,
    w = real.width;
  if (changedAt.length < box.width * box.height) changedAt = new Int32Array(box.width * box.height);
  let changed = 0;
  for (let y = box.y; y < box.y + box.height; y++)
    for (let p = y * w + box.x, end = p + box.width; p < end; p++)
      if (differs(rs, fs, 3 * p)) changedAt[changed++] = p;
  if (!changed) return false;
  // At most about RENDERING_SAMPLES changed pixels are tested, evenly spread over the changed ones.
  const every = Math.ceil(changed / RENDERING_SAMPLES);
  const tested = Math.floor(changed / every);
  const cap = Math.max(2, 0.02 * tested);
  let off = 0;
  for (let j = 0; j < changed; j += every) {
    const p = changedAt[j]!,
      x = p % w,
      y = (p - x) / w;
    if (offLine(fake, real, x, y) || offLine(real, fake, x, y)) off++;
    if (off > cap) return false;
  }
  return true;
}

/** The colour rule's sampled (a colour, b colour) pairs, reused: a * 2^24 + b, whole numbers below 2^48. */
let colourPairs = new Float64Array(0);

/**
 * The fraction of the box's pixels whose `a` colour maps to that colour's most common `b` colour: the
 * pairs sorted, so each a colour's pairs lie together and each (a, b) pair's in one run.
 */
function functional(a: RawImage, b: RawImage, box: Box): { fraction: number; changed: number } {
  const stride = strideOf(box, SAMPLES_LEVEL);
  // 8-bit samples are their own levels.
  const key = (im: RawImage, i: number) =>
    im.max === 255
      ? (im.samples[i]! << 16) | (im.samples[i + 1]! << 8) | im.samples[i + 2]!
      : (Math.round(at(im, i)) << 16) | (Math.round(at(im, i + 1)) << 8) | Math.round(at(im, i + 2));
  const most = Math.ceil(box.width / stride) * Math.ceil(box.height / stride);
  if (colourPairs.length < most) colourPairs = new Float64Array(most);
  let pixels = 0,
    changed = 0;
  for (let y = box.y; y < box.y + box.height; y += stride)
    for (let x = box.x, i = (y * a.width + x) * 3; x < box.x + box.width; x += stride, i += 3 * stride) {
      const r = key(a, i),
        f = key(b, i);
      if (r !== f) changed++;
      colourPairs[pixels++] = r * 2 ** 24 + f;
    }
  const v = colourPairs.subarray(0, pixels).sort();
  // Per a colour (a run of one v / 2^24), its longest run of one pair.
  let consistent = 0,
    best = 0,
    run = 0;
  for (let j = 0; j < pixels; j++) {
    if (j === 0 || Math.floor(v[j]! / 2 ** 24) !== Math.floor(v[j - 1]! / 2 ** 24)) {
      consistent += best;
      best = 0;
      run = 1;
    } else run = v[j] === v[j - 1] ? run + 1 : 1;
    if (run > best) best = run;
  }
  return { fraction: (consistent + best) / pixels, changed };
}

/** The piecewise rule's test of one shift on the held pair (pieces.ts's ShiftedTest), in the kernel. */
const shiftedRendering = (real: RawImage, fake: RawImage, box: Box, dx: number, dy: number) =>
  hostShiftedRendering(real, fake, box, dx, dy, RENDERING_SAMPLES, LINE_TOL);

/** Rule 4: around the region, real colours map to fake colours as a function, and back. */
export function isColour(real: RawImage, fake: RawImage, region: Box): boolean {
  const box = widen(region, MARGIN, real);
  const there = functional(real, fake, box);
  return there.changed > 0 && there.fraction >= 0.97 && functional(fake, real, box).fraction >= 0.97;
}

/** The kind of one region and the displacement that explains it ([0, 0] when none does). */
export function classify(
  real: RawImage,
  fake: RawImage,
  box: Box,
  k: number,
  maxDisplacement: number,
): Classified {
  const stride = strideOf(box);
  const e0 = displacedError(real, fake, box, 0, 0, stride);
  const none: [number, number] = [0, 0];
  // The map differs where the pixels do not (a windowed loss's halo): nothing but rendering.
  if (e0 === 0) return { kind: 'rendering', displacement: none };
  const near = bestDisplacement(real, fake, box, 1, k, stride, EXPLAINED * e0);
  if (near.error <= EXPLAINED * e0) return { kind: 'shift', displacement: near.d };
  if (isLevel(real, fake, box)) return { kind: 'level', displacement: none };
  if (isRendering(real, fake, box)) return { kind: 'rendering', displacement: none };
  if (isColour(real, fake, box)) return { kind: 'colour', displacement: none };
  const far =
    maxDisplacement > k
      ? bestDisplacement(real, fake, box, k + 1, maxDisplacement, stride, EXPLAINED * e0)
      : { d: none, error: Infinity };
  if (far.error <= EXACT * e0) return { kind: 'moved', displacement: far.d };
  if (isPiecewiseRendering(real, fake, box, isRendering, shiftedRendering))
    return { kind: 'rendering', displacement: none };
  if (far.error <= EXPLAINED * e0) return { kind: 'moved', displacement: far.d };
  return { kind: 'content', displacement: none };
}
