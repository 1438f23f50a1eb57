import { scaleLinear } from 'd3-scale';
import { schemeTableau10 } from 'd3-scale-chromatic';
import { sharp } from './sharp.js';
import { encodePng } from './png.js';
import { textPathData } from './text.js';

/** One line of the chart: a loss's mean per epoch, and its best epoch (marked). */
export interface Series {
  name: string;
  points: { x: number; y: number }[];
  best?: { x: number; y: number };
}

/** The chart's size and margins (px). */
const W = 960,
  H = 540,
  L = 90,
  R = 30,
  T = 60,
  B = 70;

/** What the drawing helpers share: the SVG parts so far, text as glyph outlines, and the two scales. */
interface Canvas {
  parts: string[];
  text: (
    s: string,
    x: number,
    y: number,
    size: number,
    anchor?: 'start' | 'middle' | 'end',
    fill?: string,
  ) => void;
  X: (x: number) => number;
  Y: (y: number) => number;
}

/**
 * A line chart of each loss's mean per epoch, as a PNG: axes with ticks, gridlines, a legend, a title. All
 * text is Lato glyph outlines (no system fonts), filled by librsvg in sharp, so it renders the same anywhere.
 */
export async function lineChart(
  series: Series[],
  title: string,
  xLabel: string,
  yLabel: string,
): Promise<Buffer> {
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const x0 = Math.min(...xs),
    x1 = Math.max(...xs);
  // d3-scale's nice domains and 1-2-5 ticks; epochs are whole numbers.
  const ys0 = scaleLinear()
    .domain([0, Math.max(...ys, 0) || 1])
    .nice(6);
  const yMax = ys0.domain()[1];
  const parts: string[] = [`<rect width="${W}" height="${H}" fill="#fff"/>`];
  const c: Canvas = {
    parts,
    text: (s, x, y, size, anchor = 'start', fill = '#222') =>
      parts.push(`<path d="${textPathData(s, x, y, size, anchor)}" fill="${fill}"/>`),
    X: (x) => L + (x1 === x0 ? (W - L - R) / 2 : ((x - x0) / (x1 - x0)) * (W - L - R)),
    Y: (y) => H - B - (y / yMax) * (H - T - B),
  };
  const xt = x1 === x0 ? [x0] : scaleLinear().domain([x0, x1]).ticks(10).filter(Number.isInteger);
  drawAxes(c, xt, ys0.ticks(6), { title, xLabel, yLabel }, series.length);
  series.forEach((s, i) => drawSeries(c, s, i));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${parts.join('')}</svg>`;
  const { data } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return await encodePng({ width: W, height: H, channels: 3, data });
}

/** Gridlines and y ticks, x ticks, the two axes, title, axis labels and the legend's box. */
function drawAxes(
  { parts, text, X, Y }: Canvas,
  xt: number[],
  yt: number[],
  labels: { title: string; xLabel: string; yLabel: string },
  legendRows: number,
): void {
  for (const v of yt) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${Y(v)}" y2="${Y(v)}" stroke="#e4e4e4"/>`);
    text(String(Number(v.toPrecision(4))), L - 8, Y(v) + 5, 14, 'end', '#444');
  }
  for (const x of xt) {
    parts.push(`<line x1="${X(x)}" x2="${X(x)}" y1="${H - B}" y2="${H - B + 6}" stroke="#444"/>`);
    text(String(x), X(x), H - B + 24, 14, 'middle', '#444');
  }
  parts.push(
    `<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#444"/><line x1="${L}" x2="${L}" ` +
      `y1="${T}" y2="${H - B}" stroke="#444"/>`,
  );
  text(labels.title, W / 2, 34, 20, 'middle');
  text(labels.xLabel, (L + W - R) / 2, H - 22, 16, 'middle');
  parts.push(
    `<g transform="translate(24 ${(T + H - B) / 2}) rotate(-90)"><path ` +
      `d="${textPathData(labels.yLabel, 0, 0, 16, 'middle')}" fill="#222"/></g>`,
  );
  parts.push(
    `<rect x="${W - R - 160}" y="${T - 6}" width="156" height="${legendRows * 22 + 8}" fill="#fff" ` +
      `fill-opacity="0.9" stroke="#ddd"/>`,
  );
}

/** One series: its line and points, its best epoch ringed and labelled, its legend row. */
function drawSeries({ parts, text, X, Y }: Canvas, s: Series, i: number): void {
  const color = schemeTableau10[i % 10];
  const pts = [...s.points].sort((a, b) => a.x - b.x);
  const coords = pts.map((p) => `${X(p.x).toFixed(2)},${Y(p.y).toFixed(2)}`).join(' ');
  parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2.5" points="${coords}"/>`);
  for (const p of pts) {
    parts.push(`<circle cx="${X(p.x).toFixed(2)}" cy="${Y(p.y).toFixed(2)}" r="3.5" fill="${color}"/>`);
  }
  if (s.best) {
    parts.push(
      `<circle cx="${X(s.best.x).toFixed(2)}" cy="${Y(s.best.y).toFixed(2)}" r="9" fill="none" ` +
        `stroke="${color}" stroke-width="2.5"/>`,
    );
    text(`best ${s.best.x}`, X(s.best.x), Y(s.best.y) - 14, 13, 'middle', color);
  }
  const ly = T + 8 + i * 22;
  parts.push(
    `<line x1="${W - R - 150}" x2="${W - R - 122}" y1="${ly}" y2="${ly}" stroke="${color}" ` +
      `stroke-width="3"/>`,
  );
  text(s.name, W - R - 114, ly + 5, 15);
}
