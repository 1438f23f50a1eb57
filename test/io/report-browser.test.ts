import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIN, fixture } from '../helpers.js';

/**
 * The report in a real browser: Debian's chromium driven by playwright-core (no browser download), the
 * report opened from disk after its folder was moved. Set NECTAR_LOSS_SCREENSHOTS=<dir> to also save the
 * README's screenshots there.
 */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

function batch(root: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'batch', ...args], { cwd: root, encoding: 'utf8' });
  assert.ok(r.status !== null && r.status <= 2, r.stderr);
}

/** A two-folder batch (errors, over, ok, new) and a trainer folder, each with its report, moved away. */
function reports(): { folders: string; trainer: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-report-'));
  const img = (n: string) => fixture(`fixtures/images/${n}`);
  for (const d of ['real', 'fake', 'train']) mkdirSync(path.join(root, d));
  for (const n of ['rgb8_301x217', 'palette_70x50', 'rgba_icc_80x64', 'facade256']) {
    copyFileSync(img(`${n}_real.png`), path.join(root, 'real', `${n}.png`));
    copyFileSync(img(`${n}_fake.png`), path.join(root, 'fake', `${n}.png`));
  }
  copyFileSync(img('gray8_64x48_real.png'), path.join(root, 'real', 'same.png'));
  copyFileSync(img('gray8_64x48_real.png'), path.join(root, 'fake', 'same.png'));
  copyFileSync(img('gray8_64x48_real.png'), path.join(root, 'real', 'only-real.png'));
  batch(root, ['real', 'fake', '--loss', 'sobel,ssim', '--max', 'sobel.p99=0.45', '--report', 'out/report.html', '--out', 'out/maps']);
  for (const e of [1, 2, 3]) {
    copyFileSync(img('gray8_64x48_real.png'), path.join(root, 'train', `epoch${e}_1_B_real.png`));
    copyFileSync(img(e === 2 ? 'gray8_64x48_real.png' : 'gray8_64x48_fake.png'), path.join(root, 'train', `epoch${e}_1_B_fake.png`));
  }
  batch(root, ['train', '--loss', 'sobel,l2', '--report', 'tout/report.html', '--out', 'tout/maps']);
  const moved = mkdtempSync(path.join(tmpdir(), 'nl-moved-'));
  renameSync(path.join(root, 'out'), path.join(moved, 'folders'));
  renameSync(path.join(root, 'tout'), path.join(moved, 'trainer'));
  return { folders: path.join(moved, 'folders', 'report.html'), trainer: path.join(moved, 'trainer', 'report.html') };
}

test('the report in Chromium, opened from disk after its folder moved: images, no errors or requests, sort, filter, views, chart', async (t) => {
  if (!CHROMIUM) return t.skip('Chromium is not installed (.ci/run installs Debian\'s chromium package)');
  const { chromium } = await import('playwright-core');
  const { folders, trainer } = reports();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => !r.url().startsWith('file://') && problems.push(`request: ${r.url()}`));
    await page.goto(`file://${folders}`);
    await page.waitForFunction(() => document.body.dataset.images !== 'pending');
    const [loaded, total] = (await page.getAttribute('body', 'data-images'))!.split('/').map(Number);
    assert.ok(total! >= 15 && loaded === total, `images loaded: ${loaded}/${total}`);
    const names = () => page.$$eval('tbody tr:not([hidden])', (rs) => rs.map((r) => (r as HTMLElement).dataset.pair));
    const col = (loss: string) => page.$$eval(`tbody tr:not([hidden])`, (rs, l) => rs.map((r) => r.getAttribute(`data-${l}`)).filter((v) => v !== '').map(Number), loss);
    await page.click('th[data-sort="sobel"]');
    const worst = await col('sobel');
    assert.deepEqual(worst, [...worst].sort((a, b) => b - a), 'worst (largest) sobel first');
    await page.click('th[data-sort="sobel"]');
    const best = await col('sobel');
    assert.deepEqual(best, [...best].sort((a, b) => a - b), 'then best first');
    await page.click('th[data-sort="ssim"]');
    const ssimWorst = await col('ssim');
    assert.deepEqual(ssimWorst, [...ssimWorst].sort((a, b) => a - b), 'ssim is higher-is-better: worst is lowest');
    for (const [f, want] of [['error', ['only-real.png']], ['ok', ['same.png']], ['over', ['facade256.png', 'palette_70x50.png', 'rgb8_301x217.png', 'rgba_icc_80x64.png']]] as const) {
      await page.click(`[data-filter="${f}"]`);
      assert.deepEqual((await names()).sort(), [...want], `filter ${f}`);
    }
    await page.click('[data-filter="all"]');
    assert.equal((await names()).length, 6);
    await page.click('tr[data-pair="rgb8_301x217.png"]');
    await page.waitForSelector('#view.open');
    const panes: Record<string, number> = { side: 3, slider: 1, overlay: 1, toggle: 1 };
    for (const [v, n] of Object.entries(panes)) {
      await page.click(`[data-view="${v}"]`);
      await page.waitForFunction(() => [...document.querySelectorAll('#stage img')].every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0));
      assert.equal(await page.$$eval('#stage .pane', (p) => p.length), n, `${v} panes`);
    }
    assert.equal(await page.$$eval('#stage .pane img', (i) => i.length), 1, 'toggle shows one image');
    const before = await page.getAttribute('#stage img', 'src');
    await page.keyboard.press('t');
    assert.notEqual(await page.getAttribute('#stage img', 'src'), before, 'toggle flips real and fake');
    await page.click('[data-view="side"]');
    await page.mouse.move(400, 400);
    await page.mouse.wheel(0, -200);
    const transforms = await page.$$eval('#stage .pane img', (i) => i.map((x) => (x as HTMLElement).style.transform));
    assert.ok(transforms.every((x) => x === transforms[0] && /scale\(1\.25\)/.test(x)), `zoom in sync: ${transforms}`);
    const first = await page.getAttribute('#view', 'data-pair');
    await page.keyboard.press('ArrowRight');
    assert.notEqual(await page.getAttribute('#view', 'data-pair'), first, 'next pair');
    assert.match((await page.textContent('#stats'))!, /p99 [0-9.]+/);
    if (process.env.NECTAR_LOSS_SCREENSHOTS) await page.screenshot({ path: path.join(process.env.NECTAR_LOSS_SCREENSHOTS, 'report-pair.png') });
    await page.keyboard.press('Escape');
    if (process.env.NECTAR_LOSS_SCREENSHOTS) await page.screenshot({ path: path.join(process.env.NECTAR_LOSS_SCREENSHOTS, 'report.png') });
    await page.goto(`file://${trainer}`);
    await page.waitForFunction(() => document.body.dataset.images !== 'pending');
    assert.deepEqual(await page.$$eval('svg[data-chart] [data-series]', (g) => g.map((x) => x.getAttribute('data-series'))), ['sobel', 'l2']);
    assert.equal(await page.getAttribute('svg[data-chart] [data-series="sobel"] [data-best]', 'data-best'), '2');
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
