import { schemeTableau10 } from 'd3-scale-chromatic';
import { sharp } from './sharp.js';
import { encodePng } from './png.js';
import { textPathData } from './text.js';

/** One line of the chart: a loss's mean per epoch. */
export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

/** 1, 2, 5 x 10^k steps giving about `n` ticks over [0, max]. */
function ticks(max: number, n: number): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / n, p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = 0; v <= max * (1 + 1e-9) + step; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * A line chart of each loss's mean per epoch, as a PNG: axes with ticks, gridlines, a legend, a title. All
 * text is Lato glyph outlines (no system fonts), filled by librsvg in sharp, so it renders the same anywhere.
 */
export async function lineChart(series: Series[], title: string, xLabel: string, yLabel: string): Promise<Buffer> {
  const W = 960, H = 540, L = 90, R = 30, T = 60, B = 70;
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  const yt = ticks(Math.max(...ys, 0), 6);
  const yMax = yt[yt.length - 1]!;
  const X = (x: number) => L + (x1 === x0 ? (W - L - R) / 2 : ((x - x0) / (x1 - x0)) * (W - L - R));
  const Y = (y: number) => H - B - (y / yMax) * (H - T - B);
  const xStep = Math.max(1, Math.ceil((x1 - x0 + 1) / 12));
  const parts: string[] = [`<rect width="${W}" height="${H}" fill="#fff"/>`];
  const text = (s: string, x: number, y: number, size: number, anchor: 'start' | 'middle' | 'end' = 'start', fill = '#222') => parts.push(`<path d="${textPathData(s, x, y, size, anchor)}" fill="${fill}"/>`);
  for (const v of yt) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${Y(v)}" y2="${Y(v)}" stroke="#e4e4e4"/>`);
    text(String(Number(v.toPrecision(4))), L - 8, Y(v) + 5, 14, 'end', '#444');
  }
  for (let x = x0; x <= x1; x += xStep) {
    parts.push(`<line x1="${X(x)}" x2="${X(x)}" y1="${H - B}" y2="${H - B + 6}" stroke="#444"/>`);
    text(String(x), X(x), H - B + 24, 14, 'middle', '#444');
  }
  parts.push(`<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#444"/><line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#444"/>`);
  text(title, W / 2, 34, 20, 'middle');
  text(xLabel, (L + W - R) / 2, H - 22, 16, 'middle');
  parts.push(`<g transform="translate(24 ${(T + H - B) / 2}) rotate(-90)"><path d="${textPathData(yLabel, 0, 0, 16, 'middle')}" fill="#222"/></g>`);
  parts.push(`<rect x="${W - R - 160}" y="${T - 6}" width="156" height="${series.length * 22 + 8}" fill="#fff" fill-opacity="0.9" stroke="#ddd"/>`);
  series.forEach((s, i) => {
    const color = schemeTableau10[i % 10]!;
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2.5" points="${pts.map((p) => `${X(p.x).toFixed(2)},${Y(p.y).toFixed(2)}`).join(' ')}"/>`);
    for (const p of pts) parts.push(`<circle cx="${X(p.x).toFixed(2)}" cy="${Y(p.y).toFixed(2)}" r="3.5" fill="${color}"/>`);
    const ly = T + 8 + i * 22;
    parts.push(`<line x1="${W - R - 150}" x2="${W - R - 122}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    text(s.name, W - R - 114, ly + 5, 15);
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${parts.join('')}</svg>`;
  const { data } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return await encodePng({ width: W, height: H, channels: 3, data });
}
