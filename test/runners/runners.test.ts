/**
 * The three runners, for real (jest, vitest, @playwright/test as dev dependencies; Debian's chromium), on
 * temporary copies of the sample projects in test/runners: the first run writes the baseline, the same
 * image passes, a changed image fails with the metric, value and threshold and a diff, update mode
 * rewrites, CI mode fails on a missing baseline. Expected values: PyTorch's (fixtures/reference).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  CHROMIUM,
  copySample,
  failOnUpdateSteps,
  JEST,
  NO_CHROMIUM,
  node,
  PLAYWRIGHT,
  snapshotSteps,
  VITEST,
  type Run,
} from './sample.js';

const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

const sample = (name: string) => {
  const dir = copySample(name);
  made.push(dir);
  return dir;
};
const expectCode = (r: Run, code: number, what: string) => assert.equal(r.code, code, `${what}:\n${r.out}`);
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

  test('jest and vitest: failOnUpdate writes the baseline and fails the assertion', async () => {
    const j = sample('jest-sample');
    await failOnUpdateSteps(j, (args) => node([...JEST, ...args], j), 'image.test.js', 'image-test-js');
    const v = sample('vitest-sample');
    await failOnUpdateSteps(
      v,
      (args) => node([...VITEST, '--project', 'node', ...args], v),
      'node.test.js',
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
    'playwright: nectar-loss/playwright follows --update-snapshots; expected/actual/diff on disk, attached by path',
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
      // The json reporter lists the three attachments by path, under the test's output folder.
      const results = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as {
        suites: {
          specs: { tests: { results: { attachments: { name: string; path?: string }[] }[] }[] }[];
        }[];
      };
      const attached = results.suites[0]!.specs[0]!.tests[0]!.results[0]!.attachments;
      const outputs = path.join(dir, 'test-results');
      for (const n of ['box-expected.png', 'box-actual.png', 'box-diff.png']) {
        const a = attached.find((x) => x.name === n);
        assert.ok(a?.path, `${n} attached by path: ${JSON.stringify(attached)}`);
        // attach() copies a path it is given into the output folder under a hashed name.
        assert.ok(a.path.startsWith(outputs + path.sep) && existsSync(a.path), `${a.path} in test-results/`);
      }
      // The line reporter attaches nothing anywhere: the files are on disk, as toHaveScreenshot's.
      r = await run(['--reporter=line']);
      expectCode(r, 1, 'changed page, line reporter');
      const written = readdirSync(outputs, { recursive: true, encoding: 'utf8' }).map((f) =>
        path.basename(f),
      );
      for (const n of ['box-expected.png', 'box-actual.png', 'box-diff.png'])
        assert.ok(written.includes(n), `${n} on disk in ${written.join(', ')}`);
      const expected = readdirSync(outputs, { recursive: true, encoding: 'utf8' }).find((f) =>
        f.endsWith('box-expected.png'),
      )!;
      assert.deepEqual(readFileSync(path.join(outputs, expected)), first, 'expected is the baseline');
      r = await run(['--update-snapshots=changed']);
      expectCode(r, 0, 'update changed');
      assert.notDeepEqual(readFileSync(baseline), first, 'the baseline is rewritten');
    },
  );

  test(
    'playwright: failOnUpdate writes the baseline under --update-snapshots=changed and fails the test',
    { skip: NO_CHROMIUM },
    async () => {
      const dir = sample('playwright-sample');
      const spec = path.join(dir, 'box.spec.js');
      writeFileSync(
        spec,
        readFileSync(spec, 'utf8').replace('max: 0.01 }', 'max: 0.01, failOnUpdate: true }'),
      );
      const run = (args: string[] = []) => node([...PLAYWRIGHT, ...args], dir, { CHROMIUM_PATH: CHROMIUM });
      const baseline = path.join(dir, '__screenshots__/box.spec.js/box.png');
      let r = await run(['--update-snapshots=changed']);
      expectCode(r, 1, 'missing: written, failed');
      assert.match(r.out, /wrote \S+box\.png \(failOnUpdate: the baseline is written/);
      const first = readFileSync(baseline);
      expectCode(await run(), 0, 'same page');
      writeFileSync(path.join(dir, 'content.js'), "export const color = '#cc3366';\n");
      r = await run(['--update-snapshots=changed']);
      expectCode(r, 1, 'changed: written, failed');
      assert.match(r.out, /updated \S+box\.png \(failOnUpdate/);
      assert.notDeepEqual(readFileSync(baseline), first, 'the baseline is rewritten');
      expectCode(await run(), 0, 'then the new baseline passes');
    },
  );
});
