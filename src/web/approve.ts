import type { ApprovalEntry, Decision, ReportPair, ReportRun } from '../model.js';
import { DecisionState, type KeyValueStore } from './decisions.js';
import { all, byId } from './dom.js';
import { rows } from './table.js';
import type { PairView } from './view.js';

/** localStorage, when the browser allows it for this page (file:// pages may have none). */
function storage(): KeyValueStore | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

/** `nectar-loss serve`: the token in the page's URL; absent when the page was opened from disk. */
function serveToken(): string | undefined {
  if (!location.protocol.startsWith('http')) return undefined;
  return new URLSearchParams(location.search).get('token') ?? undefined;
}

/** Downloads `approvals.json` with the given content. */
function download(text: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  a.download = 'approvals.json';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}

/** Under `serve`: sends one decision to the server, which applies it at once; the row shows the answer. */
async function applyRemote(token: string, entry: ApprovalEntry, tr: HTMLElement | undefined): Promise<void> {
  let text: string;
  let ok = false;
  try {
    const r = await fetch('approve', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-nectar-loss-token': token },
      body: JSON.stringify(entry),
    });
    ok = r.ok;
    text = await r.text();
  } catch (err) {
    text = String(err);
  }
  if (!tr) return;
  if (ok) {
    tr.dataset.applied = entry.decision;
    delete tr.dataset.applyError;
  } else tr.dataset.applyError = text.slice(0, 300);
  const note = tr.querySelector('.applied');
  if (note) note.textContent = ok ? `applied: ${entry.decision}` : `not applied: ${text.slice(0, 300)}`;
}

/** The counter's text. */
function counterText(state: DecisionState, total: number): string {
  const c = state.counts();
  return (
    `${c.decided} of ${total} decided: ${c.accept} accepted, ${c.variant} as variants, ` +
    `${c.reject} rejected`
  );
}

/**
 * The approval controls: Accept / Reject / Accept as variant per decidable row, a keyboard flow (j/k move,
 * a accept, r reject, u undo), accept all shown, a counter, decisions kept in localStorage per run, and
 * Download approvals. Under `serve` each decision is also sent to the server.
 */
export function initApprovals(
  run: ReportRun,
  pairs: readonly ReportPair[],
  tbody: HTMLElement,
  view: PairView,
): void {
  const decidable = new Map(pairs.filter((p) => p.approval).map((p) => [p.name, p]));
  const trOf = new Map(rows(tbody).map((tr) => [tr.dataset.pair ?? '', tr]));
  const state = new DecisionState(run.id, storage());
  const token = serveToken();
  const counter = byId('counter');
  const show = (names: readonly string[]) => {
    for (const n of names) {
      const tr = trOf.get(n);
      const d = state.get(n);
      if (tr && d) tr.dataset.decided = d;
      else if (tr) delete tr.dataset.decided;
    }
    counter.textContent = counterText(state, decidable.size);
  };
  const decide = (names: readonly string[], d: Decision) => {
    const changed = state.decide(
      names.filter((n) => decidable.has(n)),
      d,
    );
    show(changed);
    if (token)
      for (const n of changed) {
        for (const e of state.approvals(run, [decidable.get(n)!]).pairs)
          void applyRemote(token, e, trOf.get(n));
      }
  };
  show([...decidable.keys()]);
  tbody.addEventListener('click', (e) => {
    const b = (e.target as Element).closest<HTMLElement>('button[data-decision]');
    if (!b) return;
    e.stopPropagation();
    const n = b.closest<HTMLElement>('tr[data-pair]')?.dataset.pair;
    if (n) decide([n], b.dataset.decision as Decision);
  });
  const shown = () => rows(tbody).filter((tr) => !tr.hidden && decidable.has(tr.dataset.pair ?? ''));
  byId('accept-shown').addEventListener('click', () =>
    decide(
      shown().map((tr) => tr.dataset.pair ?? ''),
      'accept',
    ),
  );
  for (const b of all('[data-action="approvals"]'))
    b.addEventListener('click', () => download(JSON.stringify(state.approvals(run, pairs), null, 2) + '\n'));
  initKeys(view, shown, decide, () => show(state.undo()));
}

/** j/k move the selection among the decidable rows shown (or the open pair view), a/r decide, u undoes. */
function initKeys(
  view: PairView,
  shown: () => HTMLElement[],
  decide: (names: readonly string[], d: Decision) => void,
  undo: () => void,
): void {
  let selected: string | undefined;
  const select = (d: number) => {
    const list = shown();
    if (!list.length) return;
    const i = list.findIndex((tr) => tr.dataset.pair === selected);
    const next = list[i < 0 ? (d > 0 ? 0 : list.length - 1) : (i + d + list.length) % list.length]!;
    for (const tr of list) tr.classList.toggle('sel', tr === next);
    for (const tr of all('tr.sel')) if (tr !== next) tr.classList.remove('sel');
    selected = next.dataset.pair;
    next.scrollIntoView({ block: 'nearest' });
  };
  addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || (e.target as Element).closest('input, select, textarea'))
      return;
    const target = view.isOpen ? view.name : selected;
    if (!view.isOpen && (e.key === 'j' || e.key === 'k')) select(e.key === 'j' ? 1 : -1);
    else if ((e.key === 'a' || e.key === 'r') && target) {
      decide([target], e.key === 'a' ? 'accept' : 'reject');
      if (!view.isOpen) select(1);
    } else if (e.key === 'u') undo();
  });
}
