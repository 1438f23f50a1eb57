import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHROMIUM, puppeteerDriver, type Driver } from './browsers.js';
import { BIN, fixture } from '../helpers.js';

/**
 * Region boxes and kind tags in the report, in Chromium: a `batch --regions` report of two pairs of the
 * committed regions set whose changes are known by construction (fixtures/regions/set/truth.json: a text
 * edit and a recolouring) and one identical pair. The box drawn over each image sits where the record's
 * region is, scaled as the image is shown; the region lies inside the element known to change; each row shows its kind
 * and the kind filter keeps only that kind; a click on a box zooms the view onto it. Set
 * NECTAR_LOSS_SCREENSHOTS=<dir> to save docs/report-regions.png's source there.
 */

const SET = 'fixtures/regions/set';
const PAIRS = ['p0-text', 'p1-colour', 'p0-identical'];
type Truth = Record<string, { kind: string; real?: [number, number, number, number] }>;
interface Rec {
  name: string;
  kind: string;
  regions: { x: number; y: number; width: number; height: number; kind: string }[];
}

function report(): { file: string; records: Rec[] } {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-report-regions-'));
  for (const d of ['real', 'fake']) {
    mkdirSync(path.join(root, d));
    for (const n of PAIRS) copyFileSync(fixture(`${SET}/${d}/${n}.png`), path.join(root, d, `${n}.png`));
  }
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      'batch',
      'real',
      'fake',
      '--loss',
      'l1',
      '--regions',
      '--max',
      'regions=0',
      '--json',
      '--report',
      'out/report.html',
    ],
    { cwd: root, encoding: 'utf8' },
  );
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  // --json in batch: one record per line (NDJSON), then the summary.
  const records = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec)
    .filter((x) => x.name && x.regions);
  return { file: path.join(root, 'out', 'report.html'), records };
}

async function until(d: Driver, fn: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50)))
    if (await d.eval(fn, undefined)) return;
  assert.fail(`timed out waiting for: ${what}`);
}

/** Each box's rectangle on screen, and the natural-px rectangle it should cover given its pane's image. */
const boxes = (d: Driver) =>
  d.eval(
    () =>
      [...document.querySelectorAll('#stage .pane')].flatMap((pane) => {
        const im = pane.querySelector('img') as HTMLImageElement;
        const i = im.getBoundingClientRect(),
          k = i.width / im.naturalWidth;
        return [...pane.querySelectorAll<HTMLElement>('.box')].map((b) => {
          const r = b.getBoundingClientRect();
          const [x, y, w, h] = b.dataset.region!.split(',').map(Number);
          return { got: [r.x, r.y, r.width, r.height], want: [i.x + x * k, i.y + y * k, w * k, h * k], k };
        });
      }),
    undefined,
  );

async function checkPair(d: Driver, rec: Rec, truth: Truth): Promise<void> {
  const name = `${rec.name}`;
  assert.equal(
    await d.eval((n) => document.querySelector(`tr[data-pair="${n}"] [data-kind-tag]`)?.textContent, name),
    rec.kind,
    `${name}: its kind tag`,
  );
  await d.click(`tr[data-pair="${name}"] td`);
  await until(
    d,
    () =>
      [...document.querySelectorAll<HTMLImageElement>('#stage img')].every((i) => i.naturalWidth > 0) &&
      document.querySelector('#stage .box') !== null,
    'the pair view with its boxes',
  );
  const [r0] = rec.regions;
  const t = truth[name.replace(/\.png$/, '')]!.real!;
  assert.ok(
    r0.x >= t[0] && r0.y >= t[1] && r0.x + r0.width <= t[2] && r0.y + r0.height <= t[3],
    `${name}: the record's region ${JSON.stringify(r0)} lies in the known changed element ${t}`,
  );
  const shown = await boxes(d);
  // One box per region in each of the side view's panes (real, fake, heatmap).
  assert.equal(shown.length, 3 * rec.regions.length, `${name}: boxes drawn`);
  for (const b of shown) {
    assert.ok(b.k > 0.1, `${name}: image shown`);
    for (const [j, v] of b.got.entries())
      assert.ok(Math.abs(v - b.want[j]!) <= 1.5, `${name}: box ${b.got} at its region ${b.want}`);
  }
  const before = shown[0]!;
  await d.click('#stage .pane .box');
  const after = (await boxes(d))[0]!;
  const pane = await d.eval(() => {
    const r = document.querySelector('#stage .pane')!.getBoundingClientRect();
    return [r.x + r.width / 2, r.y + r.height / 2, r.width, r.height];
  }, undefined);
  // Zoomed until the box fills 60 % of the pane on its tighter side.
  const fill = Math.max(after.got[2]! / pane[2]!, after.got[3]! / pane[3]!);
  assert.ok(
    after.k > before.k && Math.abs(fill - 0.6) < 0.02,
    `${name}: a click on the box zooms onto it (scale ${before.k} -> ${after.k}, fills ${fill})`,
  );
  const centre = [after.got[0]! + after.got[2]! / 2, after.got[1]! + after.got[3]! / 2];
  assert.ok(
    Math.abs(centre[0]! - pane[0]!) < 2 && Math.abs(centre[1]! - pane[1]!) < 2,
    `${name}: the box centred in its pane: ${centre} vs ${pane}`,
  );
  await d.press('0');
  await d.press('Escape');
}

test('the report draws region boxes and kind tags (Chromium)', { timeout: 90_000 }, async (t) => {
  if (!CHROMIUM) return t.skip("Chromium is not installed (.ci/run installs Debian's chromium package)");
  const truth = JSON.parse(readFileSync(fixture(`${SET}/truth.json`), 'utf8')) as Truth;
  const { file, records } = report();
  const changed = records.filter((r) => r.regions.length);
  assert.deepEqual(
    changed.map((r) => r.kind).sort(),
    ['colour', 'content'],
    'the known kinds (truth.json: a recolouring and a text edit)',
  );
  const d = await puppeteerDriver('chrome');
  try {
    await d.goto(`file://${file}`);
    await until(d, () => document.body.dataset.images?.includes('/') === true, 'the page script').catch(
      async (e: unknown) => assert.fail(`${String(e)}: ${(await d.problems()).join('; ')}`),
    );
    for (const rec of changed) await checkPair(d, rec, truth);
    await d.click('[data-kind-filter="colour"]');
    const shownRows = await d.eval(
      () => [...document.querySelectorAll<HTMLElement>('tbody tr:not([hidden])')].map((r) => r.dataset.pair),
      undefined,
    );
    assert.deepEqual(shownRows, ['p1-colour.png'], 'the kind filter');
    await d.click('[data-kind-filter="colour"]');
    const shots = process.env.NECTAR_LOSS_SCREENSHOTS;
    if (shots) {
      await d.click('tr[data-pair="p0-text.png"] td');
      await new Promise((r) => setTimeout(r, 300));
      await d.screenshot(path.join(shots, 'report-regions.png'));
    }
    assert.deepEqual(await d.problems(), [], 'no console error, exception or request');
  } finally {
    await d.close();
  }
});
