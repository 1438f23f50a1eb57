import { changeText } from '../change.js';
import type { PairRecord } from '../../model.js';

export type { PairRecord } from '../../model.js';

const xml = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    // Control characters XML 1.0 cannot hold at all, removed on purpose.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/**
 * JUnit XML as GitLab, Jenkins and GitHub reporters read it: one <testsuite>, one <testcase> per pair
 * (classname `nectar-loss.<losses>`), <failure> when over a threshold, <error> when it could not be compared.
 */
export function junitXml(records: PairRecord[], losses: string[], seconds: number): string {
  const failures = records.filter((r) => r.status === 'over' || r.status === 'new').length;
  const errors = records.filter((r) => r.status === 'error').length;
  const skipped = records.filter((r) => r.status === 'obsolete' || r.status === 'flaky').length;
  const head =
    `tests="${records.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" ` +
    `time="${seconds.toFixed(3)}"`;
  const cases = records.map((r) => {
    const stat = (k: string) =>
      r.stats?.[k]
        ? ` (median ${r.stats[k].median}, p95 ${r.stats[k].p95}, p99 ${r.stats[k].p99}, max ${r.stats[k].max})`
        : '';
    const kind = r.kind !== undefined ? [`kind=${r.kind}`] : [];
    const values = [...Object.entries(r.losses).map(([k, v]) => `${k}=${v}${stat(k)}`), ...kind].join('\n');
    const change = r.regions?.length ? [changeText(r.regions)] : [];
    const body =
      r.status === 'error'
        ? `\n      <error message="${xml(r.error ?? 'error')}" type="error">${xml(r.error ?? '')}</error>`
        : r.status === 'over'
          ? `\n      <failure message="${xml([...r.over!, ...change].join('; '))}" type="threshold">` +
            `${xml([...r.over!, ...change].join('\n'))}</failure>`
          : r.status === 'new'
            ? `\n      <failure message="new image: no baseline${r.updated ? ' (written by --update)' : ''}" type="new">${xml(r.fake ?? '')}</failure>`
            : r.status === 'obsolete'
              ? `\n      <skipped message="obsolete baseline: no current image` +
                `${r.updated ? ' (removed by --update)' : ''}"/>`
              : r.status === 'flaky'
                ? `\n      <skipped message="flaky: verdict flipped ${r.history?.flips} times in ` +
                  `${r.history?.runs} runs (quarantined)"/>`
                : '';
    return (
      `    <testcase classname="nectar-loss.${xml(losses.join(','))}" name="${xml(r.name)}" ` +
      `time="${((r.ms ?? 0) / 1000).toFixed(3)}">${body}\n      <system-out>${xml(values)}</system-out>\n   ` +
      ` </testcase>`
    );
  });
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="nectar-loss" ${head}>\n  <testsuite ` +
    `name="nectar-loss batch" ${head}>\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`
  );
}

/**
 * Worst first: errors, then over a threshold, then flaky, then new, then obsolete, then by the first loss's value (largest first, or
 * smallest first for a higher-is-better metric); ties by name.
 */
export function worstFirst(
  records: PairRecord[],
  losses: string[],
  higher: ReadonlySet<string> = new Set(),
): PairRecord[] {
  const rank = { error: 0, over: 1, flaky: 2, new: 3, obsolete: 4, ok: 5 } as const;
  const key = losses[0];
  const s = higher.has(key) ? -1 : 1;
  const v = (r: PairRecord) => r.losses[key] ?? (s > 0 ? -Infinity : Infinity);
  return [...records].sort(
    (a, b) =>
      rank[a.status] - rank[b.status] ||
      s * (v(b) - v(a)) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}
