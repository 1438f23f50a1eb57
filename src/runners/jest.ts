/**
 * nectar-loss for Jest:
 *
 *   import { expect } from '@jest/globals';
 *   import { toMatchLossSnapshot } from 'nectar-loss/jest';
 *   expect.extend({ toMatchLossSnapshot });
 *   await expect(png).toMatchLossSnapshot({ loss: 'sobel', max: { 'sobel.p99': 0.3 } });
 *
 * Baselines go to `__image_snapshots__/` beside the test file; the first run writes them, `-u` rewrites those
 * that fail, `--ci` fails on a missing one; a failure writes the diff to `__image_snapshots__/__diff_output__/`.
 * The engine is loaded on the first assertion (importing this module loads no TensorFlow.js).
 */
import type {} from 'expect';
import { snapshotMatcher, type LossSnapshotOptions } from './snapshot.js';

export type { LossSnapshotOptions } from './snapshot.js';
export { compareImages, disposeEngine } from '../engine/session.js';
export { UserError } from '../errors.js';

/** The matcher, for `expect.extend({ toMatchLossSnapshot })`; await it. */
export const toMatchLossSnapshot = snapshotMatcher({ update: 'with -u', ci: '--ci' });

declare module 'expect' {
  // The type parameters must be those of the interface it merges into.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface Matchers<R extends void | Promise<void>, T = unknown> {
    /** Compares the image with its baseline in `__image_snapshots__` (nectar-loss). Await it. */
    toMatchLossSnapshot(options?: LossSnapshotOptions): Promise<R>;
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      /** Compares the image with its baseline in `__image_snapshots__` (nectar-loss). Await it. */
      toMatchLossSnapshot(options?: LossSnapshotOptions): Promise<R>;
    }
  }
}
