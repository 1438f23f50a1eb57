/**
 * nectar-loss for Playwright Test:
 *
 *   import { expect as base, test } from '@playwright/test';
 *   import { toMatchLossSnapshot } from 'nectar-loss/playwright';
 *   const expect = base.extend({ toMatchLossSnapshot });
 *   await expect(page).toMatchLossSnapshot('home.png', { loss: 'sobel', max: { 'sobel.p99': 0.3 } });
 *
 * Baselines follow the project's snapshot path template (testInfo.snapshotPath(name, { kind: 'screenshot' }),
 * as toHaveScreenshot's) and --update-snapshots; a failure writes `<name>-expected.png`, `<name>-actual.png`
 * and `<name>-diff.png` under testInfo.outputPath() and attaches them by path, as toHaveScreenshot does (the
 * HTML report shows them in its image diff viewer).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test, type Locator, type Page, type PageScreenshotOptions, type TestInfo } from '@playwright/test';
import type { CompareImagesOptions, ImageComparison } from '../engine/session.js';
import { isImageError, SizeMismatchError } from '../errors.js';
import { asPng } from '../io/png.js';
import { writeAllOrNothing } from '../io/write.js';
import { passingVariant, slug, type LossSnapshotOptions } from './snapshot.js';
import { recordAssertion, type Assertion } from './results.js';

export { compareImages, disposeEngine } from '../engine/session.js';
export { UserError } from '../errors.js';

/** Options: compareImages' (the CLI's flag names), and the screenshot's for a page or locator. */
export interface PlaywrightLossSnapshotOptions extends Omit<
  LossSnapshotOptions,
  'customSnapshotIdentifier' | 'customSnapshotsDir' | 'customDiffDir'
> {
  /** Passed to page.screenshot() / locator.screenshot() (default: animations disabled, caret hidden). */
  screenshot?: PageScreenshotOptions;
}

interface MatcherState {
  isNot?: boolean;
}

/** Assertions without a name so far, per test (names `<test title>-<n>.png`, as toHaveScreenshot's). */
const unnamed = new WeakMap<TestInfo, number>();

/**
 * The matcher, for `expect.extend({ toMatchLossSnapshot })`: `received` is a Page, a Locator (screenshot
 * taken) or an encoded image; `name` the baseline's file name (default: from the test's title). Await it.
 */
export async function toMatchLossSnapshot(
  this: MatcherState,
  received: Page | Locator | Buffer | Uint8Array,
  nameOrOptions?: string | PlaywrightLossSnapshotOptions,
  maybeOptions?: PlaywrightLossSnapshotOptions,
): Promise<{ pass: boolean; message: () => string; name: string }> {
  if (this.isNot) throw new Error('toMatchLossSnapshot cannot be used with .not');
  const info = test.info();
  const { withConfig } = await import('../engine/with-config.js');
  // The config's settings (failOnUpdate, gates…) under the call's.
  const options = await withConfig((typeof nameOrOptions === 'object' ? nameOrOptions : maybeOptions) ?? {});
  const name = snapshotName(info, typeof nameOrOptions === 'string' ? nameOrOptions : undefined);
  const actual = await imageOf(received, options.screenshot);
  const baseline = info.snapshotPath(name, { kind: 'screenshot' });
  const stem = name.replace(/\.png$/i, '');
  const mode = info.config.updateSnapshots;
  const wrote = (what: string) => written(what, options.failOnUpdate);
  const title = info.titlePath.join(' > ');
  const note = (a: Omit<Assertion, 'baseline' | 'test'>) => recordAssertion({ baseline, test: title, ...a });
  if (!existsSync(baseline)) {
    if (mode === 'none') {
      note({ status: 'new', actual });
      return result(false, `A snapshot doesn't exist at ${baseline}.`);
    }
    write(baseline, actual);
    note({ status: 'new', updated: 'new' });
    if (mode === 'all' || mode === 'changed') return wrote(`wrote ${baseline}`);
    // 'missing' (the default), as toHaveScreenshot: written, and the test fails once.
    return result(false, `A snapshot doesn't exist at ${baseline}, writing actual.`);
  }
  if (mode === 'all') {
    write(baseline, actual);
    note({ status: 'ok', updated: 'changed' });
    return wrote(`updated ${baseline}`);
  }
  const outcome = await compare(baseline, actual, options);
  const seen = { comparison: outcome.comparison, why: outcome.why.trim() };
  if (outcome.pass) {
    note({ ...seen, status: 'ok' });
    return result(true, `${baseline} matches`);
  }
  const { screenshot: _, ...compareOptions } = options;
  const v = await passingVariant(baseline, actual, compareOptions);
  if (v.match) {
    note({ comparison: v.match.comparison, status: 'ok', variant: v.match.name });
    return result(true, `${baseline} matches its accepted variant ${v.match.name}`);
  }
  if (mode === 'changed' && outcome.rewritable) {
    write(baseline, actual);
    note({ ...seen, status: 'over', updated: 'changed' });
    return wrote(`updated ${baseline}`);
  }
  note({ ...seen, status: outcome.rewritable ? 'over' : 'error', actual });
  await attach(info, stem, baseline, actual, outcome.comparison);
  const tried = v.tried ? ` (nor any of its ${v.tried} accepted variant(s))` : '';
  return result(false, `Screenshot does not match ${baseline}${tried} (nectar-loss):\n${outcome.why}`);
}

const result = (pass: boolean, text: string) => ({ pass, message: () => text, name: 'toMatchLossSnapshot' });

/** A baseline written: passes, or with failOnUpdate fails naming it (batch --fail-on-update). */
const written = (what: string, failOnUpdate?: boolean) =>
  failOnUpdate
    ? result(
        false,
        `${what} (failOnUpdate: the baseline is written, the assertion fails so that it is reviewed)`,
      )
    : result(true, what);

function snapshotName(info: TestInfo, name: string | undefined): string {
  if (name) return path.extname(name) ? name : `${name}.png`;
  const n = (unnamed.get(info) ?? 0) + 1;
  unnamed.set(info, n);
  return `${slug(info.titlePath.slice(1).join(' '))}-${n}.png`;
}

async function imageOf(
  received: Page | Locator | Buffer | Uint8Array,
  screenshot: PageScreenshotOptions = {},
): Promise<Buffer> {
  if (received instanceof Uint8Array) return asPng(received);
  return asPng(await received.screenshot({ animations: 'disabled', caret: 'hide', ...screenshot }));
}

function write(file: string, bytes: Buffer): void {
  writeAllOrNothing(path.dirname(file), [{ name: path.basename(file), bytes }], path.dirname(file));
}

async function compare(
  baseline: string,
  actual: Buffer,
  options: PlaywrightLossSnapshotOptions,
): Promise<{ pass: boolean; why: string; rewritable: boolean; comparison?: ImageComparison }> {
  const { screenshot: _, failOnUpdate: __, ...given } = options;
  const { withConfig } = await import('../engine/with-config.js');
  const o = await withConfig(given);
  const gated: CompareImagesOptions = o.max === undefined && o.min === undefined ? { ...o, max: 0 } : o;
  const { compareImages } = await import('../engine/session.js');
  try {
    const c = await compareImages(baseline, actual, { ...gated, diff: 'failure', stats: false });
    return { pass: c.pass, why: c.failures.map((f) => `  ${f}`).join('\n'), rewritable: true, comparison: c };
  } catch (err) {
    if (!isImageError(err)) throw err;
    return { pass: false, why: `  ${err.message}`, rewritable: err instanceof SizeMismatchError };
  }
}

/**
 * The three images, as toHaveScreenshot leaves them: written under testInfo.outputPath() (`test-results/…`,
 * which CI jobs upload) and attached by path under the names the HTML report pairs up in its diff viewer.
 */
async function attach(
  info: TestInfo,
  stem: string,
  baseline: string,
  actual: Buffer,
  c: ImageComparison | undefined,
): Promise<void> {
  const dir = path.dirname(info.outputPath(`${stem}-actual.png`));
  const base = path.basename(stem);
  const files = [
    { name: `${base}-expected.png`, bytes: readFileSync(baseline) },
    { name: `${base}-actual.png`, bytes: actual },
    ...(c?.diff ? [{ name: `${base}-diff.png`, bytes: c.diff }] : []),
  ];
  writeAllOrNothing(dir, files, dir);
  for (const f of files)
    await info.attach(`${stem}${f.name.slice(base.length)}`, {
      path: path.join(dir, f.name),
      contentType: 'image/png',
    });
}
