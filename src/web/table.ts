import type { ReportSummaryLoss } from './types.js';
import { all } from './dom.js';

/** The table's pair rows, in their current order. */
export const rows = (tbody: HTMLElement): HTMLTableRowElement[] =>
  all<HTMLTableRowElement>('tr[data-pair]', tbody);

/** A row's value of a loss for sorting: NaN where the pair has none (errors), `inf` as Infinity. */
function key(tr: HTMLElement, loss: string): number {
  const v = tr.getAttribute(`data-${loss}`);
  return v === null || v === '' ? NaN : v === 'inf' ? Infinity : Number(v);
}

/** Sorting: the first click on a loss's head sorts worst first, the next best first (per its direction). */
export function initSorting(tbody: HTMLElement, losses: readonly ReportSummaryLoss[]): void {
  for (const th of all('th[data-sort]')) {
    th.addEventListener('click', () => {
      const loss = th.dataset.sort ?? '';
      const worst = th.dataset.dir !== 'worst';
      for (const o of all('th[data-sort]')) delete o.dataset.dir;
      th.dataset.dir = worst ? 'worst' : 'best';
      const higher = losses.find((l) => l.name === loss)?.better === 'higher';
      const sign = (worst ? 1 : -1) * (higher ? -1 : 1);
      const sorted = rows(tbody).sort((a, b) => {
        const x = key(a, loss),
          y = key(b, loss);
        if (isNaN(x) !== isNaN(y)) return isNaN(x) ? 1 : -1;
        return sign * (y - x) || 0;
      });
      for (const tr of sorted) tbody.appendChild(tr);
    });
  }
}

/**
 * Filtering by status (`all` or one status) and, beside it, by kind of difference (none or one kind; a second
 * click on the pressed kind clears it): a row shows when it passes both.
 */
export function initFilters(tbody: HTMLElement): void {
  const buttons = all('[data-filter]');
  const kinds = all('[data-kind-filter]');
  let status = 'all';
  let kind: string | undefined;
  const apply = () => {
    for (const tr of rows(tbody))
      tr.hidden = (status !== 'all' && tr.dataset.status !== status) || (!!kind && tr.dataset.kind !== kind);
  };
  for (const b of buttons) {
    b.addEventListener('click', () => {
      for (const o of buttons) o.setAttribute('aria-pressed', String(o === b));
      status = b.dataset.filter ?? 'all';
      apply();
    });
  }
  for (const b of kinds) {
    b.addEventListener('click', () => {
      kind = kind === b.dataset.kindFilter ? undefined : b.dataset.kindFilter;
      for (const o of kinds) o.setAttribute('aria-pressed', String(o.dataset.kindFilter === kind));
      apply();
    });
  }
}
