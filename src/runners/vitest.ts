/**
 * nectar-loss for Vitest:
 *
 *   import { expect } from 'vitest';
 *   import { toMatchLossSnapshot } from 'nectar-loss/vitest';
 *   expect.extend({ toMatchLossSnapshot });
 *   await expect(png).toMatchLossSnapshot({ loss: 'sobel', max: { 'sobel.p99': 0.3 } });
 *
 * and, for browser mode's `toMatchScreenshot`, the comparator `nectarLossComparator` (vitest.config:
 * `browser.expect.toMatchScreenshot.comparators: { 'nectar-loss': nectarLossComparator }`).
 */
import type {} from 'vitest';
import type { CompareImagesOptions } from '../engine/session.js';
import { isImageError } from '../errors.js';
import { snapshotMatcher, type LossSnapshotOptions } from './snapshot.js';

export type { LossSnapshotOptions } from './snapshot.js';
export { compareImages, disposeEngine } from '../engine/session.js';
export { UserError } from '../errors.js';

/** The matcher, for `expect.extend({ toMatchLossSnapshot })`; await it. */
export const toMatchLossSnapshot = snapshotMatcher({ update: 'with --update (-u)', ci: 'CI is set' });

/** What Vitest hands a `toMatchScreenshot` comparator: decoded RGBA (pngjs) and its size. */
interface ScreenshotImage {
  metadata: { width: number; height: number };
  data: Uint8Array;
}

/** `comparatorOptions` for `comparatorName: 'nectar-loss'`: compareImages' options. */
export type NectarLossComparatorOptions = Omit<CompareImagesOptions, 'diff' | 'resize'>;

/**
 * A comparator for Vitest browser mode's `toMatchScreenshot`: passes when every gate holds (without
 * `max`/`min`, when the first loss is 0); its diff is the heatmap as RGBA, the size of the screenshot.
 */
export async function nectarLossComparator(
  reference: ScreenshotImage,
  actual: ScreenshotImage,
  options: { createDiff: boolean } & NectarLossComparatorOptions,
): Promise<{ pass: boolean; diff: Uint8Array | null; message: string | null }> {
  const { createDiff, ...given } = options;
  const { withConfig } = await import('../engine/with-config.js');
  const o = await withConfig(given);
  const { compareImages } = await import('../engine/session.js');
  const pixels = (x: ScreenshotImage) => ({ data: x.data, ...x.metadata, channels: 4 as const });
  const gated = o.max === undefined && o.min === undefined ? { ...o, max: 0 } : o;
  try {
    const r = await compareImages(pixels(reference), pixels(actual), {
      ...gated,
      diff: createDiff ? 'failure' : 'never',
      stats: false,
    });
    if (r.pass) return { pass: true, diff: null, message: null };
    return { pass: false, diff: r.diff ? await rgba(r.diff) : null, message: r.failures.join('; ') };
  } catch (err) {
    if (!isImageError(err)) throw err;
    return { pass: false, diff: null, message: err.message };
  }
}

/** A PNG as the RGBA pixels Vitest encodes back (its codec writes 4 channels). */
async function rgba(png: Buffer): Promise<Uint8Array> {
  const { sharp } = await import('../io/sharp.js');
  return sharp(png).ensureAlpha().raw().toBuffer();
}

declare module 'vitest' {
  // The type parameters must be those of the interface it merges into.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars, @typescript-eslint/no-explicit-any
  interface Matchers<T = any> {
    /** Compares the image with its baseline in `__image_snapshots__` (nectar-loss). Await it. */
    toMatchLossSnapshot(options?: LossSnapshotOptions): Promise<void>;
  }
}
