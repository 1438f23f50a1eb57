import type { MapStats, PairRecord } from '../../model.js';
import { changeText, regionGateValue } from '../change.js';
import { worstFirst } from './junit.js';

/** A threshold as the summary shows it (the CLI's `--max sobel.p99=0.3`, `--max region.area=400`). */
export interface SummaryGate {
  loss: string;
  stat?: keyof MapStats | 'area';
  bound: 'max' | 'min';
  limit: number;
}

/** What the Markdown summary says besides the records. */
export interface MarkdownInput {
  title: string;
  /** pairs, ok, over, error, new, updated, obsolete: shown in this order. */
  counts: Record<string, number>;
  exit: number;
  /** The run in one line: losses, backend, seconds. */
  line: string;
  losses: { name: string; better: 'lower' | 'higher' }[];
  gates: SummaryGate[];
  /** Trainer layouts: per loss, the best epoch. */
  best?: Partial<Record<string, { epoch: number; value: number }>>;
}

/** How many passing pairs the table lists after the failing ones (the closest to their thresholds). */
const OK_ROWS = 10;

/** Text in Markdown: the characters that would start markup are escaped, line breaks become spaces. */
export function mdText(s: string): string {
  return s.replace(/[\\`*_[\]<>|~&]/g, (c) => `\\${c}`).replace(/\r\n|[\r\n]/g, ' ');
}

const num = (v: number | undefined) =>
  v === undefined ? '–' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v);

/** One column per gate (its metric and limit in the header), then each loss that no gate bounds. */
function columns(s: MarkdownInput): { head: string; cell: (r: PairRecord) => string }[] {
  const gated = s.gates.map((g) => {
    const metric = `${g.loss}${g.stat ? `.${g.stat}` : ''}`;
    const value = (r: PairRecord) =>
      g.loss === 'regions' || g.loss === 'region'
        ? regionGateValue(g.loss, g.stat, r.regions)
        : g.stat
          ? r.stats?.[g.loss]?.[g.stat as keyof MapStats]
          : r.losses[g.loss];
    return {
      head: `${metric} ${g.bound === 'max' ? '≤' : '≥'} ${g.limit}`,
      cell: (r: PairRecord) => {
        const v = value(r);
        if (v === undefined) return '–';
        const fails = g.bound === 'max' ? v > g.limit : v < g.limit;
        return fails ? `**${num(v)} ${g.bound === 'max' ? '>' : '<'} ${g.limit}**` : num(v);
      },
    };
  });
  const free = s.losses
    .filter((l) => !s.gates.some((g) => g.loss === l.name && !g.stat))
    .map((l) => ({ head: l.name, cell: (r: PairRecord) => num(r.losses[l.name]) }));
  return [...gated, ...free];
}

/** A row's last cell: why it is not ok, and what --update did. */
function note(r: PairRecord): string {
  const done = { new: 'baseline written', changed: 'baseline replaced', obsolete: 'baseline removed' };
  const why =
    r.status === 'error'
      ? (r.error ?? 'error')
      : r.status === 'over'
        ? (r.over ?? []).join('; ')
        : r.status === 'new'
          ? 'no baseline'
          : r.status === 'obsolete'
            ? 'no current image'
            : '';
  // A failing pair's changed regions: the worst kind, how many, the first box.
  const change = r.status === 'over' && r.regions?.length ? changeText(r.regions) : '';
  return mdText([why, change, r.updated ? `${done[r.updated]} (--update)` : ''].filter(Boolean).join('; '));
}

/** The summary's head: title, verdict, counts, thresholds, best epochs. */
function head(s: MarkdownInput): string {
  const verdict = s.exit === 0 ? '✅ passed' : s.exit === 1 ? '❌ failed (exit 1)' : '⚠️ errors (exit 2)';
  const keys = Object.keys(s.counts);
  const gates = s.gates.length
    ? s.gates.map((g) => `\`--${g.bound} ${g.loss}${g.stat ? `.${g.stat}` : ''}=${g.limit}\``).join(', ')
    : 'none';
  const best = s.best && Object.keys(s.best).length ? s.best : undefined;
  return [
    `### ${mdText(s.title)}: ${verdict}`,
    '',
    `| ${keys.join(' | ')} |`,
    `| ${keys.map(() => '---:').join(' | ')} |`,
    `| ${keys.map((k) => s.counts[k]).join(' | ')} |`,
    '',
    `${mdText(s.line)}  `,
    `Thresholds: ${gates}`,
    ...(best
      ? [
          '',
          `Best epoch: ${Object.entries(best)
            .flatMap(([l, b]) => (b ? [`${mdText(l)} ${b.epoch} (${num(b.value)})`] : []))
            .join(', ')}`,
        ]
      : []),
    '',
  ].join('\n');
}

/**
 * The job summary of a batch as GitHub-flavoured Markdown, at most `maxBytes` bytes of UTF-8: the head,
 * then a table of the pairs worst first (every pair that is not ok, then the OK_ROWS worst passing ones),
 * cut where the next row would pass the limit, with a line saying how many rows were left out. Undefined
 * when not even the head fits.
 */
export function markdownSummary(
  records: PairRecord[],
  s: MarkdownInput,
  maxBytes: number,
): string | undefined {
  const top = head(s);
  const higher = new Set(s.losses.filter((l) => l.better === 'higher').map((l) => l.name));
  const ordered = worstFirst(
    records,
    s.losses.map((l) => l.name),
    higher,
  );
  const failing = ordered.filter((r) => r.status !== 'ok');
  const rows = [...failing, ...ordered.filter((r) => r.status === 'ok').slice(0, OK_ROWS)];
  const unlisted = records.length - rows.length;
  const cols = columns(s);
  const epoch = records.some((r) => r.epoch !== undefined);
  const tableHead =
    `| pair | status${epoch ? ' | epoch' : ''} | ${cols.map((c) => mdText(c.head)).join(' | ')} | note |\n` +
    `| --- | ---${epoch ? ' | ---:' : ''} | ${cols.map(() => '---:').join(' | ')} | --- |\n`;
  const line = (r: PairRecord) =>
    `| ${mdText(r.name)} | ${r.status}${epoch ? ` | ${r.epoch ?? '–'}` : ''} | ` +
    `${cols.map((c) => c.cell(r)).join(' | ')} | ${note(r)} |\n`;
  const tail = (left: number) =>
    (left ? `\n_${left} more rows left out: a step summary holds at most 1 MiB._\n` : '') +
    (unlisted ? `\n_${unlisted} more passing pairs not listed._\n` : '');
  const bytes = (t: string) => Buffer.byteLength(t, 'utf8');
  const start = `${top}\n${rows.length ? tableHead : ''}`;
  if (bytes(start + tail(rows.length)) > maxBytes) return bytes(top) <= maxBytes ? top : undefined;
  const kept: string[] = [];
  let used = bytes(start);
  for (const r of rows) {
    const l = line(r);
    if (used + bytes(l) + bytes(tail(rows.length - kept.length - 1)) > maxBytes) break;
    kept.push(l);
    used += bytes(l);
  }
  return start + kept.join('') + tail(rows.length - kept.length);
}
