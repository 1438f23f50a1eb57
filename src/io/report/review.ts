import type { TrainConfig } from '../review/config.js';
import type { LossSeries, TrainingLog } from '../review/log.js';

/** What a review report shows beyond a trainer folder's report: the log, configs, checkpoints, tests. */
export interface ReviewView {
  log?: TrainingLog;
  /** Why the log shown is not the file's current content (watch: it is being rewritten). */
  stale?: string;
  configs: TrainConfig[];
  checkpoints: number[];
  best: Record<string, { epoch: number; value: number; checkpoint: string }>;
  tests: { run: string; pairs: TestRow[] }[];
  /** Per NectarGAN test value, how far ours may be from it by the 8-bit rounding alone. */
  tolerance: Record<string, number>;
  /** Our losses' per-epoch means (the existing epoch chart). */
  series: { name: string; points: { x: number; y: number }[] }[];
  /** The cache file's bytes, written beside the report. */
  cache: Buffer;
  /** --watch: this build's id; the page reloads when `<folder>/live.js` names another. */
  live?: string;
  /** `--loss fid,kid`: FID and KID per test run and per example epoch (cli/review/review-sets.ts). */
  sets?: { tests: Record<string, SetRowView>; epochs: Record<string, SetRowView> };
}

/** One set comparison as the report shows it. */
export interface SetRowView {
  real: { count: number };
  fake: { count: number };
  fid?: { value: number; dims: number; interval?: [number, number]; rankDeficient: boolean };
  kid?: { value: number; std: number; subsets: number; subsetSize: number };
  skipped?: string;
  nectargan: Record<string, number> | null;
}

export interface TestRow {
  name: string;
  ours?: Record<string, number>;
  nectargan?: Record<string, number>;
  disagree: boolean;
  error?: string;
  real?: string;
  fake?: string;
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number | null | undefined) =>
  v === null || v === undefined
    ? '–'
    : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)
      ? v.toExponential(3)
      : String(Number(v.toPrecision(5)));

/** A config value as JSON; `–` where the key is absent. */
const shown = (v: unknown) => (v === undefined ? '–' : JSON.stringify(v));

const W = 960,
  PANEL = 120,
  LEFT = 70,
  RIGHT = 20,
  TOP = 24;

type Attrs = Record<string, string | number | boolean | undefined>;

/** An element: attribute values escaped, `true` a bare attribute, `false` or undefined left out. */
function el(name: string, attrs: Attrs, body = ''): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined && v !== false)
    .map(([k, v]) => (v === true ? ` ${k}` : ` ${k}="${esc(String(v))}"`))
    .join('');
  return `<${name}${a}>${body}</${name}>`;
}

const GREENS_BLUES = ['#1f5fa8', '#2a8a5a', '#7a4fa0', '#b07a10', '#16808c', '#555'];
const ROLE = { G: 'generator', D: 'discriminator', other: 'other' } as const;

/** One loss's panel: the min/max envelope of every logged value, the per-epoch mean over it. */
function panel(s: LossSeries, log: TrainingLog, x: (e: number) => number, top: number, i: number): string {
  const { lo, hi, bucket } = s.envelope;
  const all = [...lo, ...hi].filter(Number.isFinite);
  const y0 = Math.min(...all),
    y1 = Math.max(...all);
  const Y = (v: number) => top + PANEL - 18 - (y1 === y0 ? 0.5 : (v - y0) / (y1 - y0)) * (PANEL - 30);
  const ipe = log.iterationsPerEpoch,
    base = log.firstEpoch - 1;
  const bx = (k: number) => x(base + Math.min((k + 0.5) * bucket, s.values) / ipe);
  const pt = (px: number, py: number) => `${px.toFixed(1)},${py.toFixed(1)}`;
  const upper = hi.map((v, k) => pt(bx(k), Y(v)));
  const lower = lo.map((v, k) => pt(bx(k), Y(v))).reverse();
  const mean = s.epochs.map((e, k) => pt(x(e - 0.5), Y(s.mean[k]!))).join(' ');
  const d = s.group === 'D';
  const colour = d ? '#c0392b' : GREENS_BLUES[i % GREENS_BLUES.length]!;
  const w = s.weight.find((v): v is number => v !== null);
  const lambda = w !== undefined ? `, λ ${fmt(w)}` : '';
  const label = `${s.name} (${ROLE[s.group]}${lambda}; logged after weighting)`;
  const small = { 'font-size': 10, 'text-anchor': 'end', x: LEFT - 4 };
  const band = {
    fill: colour,
    'fill-opacity': 0.18,
    stroke: colour,
    'stroke-opacity': 0.45,
    'stroke-width': 0.6,
  };
  const line = {
    fill: 'none',
    stroke: colour,
    'stroke-width': 1.6,
    'stroke-dasharray': d ? '5 3' : undefined,
  };
  return el(
    'g',
    { 'data-series': s.name, 'data-group': s.group },
    el('text', { x: LEFT, y: top + 10, 'font-size': 12, fill: colour }, esc(label)) +
      el('text', { ...small, y: Y(y1) + 4 }, fmt(y1)) +
      el('text', { ...small, y: Y(y0) + 4 }, fmt(y0)) +
      el('polygon', { 'data-envelope': true, points: [...upper, ...lower].join(' '), ...band }) +
      el('polyline', { 'data-mean': true, points: mean, ...line }),
  );
}

/**
 * The training chart: a panel per logged loss (each on its own scale), generator losses solid, the
 * discriminator's dashed and red; each training's start marked (a continued train at load_epoch + 1).
 */
export function trainingChart(log: TrainingLog, configs: TrainConfig[]): string {
  const last = Math.max(log.firstEpoch, ...log.losses.flatMap((s) => s.epochs));
  const x0 = log.firstEpoch - 1;
  const x = (e: number) => LEFT + ((e - x0) / Math.max(1e-9, last - x0)) * (W - LEFT - RIGHT);
  const H = TOP + PANEL * log.losses.length + 24;
  const panels = log.losses.map((s, i) => panel(s, log, x, TOP + i * PANEL, i)).join('');
  const starts = configs
    .filter((c) => c.startEpoch - 1 >= x0 && c.startEpoch - 1 <= last)
    .map((c) => {
      const at = x(c.startEpoch - 1);
      const mark = { x1: at, y1: TOP, x2: at, y2: H - 20, stroke: '#888', 'stroke-dasharray': '2 3' };
      const text = el(
        'text',
        { x: at + 3, y: H - 22, 'font-size': 10 },
        esc(`${c.file} from epoch ${c.startEpoch}`),
      );
      return el('g', { 'data-start': c.startEpoch }, el('line', mark) + text);
    })
    .join('');
  const ticks = epochTicks(x0, last)
    .map((e) => el('text', { x: x(e), y: H - 6, 'font-size': 10, 'text-anchor': 'middle' }, String(e)))
    .join('');
  const title =
    'training losses per iteration (band: min–max of every logged value) and per-epoch mean (line); ' +
    'epoch axis';
  const svg = { 'data-chart': 'training', viewBox: `0 0 ${W} ${H}`, width: W, height: H };
  return el(
    'svg',
    { ...svg, xmlns: 'http://www.w3.org/2000/svg' },
    el('text', { x: LEFT, y: 14, 'font-size': 13 }, title) + panels + starts + ticks,
  );
}

function epochTicks(x0: number, x1: number): number[] {
  const span = x1 - x0,
    step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000].find((s) => span / s <= 12) ?? 1000;
  const out: number[] = [];
  for (let e = Math.ceil(x0 / step) * step; e <= x1; e += step) out.push(e);
  return out;
}

const cells = (tag: 'td' | 'th', values: string[], attrs: Attrs = {}) =>
  values.map((v) => el(tag, attrs, v)).join('');
const table = (head: string, rows: string[], attrs: Attrs = {}) =>
  el('table', { class: 'small', ...attrs }, el('thead', {}, head) + el('tbody', {}, rows.join('')));

/** Per-epoch table of the log (collapsed): mean, min, max and weight of every loss. */
function trainingTable(log: TrainingLog): string {
  const epochs = [...new Set(log.losses.flatMap((s) => s.epochs))].sort((a, b) => a - b);
  const head =
    el(
      'tr',
      {},
      el('th', {}, 'epoch') + log.losses.map((s) => el('th', { colspan: 4 }, esc(s.name))).join(''),
    ) + el('tr', {}, el('th', {}) + log.losses.map(() => cells('th', ['mean', 'min', 'max', 'λ'])).join(''));
  const rows = epochs.map((e) => {
    const values = log.losses.map((s) => {
      const k = s.epochs.indexOf(e);
      const v = k < 0 ? ['', '', '', ''] : [s.mean[k], s.min[k], s.max[k], s.weight[k]].map(fmt);
      return cells('td', v, { class: 'num' });
    });
    return el('tr', { 'data-epoch': e }, el('td', {}, String(e)) + values.join(''));
  });
  const summary = el('summary', {}, `per-epoch values (${epochs.length} epochs)`);
  return el('details', {}, summary + table(head, rows));
}

function configSection(configs: TrainConfig[]): string {
  if (!configs.length) return '<p>No train config (train1_config.json …) in the folder.</p>';
  return configs
    .map((c, i) => {
      const rows = c.changes.map((ch) =>
        el('tr', { 'data-key': ch.key }, cells('td', [ch.key, shown(ch.before), shown(ch.after)].map(esc))),
      );
      const changes = c.changes.length
        ? table(el('tr', {}, cells('th', ['changed', 'before', 'after'])), rows, { 'data-changes': true })
        : i === 0
          ? ''
          : '<p>no change from the previous config</p>';
      const from = c.continueTrain ? `, continued from epoch ${c.loadEpoch}` : '';
      const title = `${c.file}: epochs from ${c.startEpoch}, batch size ${c.batchSize}${from}`;
      const full = el('summary', {}, 'full config') + el('pre', {}, esc(JSON.stringify(c.config, null, 2)));
      return el(
        'div',
        { 'data-config': c.file },
        el('h3', {}, esc(title)) + changes + el('details', {}, full),
      );
    })
    .join('');
}

function testRow(p: TestRow, keys: string[], href: (f: string | undefined) => string): string {
  const values = keys.flatMap((k) => [fmt(p.ours?.[k]), fmt(p.nectargan?.[k])]);
  const imgs = [p.real, p.fake].map((f) => (f ? el('img', { src: href(f), alt: '' }) : '')).join(' ');
  const name =
    esc(p.name) +
    (p.disagree ? ' <b class="msg">disagrees</b>' : '') +
    (p.error ? el('div', { class: 'err' }, esc(p.error)) : '');
  const attrs = {
    'data-test-pair': p.name,
    'data-disagree': String(p.disagree),
    class: p.disagree && 'over',
  };
  return el('tr', attrs, el('td', {}, name) + cells('td', values, { class: 'num' }) + el('td', {}, imgs));
}

function testSection(v: ReviewView, href: (f: string | undefined) => string): string {
  if (!v.tests.length) return '<p>No test run (test/test_NN) in the folder.</p>';
  const keys = Object.keys(v.tolerance);
  const head = el(
    'tr',
    {},
    cells('th', ['pair', ...keys.flatMap((k) => [`${k} ours`, `${k} NectarGAN`]), 'real, fake']),
  );
  return v.tests
    .map((t) => {
      const title = `${t.run}: ${t.pairs.length} pairs, ${t.pairs.filter((p) => p.disagree).length} disagree`;
      const rows = t.pairs.map((p) => testRow(p, keys, href));
      return el('div', { 'data-test': t.run }, el('h3', {}, esc(title)) + table(head, rows));
    })
    .join('');
}

function setRow(kind: string, key: string, name: string, r: SetRowView): string {
  const fid = r.fid
    ? fmt(r.fid.value) + (r.fid.rankDeficient ? ` (rank-deficient at ${r.fid.dims} dims)` : '')
    : (r.skipped ?? '–');
  const iv = r.fid?.interval ? `${fmt(r.fid.interval[0])} – ${fmt(r.fid.interval[1])}` : '–';
  const kid = r.kid ? `${fmt(r.kid.value)} ± ${fmt(r.kid.std)}` : '–';
  const ng = r.nectargan
    ? Object.entries(r.nectargan)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ')
    : 'not logged';
  const counts = `${r.real.count} / ${r.fake.count}`;
  return el('tr', { [`data-set-${kind}`]: key }, cells('td', [name, counts, fid, iv, kid, ng].map(esc)));
}

function setSection(v: ReviewView): string {
  if (!v.sets) return '';
  const head = el(
    'tr',
    {},
    cells('th', ['', 'real / fake', 'FID', 'FID 95% bootstrap', 'KID ± std', "NectarGAN's values (means)"]),
  );
  const rows = [
    ...Object.entries(v.sets.tests).map(([run, r]) => setRow('test', run, run, r)),
    ...Object.entries(v.sets.epochs).map(([e, r]) => setRow('epoch', e, `epoch ${e}`, r)),
  ];
  const about =
    "FID and KID between each test run's real and fake images and each example epoch's. NectarGAN records " +
    "no FID or KID; its own logged values are shown beside: a test run's means of the per-pair losses its " +
    "Tester logged, an epoch's means of loss_log.json.";
  return '<h2>FID and KID</h2>' + el('p', {}, esc(about)) + table(head, rows);
}

function logSection(v: ReviewView): string {
  if (!v.log)
    return v.stale
      ? el('p', { class: 'msg', 'data-log': 'pending' }, esc(`loss_log.json is being written (${v.stale})`))
      : '<p data-log="absent">No loss_log.json: training ran without -log (nothing to draw).</p>';
  const l = v.log;
  const stale = v.stale
    ? el(
        'p',
        { class: 'msg' },
        esc(`loss_log.json is being rewritten (${v.stale}): the last whole read shows`),
      )
    : '';
  const about =
    `${l.losses.length} logged losses; ${l.iterationsPerEpoch} iterations per epoch = ceil(dataset_length ` +
    `${l.datasetLength} / batch size); the log starts at epoch ${l.firstEpoch}`;
  return stale + el('p', {}, about) + trainingChart(l, v.configs) + trainingTable(l);
}

function checkpointSection(v: ReviewView): string {
  const names = v.checkpoints.map((e) => `epoch${e}_netG.pth.tar`).join(', ');
  const best = Object.entries(v.best).map(([l, b]) =>
    el(
      'li',
      { 'data-best-loss': l },
      esc(`best ${l} among checkpointed epochs: epoch ${b.epoch} (${fmt(b.value)}): load `) +
        el('code', {}, esc(b.checkpoint)),
    ),
  );
  return (
    el('p', { 'data-checkpoints': true }, names || 'none') +
    (best.length ? el('ul', {}, best.join('')) : '<p>No example epoch has a checkpoint yet.</p>')
  );
}

/** The review's sections, placed above the pairs table. `href` turns a copied image's name into a link. */
export function reviewSections(v: ReviewView, href: (f: string | undefined) => string): string {
  const tol = Object.entries(v.tolerance)
    .map(([k, t]) => `${k} ${t.toFixed(4)}`)
    .join(', ');
  const about =
    "Ours: NectarGAN's L1, SOBEL, LAPLACIAN on the PNGs (range signed); NectarGAN's: on the float tensors " +
    `before they were written. Flagged when apart by more than the 8-bit rounding explains (${tol}).`;
  return [
    '<h2>Training</h2>',
    logSection(v),
    '<h2>Checkpoints</h2>',
    checkpointSection(v),
    '<h2>Configs</h2>',
    configSection(v.configs),
    '<h2>Tests</h2>',
    el('p', {}, esc(about)),
    testSection(v, href),
    setSection(v),
    '<h2>Examples</h2>',
  ].join('\n');
}

/** --watch: the page loads `<folder>/live.js` every 2 s and reloads (keeping its scroll) on a new build. */
export function liveScript(folder: string, id: string): string {
  const src = JSON.stringify(`${folder}/live.js`);
  return `<script>(() => {
const id = ${JSON.stringify(id)}, y = sessionStorage.getItem('nl-scroll');
if (y) { sessionStorage.removeItem('nl-scroll'); addEventListener('load', () => scrollTo(0, Number(y))); }
window.nectarLossLive = (next, done) => {
  if (next !== id) { sessionStorage.setItem('nl-scroll', String(scrollY)); location.reload(); }
  else if (done) clearInterval(timer);
};
const timer = setInterval(() => {
  const s = document.createElement('script');
  s.src = ${src} + '?' + Date.now();
  s.onload = s.onerror = () => s.remove();
  document.head.append(s);
}, 2000);
})();</script>`;
}
