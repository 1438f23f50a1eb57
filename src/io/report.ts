import path from 'node:path';
import type { PairRecord } from '../model.js';

export type { PairRecord } from '../model.js';

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/**
 * JUnit XML as GitLab, Jenkins and GitHub reporters read it: one <testsuite>, one <testcase> per pair
 * (classname `nectar-loss.<losses>`), <failure> when over a threshold, <error> when it could not be compared.
 */
export function junitXml(records: PairRecord[], losses: string[], seconds: number): string {
  const failures = records.filter((r) => r.status === 'over' || r.status === 'new').length;
  const errors = records.filter((r) => r.status === 'error').length;
  const head = `tests="${records.length}" failures="${failures}" errors="${errors}" skipped="0" time="${seconds.toFixed(3)}"`;
  const cases = records.map((r) => {
    const stat = (k: string) => (r.stats?.[k] ? ` (median ${r.stats[k].median}, p95 ${r.stats[k].p95}, p99 ${r.stats[k].p99}, max ${r.stats[k].max})` : '');
    const values = Object.entries(r.losses).map(([k, v]) => `${k}=${v}${stat(k)}`).join('\n');
    const body =
      r.status === 'error'
        ? `\n      <error message="${xml(r.error ?? 'error')}" type="error">${xml(r.error ?? '')}</error>`
        : r.status === 'over'
          ? `\n      <failure message="${xml(r.over!.join('; '))}" type="threshold">${xml(r.over!.join('\n'))}</failure>`
          : r.status === 'new'
            ? `\n      <failure message="new image: no baseline${r.updated ? ' (written by --update)' : ''}" type="new">${xml(r.fake ?? '')}</failure>`
            : '';
    return `    <testcase classname="nectar-loss.${xml(losses.join(','))}" name="${xml(r.name)}" time="${((r.ms ?? 0) / 1000).toFixed(3)}">${body}\n      <system-out>${xml(values)}</system-out>\n    </testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="nectar-loss" ${head}>\n  <testsuite name="nectar-loss batch" ${head}>\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}

/**
 * Worst first: errors, then over a threshold, then new, then by the first loss's value (largest first, or
 * smallest first for a higher-is-better metric); ties by name.
 */
export function worstFirst(records: PairRecord[], losses: string[], higher: ReadonlySet<string> = new Set()): PairRecord[] {
  const rank = { error: 0, over: 1, new: 2, ok: 3 } as const;
  const key = losses[0]!;
  const s = higher.has(key) ? -1 : 1;
  const v = (r: PairRecord) => r.losses[key] ?? (s > 0 ? -Infinity : Infinity);
  return [...records].sort((a, b) => rank[a.status] - rank[b.status] || s * (v(b) - v(a)) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A file:// reachable path from the report's folder, URL-encoded segment by segment. */
function href(from: string, to: string): string {
  return path.relative(from, to).split(path.sep).map(encodeURIComponent).join('/');
}

/**
 * A self-contained HTML page (no server, no external resources) listing pairs worst first with real, fake
 * and each loss's heatmap, linked relative to the report's own folder. On load it counts the images that
 * decoded and puts `loaded/total` in <body data-images>, which the tests read.
 */
export function htmlReport(records: PairRecord[], losses: string[], reportFile: string, summary: { title: string; line: string }): string {
  const dir = path.dirname(path.resolve(reportFile));
  const esc = xml;
  const img = (p: string | undefined, label: string) => (p ? `<figure><img src="${esc(href(dir, path.resolve(p)))}" alt="${esc(label)}" loading="eager"><figcaption>${esc(label)}</figcaption></figure>` : '');
  const rows = worstFirst(records, losses).map((r) => {
    const values = losses.map((l) => `<td class="num">${r.losses[l] === undefined ? '–' : r.losses[l]!.toPrecision(6)}</td>`).join('');
    const heat = losses.map((l) => img(r.files[l]?.heatmap, `${l} heatmap`)).join('');
    const note = r.status === 'error' ? `<div class="err">${esc(r.error ?? '')}</div>` : r.status === 'new' ? '<div class="over">new image: no baseline</div>' : r.status === 'over' ? `<div class="over">${esc(r.over!.join('; '))}</div>` : '';
    const updated = r.updated ? `<div class="st">baseline ${r.updated === 'new' ? 'written' : 'replaced'} (--update)</div>` : '';
        // A pair that failed may have inputs a browser cannot show either: list only what was compared.
    const inputs = r.status === 'error' ? '' : r.status === 'new' ? img(r.fake, 'fake') : img(r.real, 'real') + img(r.fake, 'fake');
    return `<tr class="${r.status}"><td><b>${esc(r.name)}</b><br><span class="st">${r.status}</span>${note}${updated}</td>${values}<td class="imgs">${inputs}${heat}</td></tr>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(summary.title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:6px;vertical-align:top;text-align:left}
.num{font-family:ui-monospace,monospace;text-align:right}.imgs{display:flex;gap:8px;flex-wrap:wrap}
figure{margin:0}figure img{width:160px;height:auto;image-rendering:pixelated;background:#000;display:block}
figcaption{font-size:11px;color:#666}.error td:first-child{border-left:4px solid #c00}.over td:first-child{border-left:4px solid #e80}
.ok td:first-child{border-left:4px solid #2a2}.err{color:#c00}.over .over{color:#a50}.st{font-size:11px;text-transform:uppercase;color:#666}
</style></head>
<body data-images="pending">
<h1>${esc(summary.title)}</h1><p>${esc(summary.line)}</p>
<table><thead><tr><th>pair</th>${losses.map((l) => `<th>${esc(l)}</th>`).join('')}<th>images</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
<script>
addEventListener('load', () => {
  const all = [...document.images];
  document.body.dataset.images = all.filter((i) => i.complete && i.naturalWidth > 0).length + '/' + all.length;
});
</script>
</body></html>
`;
}
