import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../helpers.js';
import { CHROMIUM, launchChromium } from '../io/browsers.js';
import { cli } from './approvals-setup.js';

const img = (n: string) => fixture(`fixtures/images/${n}`);
const GATE = ['--max', 'sobel=0.0001', '--no-maps'];

/**
 * Run i (1..10) of a suite of three pairs: alt.png's current image is the changed one in odd runs (it
 * alternates), once.png's in runs 1-4 only (it changes once, after run 4), steady.png never.
 */
function stage(root: string, i: number): void {
  const put = (name: string, changed: boolean) =>
    copyFileSync(img(`gray8_64x48_${changed ? 'fake' : 'real'}.png`), path.join(root, 'cur', name));
  put('alt.png', i % 2 === 1);
  put('once.png', i <= 4);
  put('steady.png', false);
}

const records = (stdout: string) =>
  Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .map((l) => [l.summary ? 'summary' : l.name, l]),
  );

/** The --strict run's report (alt.png flaky, once.png and steady.png ok), for the Chromium test below. */
let flakyReport: string | undefined;

test('--history: 10 runs give flips 9 and 1, the fail counts, the trend; --quarantine 3 marks only alt.png', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-history-'));
  for (const d of ['base', 'cur']) mkdirSync(path.join(root, d));
  for (const n of ['alt.png', 'once.png', 'steady.png'])
    copyFileSync(img('gray8_64x48_real.png'), path.join(root, 'base', n));
  for (let i = 1; i <= 9; i++) {
    stage(root, i);
    const r = cli(root, ['batch', 'base', 'cur', ...GATE, '--history', 'hist']);
    // Odd runs: alt.png over; runs 1-4: once.png over.
    assert.equal(r.status, i % 2 === 1 || i <= 4 ? 1 : 0, `run ${i}: ${r.stderr}`);
  }
  assert.equal(readdirSync(path.join(root, 'hist')).length, 9, 'each run kept');
  cpSync(path.join(root, 'hist'), path.join(root, 'hist2'), { recursive: true });
  stage(root, 10);
  const r = cli(root, ['batch', 'base', 'cur', ...GATE, '--history', 'hist', '--quarantine', '3', '--json']);
  assert.equal(r.status, 0, 'a flaky pair alone does not fail the run: ' + r.stderr);
  const rec = records(r.stdout);
  // By hand: alt failed in runs 1,3,5,7,9 (5) and flipped between each pair of consecutive runs (9);
  // once failed in runs 1-4 (4) and flipped once (4 -> 5); steady never.
  assert.deepEqual(
    ['alt.png', 'once.png', 'steady.png'].map((n) => [
      rec[n].history.runs,
      rec[n].history.failed,
      rec[n].history.flips,
    ]),
    [
      [10, 5, 9],
      [10, 4, 1],
      [10, 0, 0],
    ],
  );
  assert.deepEqual(
    ['alt.png', 'once.png', 'steady.png'].map((n) => rec[n].status),
    ['flaky', 'ok', 'ok'],
  );
  // The trend: the same image gives sobel 0, the changed one the same value above the gate each time.
  const alt: number[] = rec['alt.png'].history.values;
  const over = alt[0]!;
  assert.ok(over > 0.0001);
  assert.deepEqual(
    alt,
    Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? over : 0)),
  );
  assert.deepEqual(rec['once.png'].history.values, [over, over, over, over, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(rec.summary.quarantined, ['alt.png']);
  assert.equal(rec.summary.flaky, 1);
  assert.equal(readdirSync(path.join(root, 'hist')).length, 10);

  const strict = cli(root, [
    'batch',
    'base',
    'cur',
    ...GATE,
    '--history',
    'hist2',
    '--quarantine',
    '3',
    '--strict',
    '--report',
    'rep/index.html',
  ]);
  assert.equal(strict.status, 1, '--strict: the flaky pair fails the run');
  assert.match(
    strict.stdout,
    /^flaky \(verdict flipped at least 3 times in the last 30 runs; --strict fails the run\): alt\.png$/m,
  );
  assert.match(strict.stdout, /1 flaky/);
  flakyReport = path.join(root, 'rep/index.html');
  const html = readFileSync(path.join(root, 'rep/index.html'), 'utf8');
  assert.match(
    html,
    /last 10 runs: 5 failed, 9 flips <svg/,
    'the report shows the history and its sparkline',
  );

  const small = cli(root, [
    'batch',
    'base',
    'cur',
    ...GATE,
    '--history',
    'hist',
    '--history-size',
    '3',
    '--json',
  ]);
  assert.equal(small.status, 0, small.stderr);
  assert.equal(readdirSync(path.join(root, 'hist')).length, 3, 'only the last 3 runs are kept');
  // Runs 9, 10 and this one (alt: changed, same, same): 3 runs, 1 failed, 1 flip.
  const last = records(small.stdout)['alt.png'].history;
  assert.deepEqual([last.runs, last.failed, last.flips], [3, 1, 1]);
});

test('--quarantine, --history-size and --strict without what they need: one line, exit 2, nothing on stdout', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-history-usage-'));
  for (const [args, msg] of [
    [['--quarantine', '3'], /^nectar-loss: --quarantine needs --history <dir>/],
    [['--history-size', '5'], /^nectar-loss: --history-size needs --history <dir>/],
    [['--history', 'h', '--strict'], /^nectar-loss: --strict needs --quarantine <k>/],
    [['--history', 'h', '--history-size', '1'], /--history-size.*at least 2/],
  ] as const) {
    const r = cli(root, ['batch', 'base', 'cur', ...args]);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, msg);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('in Chromium: the report lists the flaky pairs apart, and its flaky filter shows only them', async (t) => {
  if (!CHROMIUM) return t.skip('no chromium (/usr/bin/chromium) on this machine');
  if (!flakyReport) return t.skip('the --history test above did not get to write its report');
  const { browser } = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(flakyReport).href, { waitUntil: 'load' });
    const listed = await page.$$eval('p[data-flaky] [data-flaky-pair]', (els) =>
      els.map((e) => `${e.getAttribute('data-flaky-pair')}${e.nextSibling?.textContent ?? ''}`),
    );
    // alt.png: 9 flips in the 10 runs of hist2 (the --strict run's window), by the arithmetic above.
    assert.deepEqual(listed, ['alt.png (9 flips in 10 runs)']);
    const shown = () =>
      page.$$eval('tr[data-pair]', (trs) =>
        (trs as HTMLElement[]).filter((tr) => !tr.hidden).map((tr) => tr.dataset.pair),
      );
    assert.deepEqual((await shown()).sort(), ['alt.png', 'once.png', 'steady.png']);
    await page.click('[data-filter="flaky"]');
    assert.deepEqual(await shown(), ['alt.png']);
    assert.equal(await page.$eval('[data-filter="flaky"]', (b) => b.getAttribute('aria-pressed')), 'true');
    await page.click('[data-filter="ok"]');
    assert.deepEqual((await shown()).sort(), ['once.png', 'steady.png'], 'a flaky pair is not listed as ok');
    await page.click('[data-filter="all"]');
    assert.equal((await shown()).length, 3);
  } finally {
    await browser.close();
  }
});
