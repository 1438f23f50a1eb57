/**
 * The report page's own style and script, inlined in the HTML: no network request, no framework. The
 * script reads the pairs from <script id="pairs" type="application/json"> and adds sorting, filtering
 * and the pair view (side by side, slider, overlay, toggle; zoom and pan in sync; keyboard navigation).
 */
export const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.2em;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 .3em}.line{color:#444}.gates{margin:.3em 0 1em;color:#555}
.bar{display:flex;gap:6px;margin:.6em 0}.bar button,.views button{border:1px solid #bbb;background:#fff;border-radius:4px;padding:3px 10px;cursor:pointer}
.bar button[aria-pressed=true],.views button[aria-pressed=true]{background:#234;color:#fff;border-color:#234}
table{border-collapse:collapse;width:100%;background:#fff}td,th{border-bottom:1px solid #e3e3e3;padding:5px 8px;text-align:left;vertical-align:middle}
th[data-sort]{cursor:pointer;user-select:none;white-space:nowrap}th[data-sort]::after{content:" \\2195";color:#999}
th[data-dir=worst]::after{content:" \\25BC"}th[data-dir=best]::after{content:" \\25B2"}
td.num{font-family:ui-monospace,monospace;text-align:right}tr[data-pair]{cursor:pointer}tr[data-pair]:hover{background:#f2f6fb}
tr.error td:first-child{border-left:4px solid #c00}tr.over td:first-child{border-left:4px solid #e80}tr.new td:first-child{border-left:4px solid #68c}tr.obsolete td:first-child{border-left:4px solid #999}tr.ok td:first-child{border-left:4px solid #2a2}
.st{font-size:11px;text-transform:uppercase;color:#666}.msg{font-size:12px;color:#a50}.err{color:#c00}
td img{width:72px;height:auto;image-rendering:pixelated;background:#000;vertical-align:middle}
#view{position:fixed;inset:0;background:rgba(20,24,30,.96);color:#eee;display:none;flex-direction:column;padding:12px;z-index:9}
#view.open{display:flex}#view header{display:flex;gap:12px;align-items:center;flex-wrap:wrap}#view h2{font-size:16px;margin:0}
.views button{background:#333;color:#eee;border-color:#555}#stage{flex:1;display:flex;gap:8px;margin-top:10px;min-height:0}
.pane{flex:1;position:relative;overflow:hidden;background:#000;border:1px solid #444}.pane img{position:absolute;left:0;top:0;transform-origin:0 0;image-rendering:pixelated;max-width:none}
.pane .cap{position:absolute;left:6px;bottom:4px;font-size:12px;background:rgba(0,0,0,.6);padding:1px 5px;z-index:2}
.pane .clip{position:absolute;inset:0}.divider{position:absolute;top:0;bottom:0;width:2px;background:#fd0;z-index:3;cursor:ew-resize}
.divider::after{content:"";position:absolute;top:0;bottom:0;left:-8px;width:18px}
#stats{font-family:ui-monospace,monospace;font-size:12px;margin-top:8px;color:#ccc}
svg[data-chart]{background:#fff;border:1px solid #ddd;margin:1em 0;max-width:100%;height:auto}
h2{font-size:17px;margin:1.2em 0 .4em}h3{font-size:14px;margin:.8em 0 .3em}table.small{width:auto;font-size:12px}
table.small td,table.small th{padding:2px 6px}details pre{font-size:11px;max-height:24em;overflow:auto;background:#fff}
`;

export const SCRIPT = `
(() => {
  const pairs = JSON.parse(document.getElementById('pairs').textContent);
  const losses = JSON.parse(document.getElementById('losses').textContent);
  const byName = new Map(pairs.map((p) => [p.name, p]));
  const tbody = document.querySelector('table[data-pairs] tbody');
  const rows = () => [...tbody.querySelectorAll('tr[data-pair]')];
  // Sorting: first click worst first, the next best first (direction per loss: lower or higher is better).
  for (const th of document.querySelectorAll('th[data-sort]')) {
    th.addEventListener('click', () => {
      const loss = th.dataset.sort, worst = th.dataset.dir !== 'worst';
      for (const o of document.querySelectorAll('th[data-sort]')) delete o.dataset.dir;
      th.dataset.dir = worst ? 'worst' : 'best';
      const higher = losses.find((l) => l.name === loss).better === 'higher';
      const key = (tr) => { const v = tr.getAttribute('data-' + loss); return v === null || v === '' ? NaN : v === 'inf' ? Infinity : Number(v); };
      const sign = (worst ? 1 : -1) * (higher ? -1 : 1);
      rows().sort((a, b) => { const x = key(a), y = key(b); if (isNaN(x) !== isNaN(y)) return isNaN(x) ? 1 : -1; return sign * (y - x) || 0; }).forEach((tr) => tbody.appendChild(tr));
    });
  }
  // Filtering by status.
  for (const b of document.querySelectorAll('[data-filter]')) {
    b.addEventListener('click', () => {
      for (const o of document.querySelectorAll('[data-filter]')) o.setAttribute('aria-pressed', String(o === b));
      const f = b.dataset.filter;
      for (const tr of rows()) tr.hidden = f !== 'all' && tr.dataset.status !== f;
    });
  }
  // The pair view.
  const view = document.getElementById('view'), stage = document.getElementById('stage');
  // zoom multiplies base, the scale that fits the image in a pane; pan is in pane pixels.
  let current = -1, mode = 'side', loss = losses[0] && losses[0].name, zoom = 1, base = 1, pan = [0, 0], flipped = false, split = 50, opacity = 0.6;
  const visible = () => rows().filter((tr) => !tr.hidden);
  // Not draggable: a browser's own image drag would end the pan (pointercancel).
  const img = (src, cls) => { const i = document.createElement('img'); i.src = src; i.draggable = false; if (cls) i.className = cls; return i; };
  const pane = (label, ...imgs) => { const d = document.createElement('div'); d.className = 'pane'; imgs.forEach((i) => d.appendChild(i)); const c = document.createElement('span'); c.className = 'cap'; c.textContent = label; d.appendChild(c); return d; };
  const transform = () => { for (const i of stage.querySelectorAll('.pane img')) i.style.transform = 'translate(' + pan[0] + 'px,' + pan[1] + 'px) scale(' + base * zoom + ')'; };
  const fit = () => { const pn = stage.querySelector('.pane'), im = stage.querySelector('.pane img'); if (!im || !im.naturalWidth) return; base = Math.min(pn.clientWidth / im.naturalWidth, pn.clientHeight / im.naturalHeight); transform(); };
  function render() {
    const p = pairs[current];
    document.getElementById('vtitle').textContent = p.name + ' — ' + p.status;
    for (const b of document.querySelectorAll('[data-view]')) b.setAttribute('aria-pressed', String(b.dataset.view === mode));
    stage.replaceChildren();
    const heat = p.heat[loss];
    if (mode === 'side') stage.append(pane('real', img(p.real)), pane('fake', img(p.fake)), ...(heat ? [pane(loss + ' heatmap', img(heat))] : []));
    if (mode === 'slider') {
      // The fake is clipped by an untransformed wrapper: the clip stays at the divider, in pane pixels, at
      // any zoom and pan.
      const top = document.createElement('div'); top.className = 'clip'; top.style.clipPath = 'inset(0 0 0 ' + split + '%)'; top.appendChild(img(p.fake));
      const d = pane('real | fake', img(p.real), top); const bar = document.createElement('div'); bar.className = 'divider'; bar.style.left = split + '%'; d.appendChild(bar);
      const drag = (e) => { const r = d.getBoundingClientRect(); split = Math.max(0, Math.min(100, ((e.clientX - r.left) / r.width) * 100)); top.style.clipPath = 'inset(0 0 0 ' + split + '%)'; bar.style.left = split + '%'; };
      // Followed on the window until the button is released (pointer capture is lost in some browsers when
      // the divider moves).
      bar.addEventListener('pointerdown', (e) => { e.stopPropagation(); e.preventDefault(); addEventListener('pointermove', drag); addEventListener('pointerup', () => removeEventListener('pointermove', drag), { once: true }); });
      stage.append(d);
    }
    if (mode === 'overlay') { const h = img(heat || p.real); h.style.opacity = opacity; stage.append(pane('heatmap over real (opacity ' + opacity + ')', img(p.real), h)); }
    if (mode === 'toggle') { const d = pane(flipped ? 'fake' : 'real', img(flipped ? p.fake : p.real)); d.addEventListener('click', () => { flipped = !flipped; render(); }); stage.append(d); }
    document.getElementById('opacity').hidden = mode !== 'overlay';
    const s = p.stats || {};
    document.getElementById('stats').textContent = Object.keys(p.values).map((l) => l + ' ' + p.values[l] + (s[l] ? '  mean ' + s[l].mean + '  median ' + s[l].median + '  p95 ' + s[l].p95 + '  p99 ' + s[l].p99 + '  max ' + s[l].max : '')).join('\\n') + (p.over ? '\\n' + p.over.join('; ') : '');
    const first = stage.querySelector('.pane img');
    if (first && first.complete) fit(); else if (first) first.addEventListener('load', fit, { once: true });
    transform();
  }
  function open(name) { current = pairs.findIndex((p) => p.name === name); if (current < 0 || pairs[current].status === 'error') return; view.classList.add('open'); view.dataset.pair = name; render(); }
  function step(d) { const names = visible().map((tr) => tr.dataset.pair).filter((n) => byName.get(n).status !== 'error'); const i = names.indexOf(pairs[current].name); if (names.length) open(names[(i + d + names.length) % names.length]); }
  for (const tr of rows()) tr.addEventListener('click', () => open(tr.dataset.pair));
  for (const b of document.querySelectorAll('[data-view]')) b.addEventListener('click', () => { mode = b.dataset.view; render(); });
  document.getElementById('loss').addEventListener('change', (e) => { loss = e.target.value; render(); });
  document.getElementById('opacity').addEventListener('input', (e) => { opacity = Number(e.target.value); render(); });
  document.getElementById('close').addEventListener('click', () => view.classList.remove('open'));
  stage.addEventListener('wheel', (e) => { e.preventDefault(); zoom = Math.max(0.25, Math.min(32, zoom * (e.deltaY < 0 ? 1.25 : 0.8))); transform(); }, { passive: false });
  let drag = null;
  stage.addEventListener('pointerdown', (e) => { drag = [e.clientX - pan[0], e.clientY - pan[1]]; });
  addEventListener('pointerup', () => (drag = null));
  stage.addEventListener('pointermove', (e) => { if (drag) { pan = [e.clientX - drag[0], e.clientY - drag[1]]; transform(); } });
  addEventListener('keydown', (e) => {
    if (!view.classList.contains('open')) return;
    if (e.key === 'Escape') view.classList.remove('open');
    if (e.key === 'ArrowRight' || e.key === 'j') step(1);
    if (e.key === 'ArrowLeft' || e.key === 'k') step(-1);
    if (e.key === 't' || e.key === ' ') { mode = 'toggle'; flipped = !flipped; render(); e.preventDefault(); }
    if (e.key === '0') { zoom = 1; pan = [0, 0]; transform(); }
  });
  addEventListener('load', () => {
    const all = [...document.images];
    document.body.dataset.images = all.filter((i) => i.complete && i.naturalWidth > 0).length + '/' + all.length;
  });
})();
`;
