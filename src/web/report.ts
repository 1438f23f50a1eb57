/**
 * The report page's script (bundled by esbuild into the self-contained page, see scripts/build-web.js): it
 * reads the pairs from <script id="pairs" type="application/json"> and adds sorting, filtering, the pair
 * view (side by side, slider, overlay, toggle; zoom and pan in sync; keyboard navigation) and, for a run
 * that compared a baseline folder with a current folder, the approval controls (approve.ts).
 */
import type { ReportPair, ReportRun } from '../model.js';
import { initApprovals } from './approve.js';
import { all, byId, readJson } from './dom.js';
import { initFilters, initSorting, rows } from './table.js';
import type { ReportSummaryLoss } from './types.js';
import { PairView } from './view.js';

function initView(view: PairView, tbody: HTMLElement, pairs: readonly ReportPair[]): void {
  const status = new Map(pairs.map((p) => [p.name, p.status]));
  // A click on a row opens its pair, unless it was on the row's approval controls.
  for (const tr of rows(tbody))
    tr.addEventListener('click', (e) => {
      if (!(e.target as Element).closest('.decide')) view.open(tr.dataset.pair ?? '');
    });
  for (const b of all('[data-view]')) b.addEventListener('click', () => view.setMode(b.dataset.view ?? ''));
  byId<HTMLSelectElement>('loss').addEventListener('change', (e) =>
    view.setLoss((e.target as HTMLSelectElement).value),
  );
  byId<HTMLInputElement>('opacity').addEventListener('input', (e) =>
    view.setOpacity(Number((e.target as HTMLInputElement).value)),
  );
  byId('close').addEventListener('click', () => view.close());
  const stage = byId('stage');
  stage.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      view.zoomBy(e.deltaY);
    },
    { passive: false },
  );
  let drag: [number, number] | null = null;
  stage.addEventListener('pointerdown', (e) => (drag = [e.clientX - view.pan[0], e.clientY - view.pan[1]]));
  addEventListener('pointerup', () => (drag = null));
  stage.addEventListener('pointermove', (e) => {
    if (drag) view.pan = [e.clientX - drag[0], e.clientY - drag[1]];
  });
  const shown = () =>
    rows(tbody)
      .filter((tr) => !tr.hidden)
      .map((tr) => tr.dataset.pair ?? '')
      .filter((n) => status.get(n) !== 'error');
  addEventListener('keydown', (e) => {
    if (!view.isOpen) return;
    if (e.key === 'Escape') view.close();
    if (e.key === 'ArrowRight' || e.key === 'j') view.step(shown(), 1);
    if (e.key === 'ArrowLeft' || e.key === 'k') view.step(shown(), -1);
    if (e.key === 't' || e.key === ' ') {
      view.toggle();
      e.preventDefault();
    }
    if (e.key === '0') view.reset();
  });
}

function main(): void {
  const pairs = readJson<ReportPair[]>('pairs');
  const losses = readJson<ReportSummaryLoss[]>('losses');
  const run = document.getElementById('run') ? readJson<ReportRun>('run') : undefined;
  const tbody = document.querySelector<HTMLElement>('table[data-pairs] tbody');
  if (!tbody) return;
  initSorting(tbody, losses);
  initFilters(tbody);
  const view = new PairView(pairs, losses);
  initView(view, tbody, pairs);
  // The approval bar is on the page only when some pair may be decided on.
  if (run && pairs.some((p) => p.approval)) initApprovals(run, pairs, tbody, view);
  addEventListener('load', () => {
    const images = [...document.images];
    const loaded = images.filter((i) => i.complete && i.naturalWidth > 0).length;
    document.body.dataset.images = `${loaded}/${images.length}`;
  });
}

main();
