import type { MapStats, ReportPair } from '../model.js';
import { all, byId, make } from './dom.js';

type Mode = 'side' | 'slider' | 'overlay' | 'toggle';

/** The pair view's state: zoom multiplies `base` (the scale that fits the image in a pane); pan in pane px. */
interface ViewState {
  current: number;
  mode: Mode;
  loss: string;
  zoom: number;
  base: number;
  pan: [number, number];
  flipped: boolean;
  split: number;
  opacity: number;
}

/** Not draggable: a browser's own image drag would end the pan (pointercancel). */
function img(src: string | undefined): HTMLImageElement {
  const i = make('img');
  i.src = src ?? '';
  i.draggable = false;
  return i;
}

function pane(label: string, ...children: HTMLElement[]): HTMLDivElement {
  const d = make('div', 'pane');
  d.append(...children, make('span', 'cap', label));
  return d;
}

/** The pair view (side by side, slider, overlay, toggle; zoom and pan in sync; keys). */
export class PairView {
  readonly view = byId('view');
  private readonly stage = byId('stage');
  private readonly s: ViewState;

  constructor(
    private readonly pairs: readonly ReportPair[],
    losses: readonly { name: string }[],
  ) {
    this.s = {
      current: -1,
      mode: 'side',
      loss: losses[0]?.name ?? '',
      zoom: 1,
      base: 1,
      pan: [0, 0],
      flipped: false,
      split: 50,
      opacity: 0.6,
    };
  }

  get isOpen(): boolean {
    return this.view.classList.contains('open');
  }

  /** The name of the pair shown (undefined before any is opened). */
  get name(): string | undefined {
    return this.pairs[this.s.current]?.name;
  }

  transform(): void {
    const { pan, base, zoom } = this.s;
    for (const i of all<HTMLImageElement>('.pane img', this.stage))
      i.style.transform = `translate(${pan[0]}px,${pan[1]}px) scale(${base * zoom})`;
    // The region boxes move with the images; their border stays 2 screen px wide.
    for (const b of all('.pane .boxes', this.stage)) {
      b.style.transform = `translate(${pan[0]}px,${pan[1]}px) scale(${base * zoom})`;
      b.style.setProperty('--bw', `${2 / (base * zoom)}px`);
    }
  }

  /** The pair's changed regions as boxes in image px (a layer transformed as the images); a click zooms there. */
  private boxes(p: ReportPair): HTMLElement[] {
    if (!p.regions?.length) return [];
    const layer = make('div', 'boxes');
    for (const r of p.regions) {
      const b = make('div', `box ${r.kind}`);
      Object.assign(b.style, {
        left: `${r.x}px`,
        top: `${r.y}px`,
        width: `${r.width}px`,
        height: `${r.height}px`,
      });
      b.dataset.region = `${r.x},${r.y},${r.width},${r.height}`;
      b.title = `${r.kind}: ${r.width}×${r.height} at (${r.x},${r.y}), displacement ${r.displacement.join(',')}`;
      b.addEventListener('click', (e) => {
        e.stopPropagation();
        this.zoomTo(b.closest('.pane'), r);
      });
      layer.appendChild(b);
    }
    return [layer];
  }

  /** Zooms so that a box fills most of its pane, centred. */
  zoomTo(pn: Element | null, r: { x: number; y: number; width: number; height: number }): void {
    if (!pn) return;
    const { clientWidth: w, clientHeight: h } = pn;
    const fill = (0.6 * Math.min(w / r.width, h / r.height)) / this.s.base;
    this.s.zoom = Math.max(1, Math.min(32, fill));
    const k = this.s.base * this.s.zoom;
    this.pan = [w / 2 - (r.x + r.width / 2) * k, h / 2 - (r.y + r.height / 2) * k];
  }

  private fit(): void {
    const pn = this.stage.querySelector<HTMLElement>('.pane');
    const im = this.stage.querySelector<HTMLImageElement>('.pane img');
    if (!pn || !im?.naturalWidth) return;
    this.s.base = Math.min(pn.clientWidth / im.naturalWidth, pn.clientHeight / im.naturalHeight);
    this.transform();
  }

  /** The slider: the fake clipped by an untransformed wrapper, so the clip stays at the divider. */
  private slider(p: ReportPair): HTMLElement {
    const top = make('div', 'clip');
    const clip = () => (top.style.clipPath = `inset(0 0 0 ${this.s.split}%)`);
    clip();
    top.appendChild(img(p.fake));
    const d = pane('real | fake', img(p.real), top);
    const bar = make('div', 'divider');
    bar.style.left = `${this.s.split}%`;
    d.appendChild(bar);
    const drag = (e: PointerEvent) => {
      const r = d.getBoundingClientRect();
      this.s.split = Math.max(0, Math.min(100, ((e.clientX - r.left) / r.width) * 100));
      clip();
      bar.style.left = `${this.s.split}%`;
    };
    // Followed on the window until the button is released (pointer capture is lost in some browsers when
    // the divider moves).
    bar.addEventListener('pointerdown', (e) => {
      e.stopPropagation();
      e.preventDefault();
      addEventListener('pointermove', drag);
      addEventListener('pointerup', () => removeEventListener('pointermove', drag), { once: true });
    });
    return d;
  }

  private panes(p: ReportPair): HTMLElement[] {
    const { mode, loss, opacity, flipped } = this.s;
    const heat = p.heat[loss];
    if (mode === 'side')
      return [
        pane('real', img(p.real), ...this.boxes(p)),
        pane('fake', img(p.fake), ...this.boxes(p)),
        ...(heat ? [pane(`${loss} heatmap`, img(heat), ...this.boxes(p))] : []),
      ];
    if (mode === 'slider') return [this.slider(p)];
    if (mode === 'overlay') {
      const h = img(heat ?? p.real);
      h.style.opacity = String(opacity);
      return [pane(`heatmap over real (opacity ${opacity})`, img(p.real), h, ...this.boxes(p))];
    }
    const d = pane(flipped ? 'fake' : 'real', img(flipped ? p.fake : p.real), ...this.boxes(p));
    d.addEventListener('click', () => {
      this.s.flipped = !this.s.flipped;
      this.render();
    });
    return [d];
  }

  render(): void {
    const p = this.s.current < 0 ? undefined : this.pairs.at(this.s.current);
    if (!p) return;
    byId('vtitle').textContent = `${p.name} — ${p.status}${p.kind ? ` (${p.kind})` : ''}`;
    for (const b of all('[data-view]'))
      b.setAttribute('aria-pressed', String(b.dataset.view === this.s.mode));
    this.stage.replaceChildren(...this.panes(p));
    byId('opacity').hidden = this.s.mode !== 'overlay';
    byId('stats').textContent = statsText(p);
    const first = this.stage.querySelector<HTMLImageElement>('.pane img');
    if (first?.complete) this.fit();
    else if (first) first.addEventListener('load', () => this.fit(), { once: true });
    this.transform();
  }

  open(name: string): void {
    const i = this.pairs.findIndex((p) => p.name === name);
    if (i < 0 || this.pairs[i]!.status === 'error') return;
    this.s.current = i;
    this.view.classList.add('open');
    this.view.dataset.pair = name;
    this.render();
    this.view.dispatchEvent(new CustomEvent('pairchange'));
  }

  close(): void {
    this.view.classList.remove('open');
  }

  /** The next (d = 1) or previous (-1) of the given names, from the one shown. */
  step(names: string[], d: number): void {
    const i = names.indexOf(this.name ?? '');
    if (names.length) this.open(names[(i + d + names.length) % names.length]!);
  }

  setMode(mode: string): void {
    this.s.mode = mode as Mode;
    this.render();
  }

  setLoss(loss: string): void {
    this.s.loss = loss;
    this.render();
  }

  setOpacity(v: number): void {
    this.s.opacity = v;
    this.render();
  }

  toggle(): void {
    this.s.mode = 'toggle';
    this.s.flipped = !this.s.flipped;
    this.render();
  }

  zoomBy(deltaY: number): void {
    this.s.zoom = Math.max(0.25, Math.min(32, this.s.zoom * (deltaY < 0 ? 1.25 : 0.8)));
    this.transform();
  }

  get pan(): [number, number] {
    return this.s.pan;
  }

  set pan(p: [number, number]) {
    this.s.pan = p;
    this.transform();
  }

  reset(): void {
    this.s.zoom = 1;
    this.pan = [0, 0];
  }
}

/** The stats line of each loss under the view, then the thresholds exceeded. */
function statsText(p: ReportPair): string {
  const lines = Object.keys(p.values).map((l) => {
    const s = p.stats[l] as MapStats | undefined;
    const stats = s ? `  mean ${s.mean}  median ${s.median}  p95 ${s.p95}  p99 ${s.p99}  max ${s.max}` : '';
    return `${l} ${p.values[l]}${stats}`;
  });
  return lines.join('\n') + (p.over ? `\n${p.over.join('; ')}` : '');
}
