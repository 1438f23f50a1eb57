import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
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

/** Which image shows at a point of the slider's pane: real or fake (the clip also clips hit testing). */
const shownAt = (page: Page, x: number, y: number) => page.evaluate(([px, py]) => {
  const e = document.elementFromPoint(px!, py!);
  return e instanceof HTMLImageElement ? e.src.replace(/.*-(real|fake)\.[a-z]+$/, '$1') : e?.className;
}, [x, y]);

/** The slider: real left of the divider, fake right of it, after a drag and at a zoom. */
async function checkSlider(page: Page): Promise<void> {
  await page.click('[data-view="slider"]');
  await page.waitForFunction(() => [...document.querySelectorAll('#stage img')].every((i) => (i as HTMLImageElement).naturalWidth > 0));
  const sides = async (what: string) => {
    const bar = (await page.locator('.divider').boundingBox())!, y = bar.y + 100;
    assert.deepEqual([await shownAt(page, bar.x - 20, y), await shownAt(page, bar.x + 20, y)], ['real', 'fake'], `slider ${what}: real | fake at the divider (x ${bar.x})`);
    return bar;
  };
  const bar = await sides('at first');
  await page.mouse.move(bar.x + 1, bar.y + 200);
  await page.mouse.down();
  await page.mouse.move(bar.x - 150, bar.y + 200, { steps: 4 });
  await page.mouse.up();
  const moved = (await page.locator('.divider').boundingBox())!;
  assert.ok(Math.abs(moved.x - (bar.x - 150)) < 3, `the divider follows the drag: ${bar.x} -> ${moved.x}`);
  await sides('dragged');
  await page.mouse.wheel(0, -400);
  await sides('zoomed');
  await page.keyboard.press('0');
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
    await checkSlider(page);
    await page.click('[data-view="overlay"]');
    await page.$eval('#opacity', (el) => { (el as HTMLInputElement).value = '0.3'; el.dispatchEvent(new Event('input')); });
    assert.deepEqual(await page.$$eval('#stage .pane img', (i) => i.map((x) => (x as HTMLElement).style.opacity)), ['', '0.3'], 'overlay: heatmap over real at the chosen opacity');
    await page.click('[data-view="toggle"]');
    const before = await page.getAttribute('#stage img', 'src');
    await page.keyboard.press('t');
    assert.notEqual(await page.getAttribute('#stage img', 'src'), before, 'toggle flips real and fake');
    await page.click('[data-view="side"]');
    const transforms = () => page.$$eval('#stage .pane img', (i) => i.map((x) => (x as HTMLElement).style.transform));
    const scale = (t: string) => Number(/scale\(([0-9.e-]+)\)/.exec(t)![1]);
    const fitted = await transforms();
    await page.mouse.move(400, 400);
    await page.mouse.wheel(0, -200);
    const zoomed = await transforms();
    assert.ok(zoomed.length === 3 && zoomed.every((x) => x === zoomed[0]) && Math.abs(scale(zoomed[0]!) / scale(fitted[0]!) - 1.25) < 1e-4, `zoom in sync: ${fitted} -> ${zoomed}`);
    await page.mouse.down();
    await page.mouse.move(430, 420, { steps: 3 });
    await page.mouse.up();
    const panned = await transforms();
    assert.ok(panned.every((x) => x === panned[0]) && /translate\(30px, ?20px\)/.test(panned[0]!), `pan in sync: ${panned}`);
    const first = await page.getAttribute('#view', 'data-pair');
    await page.keyboard.press('ArrowRight');
    assert.notEqual(await page.getAttribute('#view', 'data-pair'), first, 'next pair');
    assert.match((await page.textContent('#stats'))!, /p99 [0-9.]+/);
    await page.keyboard.press('0');
    const reset = await transforms();
    assert.ok(reset.every((x) => x === reset[0] && x.startsWith('translate(0px, 0px)')), `0: back to the fitted view: ${reset}`);
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
