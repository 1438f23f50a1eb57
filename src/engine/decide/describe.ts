/**
 * A pair described as a reviewer would: its changed regions (regions.ts), each with its kind and the
 * displacement that explains it (kinds.ts), worst first, and the pair's kind (the worst region's).
 */
import { keepPair } from '../../losses/map-scan.js';
import type { Kind, Range, RawImage, Region, RegionSettings } from '../../model.js';
import { classify, SEVERITY } from './kinds.js';
import { findRegions } from './regions.js';

export { changeText } from '../../io/change.js';

/**
 * Each loss's default per-pixel threshold in the unit range (x = sample / max), chosen so that a region is a
 * difference a reviewer can see: l1 and l2 any change (below one level of 255), sobel and laplacian an edge
 * whose response changed by 0.1 (a 6-level step's Sobel response is 0.09), ssim a local SSIM below 0.95,
 * flip an error of 0.05. The signed range doubles l1, sobel and laplacian's thresholds and quadruples l2's.
 */
export const REGION_THRESHOLDS: Readonly<Record<string, number>> = {
  l1: 0.001,
  l2: 4e-6,
  sobel: 0.1,
  laplacian: 0.1,
  ssim: 0.05,
  psnr: 4e-6,
  flip: 0.05,
};
/** Losses not in the table. */
export const FALLBACK_THRESHOLD = 0.05;

/** The threshold a loss's map is cut at by default, in the given range. */
export function defaultThreshold(loss: string, range: Range): number {
  const t = REGION_THRESHOLDS[loss] ?? FALLBACK_THRESHOLD;
  if (range === 'unit') return t;
  return loss === 'l2' || loss === 'psnr' ? 4 * t : ['l1', 'sobel', 'laplacian'].includes(loss) ? 2 * t : t;
}

/** The threshold a loss's map is cut at: the settings' own, else the loss's default in the range. */
export function regionThreshold(loss: string, range: Range, settings: RegionSettings): number {
  return settings.threshold ?? defaultThreshold(loss, range);
}

export interface DescribeInput {
  loss: string;
  map: Float32Array;
  real: RawImage;
  fake: RawImage;
  mask?: Uint8Array;
  range: Range;
  /** --shift-tolerance k: displacements up to max(k, 1) are `shift`. */
  shift: number;
  settings: RegionSettings;
  /** The map's largest compared entry, when known (its statistics): at most the threshold, no region. */
  max?: number;
}

/** Worst first: by kind, then by max, then by area. */
export function worstFirst(a: Region, b: Region): number {
  return SEVERITY[b.kind] - SEVERITY[a.kind] || b.max - a.max || b.area - a.area;
}

/** The pair's regions, worst first, and its kind (`identical` without regions). */
export function describePair(p: DescribeInput): { kind: Kind; regions: Region[] } {
  const { width, height } = p.real;
  const threshold = regionThreshold(p.loss, p.range, p.settings);
  // No entry above the threshold: the regions' pass would find none.
  if (p.max !== undefined && !(p.max > threshold)) return { kind: 'identical', regions: [] };
  const found = findRegions(p.map, width, height, { threshold, minArea: p.settings.minArea, mask: p.mask });
  const k = Math.max(1, p.shift);
  // The kinds' rules read the pixels in the map-scan kernel, from one copy of the pair.
  const regions = keepPair(p.real, p.fake, () =>
    found.map((r): Region => ({ ...r, ...classify(p.real, p.fake, r, k, p.settings.maxDisplacement) })),
  ).sort(worstFirst);
  return { kind: pairKind(regions), regions };
}

/** A pair's kind: its worst region's; `identical` without regions. */
export function pairKind(regions: readonly Region[]): Kind {
  return regions.reduce<Kind>((w, r) => (SEVERITY[r.kind] > SEVERITY[w] ? r.kind : w), 'identical');
}
