import type { PairHistory } from '../../model.js';

/**
 * A pair's --history in its report row: the counts, and a sparkline of `values` (oldest left, 60×16, scaled
 * to their own range; a flat trend is drawn at mid-height; runs without a value are left out).
 */
export function historyCell(h: PairHistory): string {
  const W = 60,
    H = 16;
  const known = h.values.flatMap((v, i) => (v === null ? [] : [{ i, v }]));
  const lo = Math.min(...known.map((p) => p.v)),
    hi = Math.max(...known.map((p) => p.v));
  const x = (i: number) => (h.values.length > 1 ? (i * W) / (h.values.length - 1) : 0);
  const y = (v: number) => (hi > lo ? H - ((v - lo) / (hi - lo)) * H : H / 2);
  const points = known.map((p) => `${+x(p.i).toFixed(2)},${+y(p.v).toFixed(2)}`).join(' ');
  const line = points
    ? ` <svg class="spark" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" aria-label="trend">` +
      `<polyline points="${points}" fill="none" stroke="currentColor"/></svg>`
    : '';
  return `<div class="st history">last ${h.runs} runs: ${h.failed} failed, ${h.flips} flips${line}</div>`;
}
