import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHROMIUM,
  FIREFOX,
  MINIBROWSER,
  WEBKIT_DRIVER,
  XVFB,
  puppeteerDriver,
  webkitDriver,
  type Driver,
} from './browsers.js';
import { BIN, fixture } from '../helpers.js';

/**
 * The report in real browsers (see browsers.ts: Chromium, Firefox, and WebKit as Safari's engine), opened
 * from disk after its folder was moved; the same checks in each: every image loads and the page's script
 * runs to its end; sorting, filters, the four views, synced zoom and pan, keys, the chart; no console error,
 * uncaught exception or request for anything but file://, and a probe showing that a request and an
 * exception made on purpose are seen. Not seen in WebKit: a console error, or an exception that does not
 * stop the script, while the page loads (WebDriver classic runs nothing before the page's own script; its
 * hooks are installed after load). Set NECTAR_LOSS_SCREENSHOTS=<dir> to also save the screenshots of README.md and docs/batch.md
 * there (from Chromium).
 */

function batch(root: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'batch', ...args], { cwd: root, encoding: 'utf8' });
  assert.ok(r.status !== null && r.status <= 2, r.stderr);
}

/** A two-folder batch (errors, over, ok, new) and a trainer folder, each with its report, moved away. */
function reports(): { folders: string; trainer: string; review: string } {
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
  batch(root, [
    'real',
    'fake',
    '--loss',
    'sobel,ssim',
    '--max',
    'sobel.p99=0.45',
    '--report',
    'out/report.html',
    '--out',
    'out/maps',
  ]);
  for (const e of [1, 2, 3]) {
    copyFileSync(img('gray8_64x48_real.png'), path.join(root, 'train', `epoch${e}_1_B_real.png`));
    copyFileSync(
      img(e === 2 ? 'gray8_64x48_real.png' : 'gray8_64x48_fake.png'),
      path.join(root, 'train', `epoch${e}_1_B_fake.png`),
    );
  }
  batch(root, ['train', '--loss', 'sobel,l2', '--report', 'tout/report.html', '--out', 'tout/maps']);
  const r = spawnSync(
    process.execPath,
    [BIN, 'review', fixture('fixtures/review/facades_v1'), '--out', 'rout', '--loss', 'sobel,l1'],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const moved = mkdtempSync(path.join(tmpdir(), 'nl-moved-'));
  renameSync(path.join(root, 'out'), path.join(moved, 'folders'));
  renameSync(path.join(root, 'tout'), path.join(moved, 'trainer'));
  renameSync(path.join(root, 'rout'), path.join(moved, 'review'));
  return {
    folders: path.join(moved, 'folders', 'report.html'),
    trainer: path.join(moved, 'trainer', 'report.html'),
    review: path.join(moved, 'review', 'index.html'),
  };
}

/**
 * `review`'s report (the fixture experiment): a drawn curve per logged loss, the config diff, the test run
 * listed, and the examples table still sortable below the review's own tables.
 */
async function checkReview(d: Driver, file: string): Promise<void> {
  await open(d, file, 16 * 3 + 8);
  const curves = await d.eval(
    () =>
      [...document.querySelectorAll('svg[data-chart="training"] [data-series]')].map((g) => {
        const line = g.querySelector('polyline[data-mean]') as SVGPolylineElement;
        const band = g.querySelector('polygon[data-envelope]') as SVGPolygonElement;
        return [
          g.getAttribute('data-series'),
          line.points.length,
          line.getBBox().width > 100,
          band.points.length,
        ];
      }),
    undefined,
  );
  assert.deepEqual(
    curves,
    ['G_GAN', 'G_L1', 'D_real', 'D_fake', 'G_L2', 'G_SOBEL', 'G_LAP'].map((n) => [n, 4, true, 32]),
    'a drawn curve (4 epoch means) and band (16 values, both edges) per logged loss',
  );
  const diff = await d.eval(
    () =>
      [...document.querySelectorAll('[data-config="train2_config.json"] [data-key] td')].map(
        (t) => t.textContent,
      ),
    undefined,
  );
  assert.deepEqual(diff.slice(0, 3), ['dataloader.batch_size', '4', '3'], 'config diff shown');
  assert.ok(diff.join(' ').includes('train.load.load_epoch 1 4'));
  assert.equal(
    await d.eval(() => document.querySelectorAll('[data-test="test_01"] [data-test-pair]').length, undefined),
    4,
    'the test run listed',
  );
  await d.click('th[data-sort="sobel"]');
  const sobel = await d.eval(
    () =>
      [...document.querySelectorAll('table[data-pairs] tbody tr')].map((r) =>
        Number(r.getAttribute('data-sobel')),
      ),
    undefined,
  );
  assert.deepEqual(
    sobel,
    [...sobel].sort((a, b) => b - a),
    'the examples sort, worst first',
  );
}

/** Polls fn in the page until it returns true (at most 10 s). */
async function until(d: Driver, fn: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50)))
    if (await d.eval(fn, undefined)) return;
  assert.fail(`timed out waiting for: ${what}`);
}

const attr = (d: Driver, selector: string, name: string) =>
  d.eval(([s, n]) => document.querySelector(s)?.getAttribute(n) ?? null, [selector, name] as const);
const box = (d: Driver, selector: string) =>
  d.eval((s) => {
    const r = document.querySelector(s)!.getBoundingClientRect();
    return { x: r.x, y: r.y };
  }, selector);
/**
 * The pair's images loaded, and the first fitted to its pane (zoom 1, no pan): the page's fit() ran on load.
 */
const stageLoaded = (d: Driver) =>
  until(
    d,
    () => {
      const loaded = [...document.querySelectorAll('#stage img')].every(
        (i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0,
      );
      const im = document.querySelector('#stage .pane img'),
        pane = im?.parentElement;
      if (!loaded || !im || !pane) return false;
      const { width: w, height: h } = im.getBoundingClientRect(),
        [pw, ph] = [pane.clientWidth, pane.clientHeight];
      return w <= pw + 1 && h <= ph + 1 && (Math.abs(w - pw) <= 1 || Math.abs(h - ph) <= 1);
    },
    'the pair images, loaded and fitted',
  );

/** Opens a report and checks that every image in it loaded ("loaded/total"). */
async function open(d: Driver, file: string, atLeast: number): Promise<void> {
  await d.goto(`file://${file}`);
  // Set on load by the last statement of the page's script: so that script also ran to its end without
  // throwing.
  await until(
    d,
    () => document.body.dataset.images !== undefined && document.body.dataset.images !== 'pending',
    "body[data-images] set by the page's script",
  );
  const [loaded, total] = (await attr(d, 'body', 'data-images'))!.split('/').map(Number);
  assert.ok(total >= atLeast && loaded === total, `images loaded: ${loaded}/${total}`);
}

/** Sorting by a column both ways, and each status filter. */
async function checkTable(d: Driver): Promise<void> {
  const names = () =>
    d.eval(
      () =>
        [...document.querySelectorAll('tbody tr:not([hidden])')].map((r) => (r as HTMLElement).dataset.pair!),
      undefined,
    );
  const col = (loss: string) =>
    d.eval(
      (l) =>
        [...document.querySelectorAll('tbody tr:not([hidden])')]
          .map((r) => r.getAttribute(`data-${l}`))
          .filter((v) => v !== '')
          .map(Number),
      loss,
    );
  await d.click('th[data-sort="sobel"]');
  const worst = await col('sobel');
  assert.deepEqual(
    worst,
    [...worst].sort((a, b) => b - a),
    'worst (largest) sobel first',
  );
  await d.click('th[data-sort="sobel"]');
  const best = await col('sobel');
  assert.deepEqual(
    best,
    [...best].sort((a, b) => a - b),
    'then best first',
  );
  await d.click('th[data-sort="ssim"]');
  const ssimWorst = await col('ssim');
  assert.deepEqual(
    ssimWorst,
    [...ssimWorst].sort((a, b) => a - b),
    'ssim is higher-is-better: worst is lowest',
  );
  for (const [f, want] of [
    ['obsolete', ['only-real.png']],
    ['ok', ['same.png']],
    ['over', ['facade256.png', 'palette_70x50.png', 'rgb8_301x217.png', 'rgba_icc_80x64.png']],
  ] as const) {
    await d.click(`[data-filter="${f}"]`);
    assert.deepEqual((await names()).sort(), [...want], `filter ${f}`);
  }
  await d.click('[data-filter="all"]');
  assert.equal((await names()).length, 6);
}

/** Which image shows at a point of the slider's pane: real or fake (the clip also clips hit testing). */
const shownAt = (d: Driver, x: number, y: number) =>
  d.eval(
    ([px, py]) => {
      const e = document.elementFromPoint(px, py);
      return e instanceof HTMLImageElement
        ? e.src.replace(/.*-(real|fake)\.[a-z]+$/, '$1')
        : (e?.className ?? null);
    },
    [x, y] as const,
  );

/** The slider: real left of the divider, fake right of it, after a drag and at a zoom. */
async function checkSlider(d: Driver): Promise<void> {
  await d.click('[data-view="slider"]');
  await stageLoaded(d);
  const sides = async (what: string) => {
    const bar = await box(d, '.divider'),
      y = bar.y + 100;
    assert.deepEqual(
      [await shownAt(d, bar.x - 20, y), await shownAt(d, bar.x + 20, y)],
      ['real', 'fake'],
      `slider ${what}: real | fake at the divider (x ${bar.x})`,
    );
    return bar;
  };
  const bar = await sides('at first');
  await d.drag([bar.x + 1, bar.y + 200], [bar.x - 150, bar.y + 200], 4);
  const moved = await box(d, '.divider');
  assert.ok(Math.abs(moved.x - (bar.x - 150)) < 3, `the divider follows the drag: ${bar.x} -> ${moved.x}`);
  await sides('dragged');
  await d.wheel(moved.x + 40, moved.y + 200, -400);
  await sides('zoomed');
  await d.press('0');
}

/** The four views of a pair; overlay opacity; toggle by key. */
async function checkViews(d: Driver): Promise<void> {
  await d.click('tr[data-pair="rgb8_301x217.png"] td'); // a cell: WebKitWebDriver finds a <tr> itself not interactable
  await until(d, () => document.querySelector('#view.open') !== null, 'the pair view');
  for (const [v, n] of Object.entries({ side: 3, slider: 1, overlay: 1, toggle: 1 })) {
    await d.click(`[data-view="${v}"]`);
    await stageLoaded(d);
    assert.equal(
      await d.eval(() => document.querySelectorAll('#stage .pane').length, undefined),
      n,
      `${v} panes`,
    );
  }
  assert.equal(
    await d.eval(() => document.querySelectorAll('#stage .pane img').length, undefined),
    1,
    'toggle shows one image',
  );
  await checkSlider(d);
  await d.click('[data-view="overlay"]');
  await d.eval(() => {
    const el = document.querySelector('#opacity') as HTMLInputElement;
    el.value = '0.3';
    el.dispatchEvent(new Event('input'));
  }, undefined);
  assert.deepEqual(
    await d.eval(
      () => [...document.querySelectorAll('#stage .pane img')].map((x) => (x as HTMLElement).style.opacity),
      undefined,
    ),
    ['', '0.3'],
    'overlay: heatmap over real at the chosen opacity',
  );
  await d.click('[data-view="toggle"]');
  const before = await attr(d, '#stage img', 'src');
  await d.press('t');
  assert.notEqual(await attr(d, '#stage img', 'src'), before, 'toggle flips real and fake');
}

/** Zoom and pan kept in sync between the side-by-side panes, ←/→ to the next pair, 0 to reset. */
async function checkZoomPan(d: Driver): Promise<void> {
  await d.click('[data-view="side"]');
  await stageLoaded(d);
  const transforms = () =>
    d.eval(
      () => [...document.querySelectorAll('#stage .pane img')].map((x) => (x as HTMLElement).style.transform),
      undefined,
    );
  const scale = (t: string) => Number(/scale\(([0-9.e-]+)\)/.exec(t)![1]);
  const fitted = await transforms();
  await d.wheel(400, 400, -200);
  const zoomed = await transforms();
  assert.ok(
    zoomed.length === 3 &&
      zoomed.every((x) => x === zoomed[0]) &&
      Math.abs(scale(zoomed[0]) / scale(fitted[0]) - 1.25) < 1e-4,
    `zoom in sync: ${fitted} -> ${zoomed}`,
  );
  await d.drag([400, 400], [430, 420], 3);
  const panned = await transforms();
  assert.ok(
    panned.every((x) => x === panned[0]) && /translate\(30px, ?20px\)/.test(panned[0]),
    `pan in sync: ${panned}`,
  );
  const first = await attr(d, '#view', 'data-pair');
  await d.press('ArrowRight');
  assert.notEqual(await attr(d, '#view', 'data-pair'), first, 'next pair');
  assert.match(await d.eval(() => document.querySelector('#stats')!.textContent, undefined), /p99 [0-9.]+/);
  await d.press('0');
  const reset = await transforms();
  // Firefox serialises translate(0px, 0px) as translate(0px).
  assert.ok(
    reset.every((x) => x === reset[0] && /^translate\(0px(, ?0px)?\) /.test(x)),
    `0: back to the fitted view: ${reset}`,
  );
}

/**
 * The checks can fail: a request and an uncaught exception made on purpose after them are seen. (WebKit's
 * error event on a file:// page says only "Script error.": file URLs are unique origins there.)
 */
async function checkProbe(d: Driver): Promise<void> {
  await d.eval(() => {
    void fetch('http://nectar-loss.invalid/probe').catch(() => 0);
    const s = document.createElement('script');
    s.textContent = 'setTimeout(() => { throw new Error("nectar-loss probe"); })';
    document.body.append(s);
  }, undefined);
  const seen = async () => {
    const p = await d.problems();
    return (
      p.some((l) => /^request: .*nectar-loss\.invalid.*probe/.test(l)) &&
      p.some((l) => /^page error: .*(nectar-loss probe|Script error)/.test(l))
    );
  };
  for (const end = Date.now() + 5000; !(await seen()) && Date.now() < end;)
    await new Promise((r) => setTimeout(r, 50));
  assert.ok(await seen(), `a probe request and exception are seen: ${(await d.problems()).join('; ')}`);
}

/**
 * Everything, in one browser: the folders report (table, views, zoom/pan, keys), then the trainer's chart.
 */
async function checkReport(d: Driver, shots?: string): Promise<void> {
  const { folders, trainer, review } = reports();
  await open(d, folders, 15);
  await checkTable(d);
  await checkViews(d);
  await checkZoomPan(d);
  if (shots) await d.screenshot(path.join(shots, 'report-pair.png'));
  await d.press('Escape');
  if (shots) await d.screenshot(path.join(shots, 'report.png'));
  await open(d, trainer, 6);
  assert.deepEqual(
    await d.eval(
      () =>
        [...document.querySelectorAll('svg[data-chart] [data-series]')].map((x) =>
          x.getAttribute('data-series'),
        ),
      undefined,
    ),
    ['sobel', 'l2'],
  );
  assert.equal(await attr(d, 'svg[data-chart] [data-series="sobel"] [data-best]', 'data-best'), '2');
  await checkReview(d, review);
  assert.deepEqual(
    await d.problems(),
    [],
    'no console error, uncaught exception or request for anything but file://',
  );
  await checkProbe(d);
}

async function inBrowser(start: () => Promise<Driver>, shots?: string): Promise<void> {
  const d = await start();
  try {
    await checkReport(d, shots);
  } finally {
    await d.close();
  }
}

const WHAT =
  'opened from disk after its folder moved: images, no errors or requests, sort, filter, views, zoom/pan, keys, chart';

// A browser that hangs fails its test instead of the run.
const LIMIT = { timeout: 90_000 };

test(`the report in Chromium, ${WHAT}`, LIMIT, async (t) => {
  if (!CHROMIUM) return t.skip("Chromium is not installed (.ci/run installs Debian's chromium package)");
  await inBrowser(() => puppeteerDriver('chrome'), process.env.NECTAR_LOSS_SCREENSHOTS);
});

test(`the report in Firefox, ${WHAT}`, LIMIT, async (t) => {
  if (!FIREFOX) return t.skip("Firefox is not installed (.ci/run installs Debian's firefox-esr package)");
  await inBrowser(() => puppeteerDriver('firefox'));
});

test(`the report in WebKit (Safari's engine, as WebKitGTK's MiniBrowser), ${WHAT}`, LIMIT, async (t) => {
  const missing = [
    [WEBKIT_DRIVER, 'webkit2gtk-driver'],
    [MINIBROWSER, 'libwebkit2gtk-4.1-0'],
    [XVFB, 'xvfb'],
  ]
    .filter(([have]) => !have)
    .map(([, pkg]) => pkg);
  if (missing.length)
    return t.skip(`WebKit is not installed: Debian's ${missing.join(', ')} missing (.ci/run installs them)`);
  await inBrowser(webkitDriver);
});
