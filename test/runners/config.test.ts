/**
 * The real matchers read the project config: a `nectar-loss.config.json` in the sample project's folder sets
 * the gate of a test that passes no gate of its own, and an option passed to the matcher overrides it
 * (jest as ESM and as CommonJS, @playwright/test with Debian's chromium). The test files are rewritten in the temporary copy
 * to take their options from NL_OPTIONS. Gates chosen by hand: the facade pair's l1 is 0.0473166
 * (PyTorch, fixtures/reference/reference.json), so 0.06 passes and 0.04 fails; the Playwright box changes
 * from #3366cc to #cc3366, a mean channel difference of (153 + 51 + 102) / 3 / 255 = 0.4 where the
 * background shows and 0 on the (white) text, so its l1 is below 0.5 and, the background being most of the
 * box, above 0.1.
 */
import assert from 'node:assert/strict';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fixture, REFERENCE } from '../helpers.js';
import { CHROMIUM, copySample, JEST, JEST_CJS, NO_CHROMIUM, node, PLAYWRIGHT, type Run } from './sample.js';

const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
const sample = (name: string) => {
  const dir = copySample(name);
  made.push(dir);
  return dir;
};
const expectCode = (r: Run, code: number, what: string) => assert.equal(r.code, code, `${what}:\n${r.out}`);
const config = (dir: string, max: number) =>
  writeFileSync(path.join(dir, 'nectar-loss.config.json'), JSON.stringify({ loss: 'l1', max: { l1: max } }));
const CASE = REFERENCE.cases.facade256!;

/** Baseline, then the changed facade: no config fails, the config's 0.06 passes, 0.04 fails, an option wins. */
async function jestSteps(dir: string, jest: string[]) {
  const run = (options = {}) => node(jest, dir, { NL_OPTIONS: JSON.stringify(options) });
  copyFileSync(fixture(CASE.real), path.join(dir, 'current.png'));
  expectCode(await run(), 0, 'first run writes the baseline');
  copyFileSync(fixture(CASE.fake), path.join(dir, 'current.png'));
  expectCode(await run(), 1, 'no config: the default gate (any difference) fails');
  config(dir, 0.06);
  expectCode(await run(), 0, "the config's l1 gate 0.06 passes l1 0.0473");
  config(dir, 0.04);
  const r = await run();
  expectCode(r, 1, "the config's l1 gate 0.04 fails");
  assert.match(r.out, /l1 0\.0473\d* > 0\.04\b/, "the message names the config's gate");
  expectCode(await run({ max: 'l1=0.06' }), 0, 'the matcher option overrides the config');
}

describe('the matchers read nectar-loss.config.json', { concurrency: 2 }, () => {
  test('jest: the config gates a test without options; a matcher option overrides it', async () => {
    const dir = sample('jest-sample');
    writeFileSync(
      path.join(dir, 'image.test.js'),
      `import { readFileSync } from 'node:fs';
import { expect, test } from '@jest/globals';
import { toMatchLossSnapshot } from 'nectar-loss/jest';
expect.extend({ toMatchLossSnapshot });
test('facade', async () => {
  const png = readFileSync(new URL('./current.png', import.meta.url));
  await expect(png).toMatchLossSnapshot(JSON.parse(process.env.NL_OPTIONS ?? '{}'));
});
`,
    );
    await jestSteps(dir, JEST);
  });

  test('jest (CommonJS, plain npx jest): the same', async () => {
    const dir = sample('jest-cjs-sample');
    writeFileSync(
      path.join(dir, 'image.test.js'),
      `const { readFileSync } = require('node:fs');
const path = require('node:path');
const { toMatchLossSnapshot } = require('nectar-loss/jest');
expect.extend({ toMatchLossSnapshot });
test('facade', async () => {
  const png = readFileSync(path.join(__dirname, 'current.png'));
  await expect(png).toMatchLossSnapshot(JSON.parse(process.env.NL_OPTIONS ?? '{}'));
});
`,
    );
    await jestSteps(dir, JEST_CJS);
  });

  test(
    'playwright: the config gates a test without options; a matcher option overrides it',
    { skip: NO_CHROMIUM },
    async () => {
      const dir = sample('playwright-sample');
      writeFileSync(
        path.join(dir, 'box.spec.js'),
        `import { expect as base, test } from '@playwright/test';
import { toMatchLossSnapshot } from 'nectar-loss/playwright';
import { color } from './content.js';
const expect = base.extend({ toMatchLossSnapshot });
test('box', async ({ page }) => {
  await page.setContent(\`<div id="box" style="width:160px;height:90px;padding:8px;
    background:\${color};color:#fff;font:20px sans-serif">nectar</div>\`);
  await expect(page.locator('#box')).toMatchLossSnapshot('box.png', JSON.parse(process.env.NL_OPTIONS ?? '{}'));
});
`,
      );
      const run = (options = {}) =>
        node(PLAYWRIGHT, dir, { CHROMIUM_PATH: CHROMIUM, NL_OPTIONS: JSON.stringify(options) });
      expectCode(await run(), 1, 'first run writes the baseline and fails once');
      writeFileSync(path.join(dir, 'content.js'), "export const color = '#cc3366';\n");
      config(dir, 0.5);
      expectCode(await run(), 0, "the config's l1 gate 0.5 passes");
      config(dir, 0.1);
      const r = await run();
      expectCode(r, 1, "the config's l1 gate 0.1 fails");
      assert.match(r.out, /l1 0\.[1-3]\d* > 0\.1\b/, "the message names the config's gate");
      expectCode(await run({ max: 'l1=0.5' }), 0, 'the matcher option overrides the config');
    },
  );
});
