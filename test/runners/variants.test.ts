/**
 * Accepted variants in the real Jest matcher (docs/approving.md "Variants"): a baseline the image fails and a
 * variant beside it (`<name>.variant-1.png`) that it matches; the assertion passes against the variant, the
 * reporter's results record names it, and the unused listing does not name it. Also failOnUpdate given in
 * the project config. Images: the facade pair (fixtures/reference); the same image compares as 0 on every
 * loss, the two differ (PyTorch's l1 0.0473 > the sample's gate 0.01). Playwright (Debian's chromium): the
 * sample's box in three colours, each pair of which differs in l1 by far more than its gate 0.01 (the
 * background, most of the box, changes channels by 51 to 153 of 255).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixture, REFERENCE } from '../helpers.js';
import { CHROMIUM, copySample, JEST, NO_CHROMIUM, node, PLAYWRIGHT, type Run } from './sample.js';

const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
const expectCode = (r: Run, code: number, what: string) => assert.equal(r.code, code, `${what}:\n${r.out}`);
const CASE = REFERENCE.cases.facade256!;
const NAME = 'image-test-js-facade-matches-its-baseline-1';

test('jest: a variant the image matches passes, is named in the results and is not listed unused', async () => {
  const dir = copySample('jest-sample');
  made.push(dir);
  const snaps = path.join(dir, '__image_snapshots__');
  mkdirSync(snaps);
  const baseline = path.join(snaps, `${NAME}.png`);
  const variant = path.join(snaps, `${NAME}.variant-1.png`);
  copyFileSync(fixture(CASE.real), baseline);
  copyFileSync(fixture(CASE.real), variant);
  copyFileSync(fixture(CASE.fake), path.join(dir, 'current.png'));
  const run = (args: string[] = []) => node([...JEST, '--config', 'jest.report.config.json', ...args], dir);
  let r = await run();
  expectCode(r, 1, 'neither the baseline nor its variant');
  assert.match(
    r.out,
    /Image does not match \S+\.png \(nor any of its 1 accepted variant\(s\)\) \(nectar-loss\)/,
  );
  copyFileSync(fixture(CASE.fake), variant);
  r = await run();
  expectCode(r, 0, 'the variant matches');
  assert.doesNotMatch(r.out, /no test used/);
  const records = readFileSync(path.join(dir, 'nectar-loss/results.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const rec = records.find((x) => x.name === `__image_snapshots__/${NAME}.png`);
  assert.equal(rec?.status, 'ok', JSON.stringify(records));
  assert.equal(rec.variant, `${NAME}.variant-1.png`);
  r = await run(['-u']);
  expectCode(r, 0, 'update run');
  assert.deepEqual(readFileSync(baseline), readFileSync(fixture(CASE.real)), 'name.png is left as it is');
  assert.deepEqual(readFileSync(variant), readFileSync(fixture(CASE.fake)), 'the variant too');
});

test('jest: failOnUpdate in nectar-loss.config.json fails the assertion that writes a baseline', async () => {
  const dir = copySample('jest-sample');
  made.push(dir);
  copyFileSync(fixture(CASE.real), path.join(dir, 'current.png'));
  writeFileSync(path.join(dir, 'nectar-loss.config.json'), JSON.stringify({ failOnUpdate: true }));
  const r = await node(JEST, dir);
  expectCode(r, 1, 'written, failed');
  assert.match(r.out, /wrote __image_snapshots__\/\S+\.png \(failOnUpdate: the baseline is written/);
  expectCode(await node(JEST, dir), 0, 'the same image then passes');
});

test(
  'playwright: a variant the page matches passes and is named in the results',
  { skip: NO_CHROMIUM },
  async () => {
    const dir = copySample('playwright-sample');
    made.push(dir);
    const run = (args: string[] = []) =>
      node([...PLAYWRIGHT, '-c', 'playwright.report.config.js', ...args], dir, { CHROMIUM_PATH: CHROMIUM });
    const color = (c: string) =>
      writeFileSync(path.join(dir, 'content.js'), `export const color = '${c}';\n`);
    const shots = path.join(dir, '__screenshots__/box.spec.js');
    expectCode(await run(), 1, 'first run writes the baseline and fails once');
    copyFileSync(path.join(shots, 'box.png'), path.join(shots, 'box.variant-1.png'));
    color('#cc3366');
    expectCode(await run(['--update-snapshots=all']), 0, 'box.png rewritten as the changed page');
    color('#3366cc');
    let r = await run();
    expectCode(r, 0, 'the original page matches the variant');
    const records = readFileSync(path.join(dir, 'nectar-loss/results.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const rec = records.find((x) => typeof x.name === 'string' && x.name.endsWith('box.png'));
    assert.equal(rec?.variant, 'box.variant-1.png', JSON.stringify(records));
    color('#33cc66');
    r = await run();
    expectCode(r, 1, 'a third colour matches neither');
    assert.match(r.out, /Screenshot does not match \S*box\.png \(nor any of its 1 accepted variant\(s\)\)/);
  },
);
