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
  const upper = hi.map((v, k) => `${bx(k).toFixed(1)},${Y(v).toFixed(1)}`);
  const lower = lo.map((v, k) => `${bx(k).toFixed(1)},${Y(v).toFixed(1)}`).reverse();
  const mean = s.epochs.map((e, k) => `${x(e - 0.5).toFixed(1)},${Y(s.mean[k]!).toFixed(1)}`).join(' ');
  const d = s.group === 'D';
  const colour = d ? '#c0392b' : ['#1f5fa8', '#2a8a5a', '#7a4fa0', '#b07a10', '#16808c', '#555'][i % 6]!;
  const w = s.weight.find((v): v is number => v !== null);
  const label = `${s.name} (${d ? 'discriminator' : s.group === 'G' ? 'generator' : 'other'}${w !== undefined ? `, λ ${fmt(w)}` : ''}; logged after weighting)`;
  return (
    `<g data-series="${esc(s.name)}" data-group="${s.group}">` +
    `<text x="${LEFT}" y="${top + 10}" font-size="12" fill="${colour}">${esc(label)}</text>` +
    `<text x="${LEFT - 4}" y="${Y(y1) + 4}" font-size="10" text-anchor="end">${fmt(y1)}</text>` +
    `<text x="${LEFT - 4}" y="${Y(y0) + 4}" font-size="10" text-anchor="end">${fmt(y0)}</text>` +
    `<polygon data-envelope points="${[...upper, ...lower].join(' ')}" fill="${colour}" fill-opacity="0.18" stroke="${colour}" stroke-opacity="0.45" stroke-width="0.6"/>` +
    `<polyline data-mean points="${mean}" fill="none" stroke="${colour}" stroke-width="1.6"${d ? ' stroke-dasharray="5 3"' : ''}/>` +
    `</g>`
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
    .map(
      (c) =>
        `<g data-start="${c.startEpoch}"><line x1="${x(c.startEpoch - 1)}" y1="${TOP}" x2="${x(c.startEpoch - 1)}" y2="${H - 20}" stroke="#888" stroke-dasharray="2 3"/>` +
        `<text x="${x(c.startEpoch - 1) + 3}" y="${H - 22}" font-size="10">${esc(c.file)} from epoch ${c.startEpoch}</text></g>`,
    )
    .join('');
  const ticks = epochTicks(x0, last)
    .map((e) => `<text x="${x(e)}" y="${H - 6}" font-size="10" text-anchor="middle">${e}</text>`)
    .join('');
  return (
    `<svg data-chart="training" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">` +
    `<text x="${LEFT}" y="14" font-size="13">training losses per iteration (band: min–max of every logged value) and per-epoch mean (line); epoch axis</text>` +
    `${panels}${starts}${ticks}</svg>`
  );
}

function epochTicks(x0: number, x1: number): number[] {
  const span = x1 - x0,
    step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000].find((s) => span / s <= 12) ?? 1000;
  const out: number[] = [];
  for (let e = Math.ceil(x0 / step) * step; e <= x1; e += step) out.push(e);
  return out;
}

/** Per-epoch table of the log (collapsed): mean, min, max and weight of every loss. */
function trainingTable(log: TrainingLog): string {
  const epochs = [...new Set(log.losses.flatMap((s) => s.epochs))].sort((a, b) => a - b);
  const head = log.losses.map((s) => `<th colspan="4">${esc(s.name)}</th>`).join('');
  const sub = log.losses.map(() => '<th>mean</th><th>min</th><th>max</th><th>λ</th>').join('');
  const rows = epochs.map((e) => {
    const cells = log.losses
      .map((s) => {
        const k = s.epochs.indexOf(e);
        return k < 0
          ? '<td></td>'.repeat(4)
          : [s.mean[k], s.min[k], s.max[k], s.weight[k]]
              .map((v) => `<td class="num">${fmt(v)}</td>`)
              .join('');
      })
      .join('');
    return `<tr data-epoch="${e}"><td>${e}</td>${cells}</tr>`;
  });
  return `<details><summary>per-epoch values (${epochs.length} epochs)</summary><table class="small"><thead><tr><th>epoch</th>${head}</tr><tr><th></th>${sub}</tr></thead><tbody>${rows.join('')}</tbody></table></details>`;
}

function configSection(configs: TrainConfig[]): string {
  if (!configs.length) return '<p>No train config (train1_config.json …) in the folder.</p>';
  return configs
    .map((c) => {
      const changes = c.changes.length
        ? `<table class="small" data-changes><thead><tr><th>changed</th><th>before</th><th>after</th></tr></thead><tbody>${c.changes
            .map(
              (ch) =>
                `<tr data-key="${esc(ch.key)}"><td>${esc(ch.key)}</td><td>${esc(shown(ch.before))}</td><td>${esc(shown(ch.after))}</td></tr>`,
            )
            .join('')}</tbody></table>`
        : c.index === configs[0]!.index
          ? ''
          : '<p>no change from the previous config</p>';
      return `<div data-config="${esc(c.file)}"><h3>${esc(c.file)}: epochs from ${c.startEpoch}, batch size ${c.batchSize}${c.continueTrain ? `, continued from epoch ${c.loadEpoch}` : ''}</h3>${changes}<details><summary>full config</summary><pre>${esc(JSON.stringify(c.config, null, 2))}</pre></details></div>`;
    })
    .join('');
}

function testSection(v: ReviewView, href: (f: string | undefined) => string): string {
  if (!v.tests.length) return '<p>No test run (test/test_NN) in the folder.</p>';
  const keys = Object.keys(v.tolerance);
  return v.tests
    .map((t) => {
      const rows = t.pairs.map((p) => {
        const cells = keys
          .map((k) => `<td class="num">${fmt(p.ours?.[k])}</td><td class="num">${fmt(p.nectargan?.[k])}</td>`)
          .join('');
        const imgs = [p.real, p.fake].map((f) => (f ? `<img src="${esc(href(f))}" alt="">` : '')).join(' ');
        return `<tr data-test-pair="${esc(p.name)}" data-disagree="${p.disagree}"${p.disagree ? ' class="over"' : ''}><td>${esc(p.name)}${p.disagree ? ' <b class="msg">disagrees</b>' : ''}${p.error ? `<div class="err">${esc(p.error)}</div>` : ''}</td>${cells}<td>${imgs}</td></tr>`;
      });
      const head = keys.map((k) => `<th>${k} ours</th><th>${k} NectarGAN</th>`).join('');
      return `<div data-test="${esc(t.run)}"><h3>${esc(t.run)}: ${t.pairs.length} pairs, ${t.pairs.filter((p) => p.disagree).length} disagree</h3><table class="small"><thead><tr><th>pair</th>${head}<th>real, fake</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
    })
    .join('');
}

/** The review's sections, placed above the pairs table. `href` turns a copied image's name into a link. */
export function reviewSections(v: ReviewView, href: (f: string | undefined) => string): string {
  const best = Object.entries(v.best);
  const tol = Object.entries(v.tolerance)
    .map(([k, t]) => `${k} ${t.toFixed(4)}`)
    .join(', ');
  return [
    '<h2>Training</h2>',
    v.stale && !v.log
      ? `<p class="msg" data-log="pending">loss_log.json is being written (${esc(v.stale)}): the curves follow once it is whole</p>`
      : v.log
        ? `${v.stale ? `<p class="msg">loss_log.json is being rewritten (${esc(v.stale)}): showing the last complete read</p>` : ''}<p>${v.log.losses.length} logged losses; ${v.log.iterationsPerEpoch} iterations per epoch = ceil(dataset_length ${v.log.datasetLength} / batch size); log starts at epoch ${v.log.firstEpoch}</p>${trainingChart(v.log, v.configs)}${trainingTable(v.log)}`
        : '<p data-log="absent">No loss_log.json: training ran without -log (nothing to draw).</p>',
    '<h2>Checkpoints</h2>',
    `<p data-checkpoints>${v.checkpoints.length ? v.checkpoints.map((e) => `epoch${e}_netG.pth.tar`).join(', ') : 'none'}</p>`,
    best.length
      ? `<ul>${best.map(([l, b]) => `<li data-best-loss="${esc(l)}">best ${esc(l)} among checkpointed epochs: epoch ${b.epoch} (${fmt(b.value)}): load <code>${esc(b.checkpoint)}</code></li>`).join('')}</ul>`
      : '<p>No example epoch has a checkpoint yet.</p>',
    '<h2>Configs</h2>',
    configSection(v.configs),
    '<h2>Tests</h2>',
    `<p>Ours: NectarGAN's L1, SOBEL, LAPLACIAN on the PNGs (range signed); NectarGAN's: on the float tensors before they were written. Flagged when apart by more than the 8-bit rounding explains (${tol}).</p>`,
    testSection(v, href),
    '<h2>Examples</h2>',
  ].join('\n');
}

/** --watch: the page asks for `<folder>/live.js` every 2 s and reloads (keeping its scroll) on a new build. */
export function liveScript(folder: string, id: string): string {
  return `<script>(() => { const id = ${JSON.stringify(id)}; const y = sessionStorage.getItem('nl-scroll'); if (y) { sessionStorage.removeItem('nl-scroll'); addEventListener('load', () => scrollTo(0, Number(y))); }
window.nectarLossLive = (next, done) => { if (next !== id) { sessionStorage.setItem('nl-scroll', String(scrollY)); location.reload(); } else if (done) clearInterval(timer); };
const timer = setInterval(() => { const s = document.createElement('script'); s.src = ${JSON.stringify(folder + '/live.js')} + '?' + Date.now(); s.onload = s.onerror = () => s.remove(); document.head.append(s); }, 2000); })();</script>`;
}
