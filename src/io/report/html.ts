import path from 'node:path';
import { KINDS, type PairRecord, type ReportPair, type ReportRun } from '../../model.js';
import { historyCell } from './sparkline.js';
import { sha256File } from '../hash.js';
import { sharp } from '../sharp.js';
import type { FileToWrite } from '../write.js';
import { worstFirst } from './junit.js';
import { pageAssets } from './page.js';
import { liveScript, reviewSections, type ReviewView } from './review.js';

/** What the report shows besides the pairs. */
export interface ReportSummary {
  title: string;
  /** The summary line (`8 pairs: 6 ok, …`). */
  line: string;
  /** Each loss and which way it points. */
  losses: { name: string; better: 'lower' | 'higher' }[];
  /** The thresholds, as the flags gave them (`--max sobel.p99=0.3`). */
  gates: string[];
  /** Trainer layouts: each loss's mean per epoch and its best epoch. */
  epochs?: { name: string; points: { x: number; y: number }[]; best?: { x: number; y: number } }[];
  /** `nectar-loss review`: the training log, configs, checkpoints and test runs of an experiment. */
  review?: ReviewView;
  /** A run that compared a baseline folder with a current folder: its pairs can be approved. */
  run?: ReportRun;
}

/**
 * A file of the report: the page itself or a converted image (bytes), or an image under its folder
 * copied from its source when written (`from`: no image is held in memory, no file is open meanwhile).
 */
export type ReportFile = FileToWrite;

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** Formats browsers show; others (TIFF, HEIF) are converted to PNG for the report. */
const SHOWN = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.avif']);
/** Pairs prepared at once (only conversions read images here: a bound on open files and memory). */
const AT_ONCE = 8;

/**
 * The report as files: `<name>.html` and, in the folder `<name>-files/` beside it, a copy of every image it
 * shows (real, fake, heatmaps), so the folder is a self-contained CI artifact that opens from disk with no
 * server and no network request. The caller writes them all or nothing.
 */
export async function reportFiles(
  reportFile: string,
  records: PairRecord[],
  summary: ReportSummary,
): Promise<ReportFile[]> {
  const base = path.basename(reportFile, path.extname(reportFile));
  const folder = `${base}-files`;
  const images: ReportFile[] = [];
  const copies = new Map<string, string>();
  const copy = async (src: string | undefined, name: string): Promise<string | undefined> => {
    if (!src) return undefined;
    const known = copies.get(src);
    if (known) return known;
    const shown = SHOWN.has(path.extname(src).toLowerCase());
    const file = `${folder}/${name}${shown ? path.extname(src).toLowerCase() : '.png'}`;
    images.push(shown ? { name: file, from: src } : { name: file, bytes: await sharp(src).png().toBuffer() });
    copies.set(src, file);
    return file;
  };
  const higher = new Set(summary.losses.filter((l) => l.better === 'higher').map((l) => l.name));
  const ordered = worstFirst(
    records,
    summary.losses.map((l) => l.name),
    higher,
  );
  const pairs = await mapAtMost(AT_ONCE, ordered, async (r, i) => ({
    name: r.name,
    status: r.status,
    values: r.losses,
    stats: r.stats ?? {},
    over: r.over,
    error: r.error,
    updated: r.updated,
    ...optionalFields(r),
    real: r.status === 'error' || r.updated === 'obsolete' ? undefined : await copy(r.real, `${i + 1}-real`),
    fake: r.status === 'error' ? undefined : await copy(r.fake, `${i + 1}-fake`),
    heat: Object.fromEntries(
      await Promise.all(
        Object.entries(r.files).map(
          async ([l, k]) => [l, await copy(k.heatmap, `${i + 1}-${l}-heatmap`)] as const,
        ),
      ),
    ),
    ...(summary.run && decidable(r) ? { approval: await hashes(r) } : {}),
  }));
  const review = summary.review && (await reviewImages(summary.review, copy));
  const live = review?.live
    ? [
        {
          name: `${folder}/live.js`,
          bytes: Buffer.from(
            `window.nectarLossLive && nectarLossLive(${JSON.stringify(review.live)}, false);\n`,
          ),
        },
      ]
    : [];
  const html = page(pairs, { ...summary, ...(review ? { review } : {}) }, folder);
  // live.js last: a page reloaded for it finds the new page in place.
  return [{ name: path.basename(reportFile), bytes: Buffer.from(html) }, ...images, ...live];
}

/** What a record carries only sometimes: the variant it matched, its kind and regions, its history. */
const optionalFields = (r: PairRecord): Pick<ReportPair, 'variant' | 'kind' | 'regions' | 'history'> => ({
  ...(r.variant ? { variant: r.variant } : {}),
  ...(r.kind ? { kind: r.kind, regions: r.regions ?? [] } : {}),
  ...(r.history ? { history: r.history } : {}),
});

/** A pair the reviewer may accept or reject: changed (over a threshold), new or obsolete, not yet updated. */
const decidable = (r: PairRecord) =>
  (r.status === 'over' || r.status === 'new' || r.status === 'obsolete') && !r.updated;

/** The SHA-256 of the baseline and current image as the report shows them (null: that side is absent). */
async function hashes(r: PairRecord): Promise<{ baseline: string | null; current: string | null }> {
  const of = async (f: string | undefined, absent: boolean) => (absent || !f ? null : await sha256File(f));
  return {
    baseline: await of(r.real, r.status === 'new'),
    current: await of(r.fake, r.status === 'obsolete'),
  };
}

/** The review's test images, copied into the report's folder like the pairs' (their names replace paths). */
async function reviewImages(
  v: ReviewView,
  copy: (src: string | undefined, name: string) => Promise<string | undefined>,
): Promise<ReviewView> {
  const tests = [];
  for (const [i, t] of v.tests.entries()) {
    const pairs = [];
    for (const [j, p] of t.pairs.entries())
      pairs.push({
        ...p,
        real: await copy(p.real, `test${i + 1}-${j + 1}-real`),
        fake: await copy(p.fake, `test${i + 1}-${j + 1}-fake`),
      });
    tests.push({ ...t, pairs });
  }
  return { ...v, tests };
}

/** `items.map(f)` with at most `n` calls of `f` pending at a time; results in order. */
async function mapAtMost<T, R>(n: number, items: T[], f: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, lane));
  return out;
}

/** A JSON value inside <script>: `<` escaped so no string can close the element. */
const json = (v: unknown) =>
  JSON.stringify(v, (_k, x: unknown) => (x === Infinity ? 'inf' : x)).replace(/</g, '\\u003c');

const href = (f: string | undefined) => (f ? f.split('/').map(encodeURIComponent).join('/') : '');

/** Accept / accept as variant (a changed pair: both sides exist) / reject, for a pair one may decide on. */
function controls(p: ReportPair): string {
  if (!p.approval) return '';
  const what = p.approval.current === null ? 'remove baseline' : 'accept';
  const variant = p.approval.baseline !== null && p.approval.current !== null;
  return (
    `<div class="decide"><button data-decision="accept" title="a">${what}</button>` +
    (variant ? '<button data-decision="variant">accept as variant</button>' : '') +
    '<button data-decision="reject" title="r">reject</button></div><div class="applied"></div>'
  );
}

/** The approval bar: counter, accept all shown, download (a run with a baseline and a current folder). */
const approvalBar = (pairs: ReportPair[]) =>
  pairs.some((p) => p.approval)
    ? '<div class="approvals"><span id="counter" data-counter></span>' +
      '<button id="accept-shown" data-action="accept-shown">accept all shown</button>' +
      '<button data-action="approvals">Download approvals</button>' +
      '<span class="st">j/k: move · a: accept · r: reject · u: undo</span></div>'
    : '';

function row(p: ReportPair, losses: ReportSummary['losses']): string {
  const img = (f: string | undefined, alt: string) =>
    f ? `<img src="${esc(href(f))}" alt="${esc(alt)}">` : '';
  // A pair that failed has no value for its losses.
  const shown = (l: { name: string }): string | undefined => {
    const v = p.values[l.name] as number | undefined;
    return v === undefined ? undefined : v === Infinity ? 'inf' : String(v);
  };
  const values = losses.map((l) => `<td class="num">${esc(shown(l) ?? '–')}</td>`).join('');
  const attrs = losses.map((l) => ` data-${esc(l.name)}="${shown(l) ?? ''}"`).join('');
  const note = p.error
    ? `<div class="err">${esc(p.error)}</div>`
    : p.over
      ? `<div class="msg">${esc(p.over.join('; '))}</div>`
      : p.status === 'new'
        ? '<div class="msg">new image: no baseline</div>'
        : p.status === 'obsolete'
          ? '<div class="msg">obsolete baseline: no current image</div>'
          : '';
  const done = { new: 'written', changed: 'replaced', obsolete: 'removed' } as Record<string, string>;
  const updated =
    (p.updated ? `<div class="st">baseline ${done[p.updated]} (--update)</div>` : '') +
    (p.variant ? `<div class="st">passed against the accepted variant ${esc(p.variant)}</div>` : '') +
    (p.history ? historyCell(p.history) : '');
  const kind = p.kind ? ` data-kind="${esc(p.kind)}"` : '';
  const tag = p.kind ? ` <span class="kind" data-kind-tag="${esc(p.kind)}">${esc(p.kind)}</span>` : '';
  return `<tr class="${p.status}" data-pair="${esc(p.name)}" data-status="${p.status}"${attrs}${kind}><td><b>${esc(p.name)}</b><br><span class="st">${p.status}</span>${tag}${note}${updated}${controls(p)}</td>${values}<td>${img(p.real, 'real')} ${img(p.fake, 'fake')} ${losses.map((l) => img(p.heat[l.name], `${l.name} heatmap`)).join(' ')}</td></tr>`;
}

/**
 * The epoch chart as inline SVG: one polyline per loss, each scaled to its own range, the best epoch ringed.
 */
function chart(series: NonNullable<ReportSummary['epochs']>): string {
  const W = 720,
    H = 260,
    P = 36;
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const x0 = Math.min(...xs),
    x1 = Math.max(...xs);
  const X = (x: number) => P + (x1 === x0 ? (W - 2 * P) / 2 : ((x - x0) / (x1 - x0)) * (W - 2 * P));
  const colours = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1'];
  const lines = series.map((s, i) => {
    const ys = s.points.map((p) => p.y),
      lo = Math.min(...ys),
      hi = Math.max(...ys);
    const Y = (y: number) => H - P - (hi === lo ? 0.5 : (y - lo) / (hi - lo)) * (H - 2 * P);
    const pts = [...s.points]
      .sort((a, b) => a.x - b.x)
      .map((p) => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`)
      .join(' ');
    const best = s.best
      ? `<circle data-best="${s.best.x}" cx="${X(s.best.x).toFixed(1)}" cy="${Y(s.best.y).toFixed(1)}" r="7" fill="none" stroke="${colours[i % 7]}" stroke-width="2"/>`
      : '';
    return `<g data-series="${esc(s.name)}"><polyline fill="none" stroke="${colours[i % 7]}" stroke-width="2" points="${pts}"/>${best}<text x="${W - P}" y="${P + 14 * i}" text-anchor="end" fill="${colours[i % 7]}" font-size="12">${esc(s.name)}${s.best ? ` (best epoch ${s.best.x})` : ''}</text></g>`;
  });
  return (
    `<svg data-chart viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" ` +
    `xmlns="http://www.w3.org/2000/svg"><text x="${P}" y="18" font-size="13">mean per epoch (each loss on ` +
    `its own scale), epochs ${x0}–${x1}</text><line x1="${P}" y1="${H - P}" x2="${W - P}" y2="${H - P}" ` +
    `stroke="#888"/>${lines.join('')}</svg>`
  );
}

/** batch --quarantine: the flaky pairs listed apart, above the table (empty when none). */
function flakyLine(pairs: readonly ReportPair[]): string {
  const flaky = pairs.filter((p) => p.status === 'flaky');
  if (!flaky.length) return '';
  const item = (p: ReportPair) =>
    `<span data-flaky-pair="${esc(p.name)}">${esc(p.name)}</span>` +
    (p.history ? ` (${p.history.flips} flips in ${p.history.runs} runs)` : '');
  return `<p class="flaky" data-flaky>flaky, quarantined (their verdict flips between runs): ${flaky.map(item).join(', ')}</p>\n`;
}

const gatesLine = (gates: string[]) =>
  `<p class="gates">${gates.length ? `thresholds: ${gates.map(esc).join(', ')}` : 'no thresholds'}</p>`;

function page(pairs: ReportPair[], s: ReportSummary, folder: string): string {
  const heads = s.losses
    .map((l) => `<th data-sort="${esc(l.name)}" title="${l.better} is better">${esc(l.name)}</th>`)
    .join('');
  const optional = ['new', 'obsolete', 'flaky'].filter((f) => pairs.some((p) => p.status === f));
  const filters = ['all', 'over', 'error', 'ok', ...optional]
    .map((f) => `<button data-filter="${f}" aria-pressed="${f === 'all'}">${f}</button>`)
    .join('');
  const kinds = KINDS.filter((k) => pairs.some((p) => p.kind === k))
    .map((k) => `<button data-kind-filter="${k}" aria-pressed="false">${k}</button>`)
    .join('');
  const views = ['side', 'slider', 'overlay', 'toggle']
    .map((v) => `<button data-view="${v}">${v}</button>`)
    .join('');
  const assets = pageAssets();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(s.title)}</title><style>${assets.style}</style></head>
<body data-images="pending">
<h1>${esc(s.title)}</h1><p class="line">${esc(s.line)}</p>
${s.review ? reviewSections(s.review, href) : gatesLine(s.gates)}
${s.epochs?.length ? chart(s.epochs) : ''}
${flakyLine(pairs)}<div class="bar">${filters}${kinds ? `<span class="kinds">kind: ${kinds}</span>` : ''}</div>
${s.run ? approvalBar(pairs) : ''}
<table data-pairs><thead><tr><th>pair</th>${heads}<th>real, fake, heatmaps</th></tr></thead>
<tbody>
${pairs.map((p) => row(p, s.losses)).join('\n')}
</tbody></table>
<section id="view" aria-label="pair view"><header><h2 id="vtitle"></h2><span class="views">${views}</span>
<label>heatmap <select id="loss">${s.losses.map((l) => `<option>${esc(l.name)}</option>`).join('')}</select></label>
<input id="opacity" type="range" min="0" max="1" step="0.05" value="0.6" hidden aria-label="overlay opacity">
<span>wheel: zoom · drag: pan · 0: reset · ←/→: previous/next · t: toggle · Esc: close</span><button id="close">close</button></header>
<div id="stage"></div><pre id="stats"></pre></section>
<script id="pairs" type="application/json">${json(pairs)}</script>
<script id="losses" type="application/json">${json(s.losses)}</script>
${s.run ? `<script id="run" type="application/json">${json(s.run)}</script>\n` : ''}<script>${assets.script}</script>
${s.review?.live ? liveScript(folder, s.review.live) : ''}
</body></html>
`;
}
