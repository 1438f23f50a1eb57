/**
 * A test suite's snapshots approved through the report, for real: the sample projects run by their runners
 * with nectar-loss/reporter's `results` option, `nectar-loss report` writes the HTML report, Debian's
 * chromium (puppeteer-core) clicks Accept and downloads approvals.json, `nectar-loss approve` applies it,
 * and the suite then passes with the accepted image as its baseline, byte for byte.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { BIN, fixture, REFERENCE } from '../helpers.js';
import { CHROMIUM as BROWSER, launchChromium } from '../io/browsers.js';
import type { Decision } from '../../src/model.js';
import { CHROMIUM, copySample, JEST, node, PLAYWRIGHT, VITEST, type Run } from './sample.js';

const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
const expectCode = (r: Run | { code: number | null; out: string }, code: number, what: string) =>
  assert.equal(r.code, code, `${what}:\n${r.out}`);

function cli(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr, stdout: r.stdout };
}

interface Line {
  name?: string;
  real?: string;
  fake?: string;
  status?: string;
  nectarLossResults?: number;
  dirs?: string[];
  runner?: string;
}
const readResults = (f: string) =>
  readFileSync(f, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

/** Opens the report in chromium, clicks Accept on `pair`, downloads approvals.json; its path. */
async function acceptInReport(reportHtml: string, pair: string, decision: Decision): Promise<string> {
  const { browser, home } = await launchChromium();
  made.push(home);
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`file://${reportHtml}`, { waitUntil: 'load' });
    await page.click(`tr[data-pair="${pair}"] [data-decision="${decision}"]`);
    assert.equal(
      await page.$eval(`tr[data-pair="${pair}"]`, (e) => e.getAttribute('data-decided')),
      decision,
    );
    const dl = mkdtempSync(path.join(tmpdir(), 'nl-dl-'));
    made.push(dl);
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dl });
    await page.click('[data-action="approvals"]');
    const file = path.join(dl, 'approvals.json');
    for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(existsSync(file), 'approvals.json downloaded');
    assert.deepEqual(errors, []);
    return file;
  } finally {
    await browser.close();
  }
}

/**
 * The failing run's results file and report, Accept in chromium, approve: checks each step and returns the
 * accepted current image's bytes (what the baseline must now be).
 */
async function approveThroughReport(
  dir: string,
  results: string,
  pair: string,
  decision: Decision = 'accept',
): Promise<Buffer> {
  const lines = readResults(path.join(dir, results));
  assert.equal(lines[0]!.nectarLossResults, 1);
  const rec = lines.find((l) => l.name === pair);
  assert.ok(rec, `a record for ${pair} in ${JSON.stringify(lines)}`);
  assert.equal(rec.status, 'over');
  assert.equal(rec.real, pair, 'the baseline, relative to the working folder');
  const current = readFileSync(path.join(dir, rec.fake!));
  assert.notDeepEqual(current, readFileSync(path.join(dir, pair)), 'the current image differs');
  const r = cli(dir, ['report', results, '--out', 'nl-report']);
  expectCode(r, 0, 'nectar-loss report');
  assert.match(r.stdout, /index\.html: 1 pairs: 0 ok, 1 over a threshold, 0 errors\n$/);
  const html = readFileSync(path.join(dir, 'nl-report/index.html'), 'utf8');
  assert.match(html, /data-decision="accept"/);
  assert.match(html, /data-decision="variant"/, 'the matchers read variants: accept as variant offered');
  const baseline = readFileSync(path.join(dir, pair));
  const approvals = await acceptInReport(path.join(dir, 'nl-report/index.html'), pair, decision);
  const a = cli(dir, ['approve', approvals, '--report', 'nl-report/index.html']);
  expectCode(a, 0, 'nectar-loss approve');
  if (decision === 'variant') {
    const variant = pair.replace(/\.png$/, '.variant-1.png');
    assert.match(a.out, new RegExp(`added as variant: ${variant.replace(/\./g, '\\.')}\n`));
    assert.deepEqual(readFileSync(path.join(dir, pair)), baseline, 'a variant leaves the baseline');
    assert.deepEqual(readFileSync(path.join(dir, variant)), current, 'the variant is the accepted image');
    return current;
  }
  assert.match(a.out, new RegExp(`replaced: ${pair.replace(/\./g, '\\.')}\n`));
  assert.deepEqual(readFileSync(path.join(dir, pair)), current, 'the baseline is the accepted image');
  return current;
}

describe('runners: approve a suite through the report', { concurrency: 2 }, () => {
  test('playwright: failing snapshot, report, Accept, approve, the suite passes', async (t) => {
    if (!BROWSER) return t.skip('no chromium (apt-get install chromium)');
    const dir = copySample('playwright-sample');
    made.push(dir);
    const run = () =>
      node([...PLAYWRIGHT, '-c', 'playwright.report.config.js'], dir, { CHROMIUM_PATH: CHROMIUM });
    expectCode(await run(), 1, 'first run writes the baseline and fails once');
    expectCode(await run(), 0, 'same page');
    writeFileSync(path.join(dir, 'content.js'), "export const color = '#cc3366';\n");
    const r = await run();
    expectCode(r, 1, 'changed page');
    assert.match(r.out, /nectar-loss: 1 snapshot\(s\) written to nectar-loss\/results\.ndjson/);
    const head = readResults(path.join(dir, 'nectar-loss/results.ndjson'))[0]!;
    assert.deepEqual([head.runner, head.dirs], ['playwright', ['.', 'nectar-loss/results-current']]);
    await approveThroughReport(dir, 'nectar-loss/results.ndjson', '__screenshots__/box.spec.js/box.png');
    expectCode(await run(), 0, 'the suite passes after approve');
  });

  test('jest: failing snapshot, report, accept as variant, approve, the suite passes', async (t) => {
    if (!BROWSER) return t.skip('no chromium (apt-get install chromium)');
    const dir = copySample('jest-sample');
    made.push(dir);
    const run = () => node([...JEST, '--config', 'jest.report.config.json'], dir);
    const CASE = REFERENCE.cases.facade256!;
    copyFileSync(fixture(CASE.real), path.join(dir, 'current.png'));
    expectCode(await run(), 0, 'first run writes the baseline');
    copyFileSync(fixture(CASE.fake), path.join(dir, 'current.png'));
    expectCode(await run(), 1, 'changed image');
    const pair = '__image_snapshots__/image-test-js-facade-matches-its-baseline-1.png';
    const accepted = await approveThroughReport(dir, 'nectar-loss/results.ndjson', pair, 'variant');
    assert.deepEqual(accepted, readFileSync(fixture(CASE.fake)), 'the current image kept is the received');
    expectCode(await run(), 0, 'the suite passes after approve');
  });

  test('vitest: failing snapshot, report, Accept, approve, the suite passes', async (t) => {
    if (!BROWSER) return t.skip('no chromium (apt-get install chromium)');
    const dir = copySample('vitest-sample');
    made.push(dir);
    // The node project alone, with the reporter's results option (Vitest takes reporter options only in
    // its config).
    writeFileSync(
      path.join(dir, 'vitest.report.config.js'),
      "import { defineConfig } from 'vitest/config';\n" +
        'export default defineConfig({ test: { include: ["node.test.js"], testTimeout: 120_000, ' +
        'reporters: ["default", ["nectar-loss/reporter", { results: "nectar-loss/results.ndjson" }]] } });\n',
    );
    const run = () => node([...VITEST, '--config', 'vitest.report.config.js'], dir);
    const CASE = REFERENCE.cases.facade256!;
    copyFileSync(fixture(CASE.real), path.join(dir, 'current.png'));
    expectCode(await run(), 0, 'first run writes the baseline');
    copyFileSync(fixture(CASE.fake), path.join(dir, 'current.png'));
    expectCode(await run(), 1, 'changed image');
    const head = readResults(path.join(dir, 'nectar-loss/results.ndjson'))[0]!;
    assert.equal(head.runner, 'vitest');
    const pair = '__image_snapshots__/node-test-js-facade-matches-its-baseline-1.png';
    const accepted = await approveThroughReport(dir, 'nectar-loss/results.ndjson', pair);
    assert.deepEqual(accepted, readFileSync(fixture(CASE.fake)), 'the current image kept is the received');
    expectCode(await run(), 0, 'the suite passes after approve');
  });
});

test('report: refuses a file that is not results, and files of other folders (one line, exit 2, nothing written)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-report-cli-'));
  made.push(dir);
  const head = (dirs: string[]) =>
    JSON.stringify({
      nectarLossResults: 1,
      dirs,
      losses: ['l1'],
      range: 'unit',
      backend: 'cpu',
      seconds: 1,
      gates: [],
    });
  const rec = (name: string) => JSON.stringify({ name, losses: { l1: 0 }, files: {}, status: 'ok' });
  writeFileSync(path.join(dir, 'a.ndjson'), `${head(['base', 'cur'])}\n${rec('a.png')}\n`);
  writeFileSync(path.join(dir, 'b.ndjson'), `${head(['base', 'other'])}\n${rec('b.png')}\n`);
  writeFileSync(path.join(dir, 'x.ndjson'), '{"summary":true}\n');
  for (const [files, why] of [
    [['x.ndjson'], /^nectar-loss: x\.ndjson: not a results file of nectar-loss batch --results\n$/],
    [
      ['a.ndjson', 'b.ndjson'],
      /^nectar-loss: b\.ndjson: compares other folders than a\.ndjson .*report them apart\n$/,
    ],
    [['a.ndjson', 'a.ndjson'], /^nectar-loss: pair a\.png is in more than one results file\n$/],
  ] as const) {
    const r = spawnSync(process.execPath, [BIN, 'report', ...files, '--out', 'out'], {
      cwd: dir,
      encoding: 'utf8',
    });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, why);
    assert.ok(!existsSync(path.join(dir, 'out')), 'no report written');
  }
});
