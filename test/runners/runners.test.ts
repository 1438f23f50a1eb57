/**
 * The three runners, for real (jest, vitest, @playwright/test as dev dependencies; Debian's chromium), on
 * temporary copies of the sample projects in test/runners: the first run writes the baseline, the same
 * image passes, a changed image fails with the metric, value and threshold and a diff, update mode
 * rewrites, CI mode fails on a missing baseline. Expected values: PyTorch's (fixtures/reference).
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fixture, REFERENCE } from '../helpers.js';
import { CHROMIUM, copySample, JEST, NO_CHROMIUM, node, PLAYWRIGHT, VITEST, type Run } from './sample.js';

const CASE = REFERENCE.cases.facade256!;
/** PyTorch's sobel mean of the facade pair, as the failure message writes it (float32, shortest). */
const SOBEL = CASE.losses.sobel!.unit.mean;
const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

const sample = (name: string) => {
  const dir = copySample(name);
  made.push(dir);
  return dir;
};
const expectCode = (r: Run, code: number, what: string) => assert.equal(r.code, code, `${what}:\n${r.out}`);
const sobelIn = (out: string) => Number(/sobel (\d\.\d+) > 0\.01/.exec(out)?.[1]);

/** The Jest and Vitest node samples: the same five steps on `current.png`. */
async function snapshotSteps(
  dir: string,
  run: (args: string[], env?: Record<string, string>) => Promise<Run>,
  file: string,
) {
  const snaps = path.join(dir, '__image_snapshots__');
  const baseline = path.join(snaps, `${file}-facade-matches-its-baseline-1.png`);
  const diff = path.join(snaps, '__diff_output__', `${file}-facade-matches-its-baseline-1-diff.png`);
  copyFileSync(fixture(CASE.real), path.join(dir, 'current.png'));
  let r = await run([]);
  expectCode(r, 0, 'first run');
  assert.match(r.out, /1 (snapshot )?written/);
  assert.deepEqual(readFileSync(baseline), readFileSync(fixture(CASE.real)), 'the baseline is the image');
  expectCode(await run([]), 0, 'same image');
  copyFileSync(fixture(CASE.fake), path.join(dir, 'current.png'));
  r = await run([]);
  expectCode(r, 1, 'changed image');
  assert.match(r.out, /Image does not match __image_snapshots__\/.*\.png \(nectar-loss\):/);
  assert.ok(Math.abs(sobelIn(r.out) - SOBEL) < 1e-5 * SOBEL, `sobel in the message vs torch ${SOBEL}`);
  assert.match(r.out, /1 (snapshot )?failed/);
  assert.ok(existsSync(diff), 'the diff is written beside the baseline');
  r = await run(['-u']);
  expectCode(r, 0, 'update');
  assert.match(r.out, /1 (snapshot )?updated/);
  assert.deepEqual(readFileSync(baseline), readFileSync(fixture(CASE.fake)), 'the baseline is rewritten');
  assert.ok(!existsSync(diff), 'the stale diff is removed');
  // A baseline no test uses: the reporter lists it.
  copyFileSync(baseline, path.join(snaps, `${file}-deleted-test-1.png`));
  rmSync(baseline);
  r = await run(['--ci'], { CI: 'true' });
  expectCode(r, 1, 'CI with a missing baseline');
  assert.match(r.out, /No baseline __image_snapshots__\/.*: new snapshots are not written in CI/);
  assert.ok(!existsSync(baseline), 'CI writes no baseline');
  assert.match(
    r.out,
    new RegExp(`1 baseline\\(s\\) no test used:\\n\\s+__image_snapshots__/${file}-deleted`),
  );
}

// The samples are independent processes that mostly wait (browsers, bundlers): run side by side.
describe('runners', { concurrency: 4 }, () => {
  test('jest: nectar-loss/jest writes, passes, fails with the metric and a diff, updates, fails in CI', async () => {
    const dir = sample('jest-sample');
    await snapshotSteps(dir, (args, env) => node([...JEST, ...args], dir, env), 'image-test-js');
  });

  test('vitest: nectar-loss/vitest, the same steps in node mode', async () => {
    const dir = sample('vitest-sample');
    await snapshotSteps(
      dir,
      (args, env) => node([...VITEST, '--project', 'node', ...args.filter((a) => a !== '--ci')], dir, env),
      'node-test-js',
    );
  });

  test(
    'vitest: browser mode toMatchScreenshot with comparatorName nectar-loss',
    { skip: NO_CHROMIUM },
    async () => {
      const dir = sample('vitest-sample');
      const run = (args: string[] = []) =>
        node([...VITEST, '--project', 'browser', ...args], dir, { CHROMIUM_PATH: CHROMIUM });
      const reference = path.join(
        dir,
        '__screenshots__/browser.test.js',
        `box-chromium-${process.platform}.png`,
      );
      // Vitest's own rule: a missing reference is written and the test fails once.
      expectCode(await run(), 1, 'first run');
      assert.ok(existsSync(reference));
      expectCode(await run(), 0, 'same page');
      writeFileSync(path.join(dir, 'content.js'), "export const color = '#cc3366';\n");
      const r = await run();
      expectCode(r, 1, 'changed page');
      // Our comparator's message (the l1 gate of vitest.config.js) and its diff, which Vitest writes.
      assert.match(r.out, /l1 0\.\d+ > 0\.01/);
      assert.match(r.out, /Diff image:\s+\S+box-diff-chromium/);
      const attachments = path.join(dir, '.vitest-attachments/browser.test.js');
      assert.ok(readdirSync(attachments).some((f) => f.startsWith('box-diff')));
    },
  );

  test(
    'playwright: nectar-loss/playwright follows --update-snapshots and attaches expected/actual/diff',
    { skip: NO_CHROMIUM },
    async () => {
      const dir = sample('playwright-sample');
      const run = (args: string[] = []) => node([...PLAYWRIGHT, ...args], dir, { CHROMIUM_PATH: CHROMIUM });
      const baseline = path.join(dir, '__screenshots__/box.spec.js/box.png');
      let r = await run(['--update-snapshots=none']);
      expectCode(r, 1, 'none with a missing baseline');
      assert.match(r.out, /A snapshot doesn't exist at .*box\.png\./);
      assert.ok(!existsSync(baseline));
      // The default (missing), as toHaveScreenshot: written, failing once.
      r = await run();
      expectCode(r, 1, 'first run');
      assert.match(r.out, /writing actual/);
      const first = readFileSync(baseline);
      expectCode(await run(), 0, 'same page');
      writeFileSync(path.join(dir, 'content.js'), "export const color = '#cc3366';\n");
      r = await run();
      expectCode(r, 1, 'changed page');
      assert.match(r.out, /Screenshot does not match .*box\.png \(nectar-loss\):\n\s+l1 0\.\d+ > 0\.01/);
      const results = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as {
        suites: {
          specs: { tests: { results: { attachments: { name: string; contentType: string }[] }[] }[] }[];
        }[];
      };
      const names = results.suites[0]!.specs[0]!.tests[0]!.results[0]!.attachments.map((a) => a.name);
      for (const n of ['box-expected.png', 'box-actual.png', 'box-diff.png'])
        assert.ok(names.includes(n), `${n} in ${names}`);
      r = await run(['--update-snapshots=changed']);
      expectCode(r, 0, 'update changed');
      assert.notDeepEqual(readFileSync(baseline), first, 'the baseline is rewritten');
    },
  );
});
