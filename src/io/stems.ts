/**
 * Output stems of a batch: where each pair's files go under --out, as a relative path without the
 * `.<loss>.<kind>.png` suffix. The rule, unique for every pair on every file system:
 *
 * 1. A pair's stem is its name without the image extension (`sub/b.png` → `sub/b`), as it has always been.
 * 2. When two pairs would get the same stem (`a.png` and `a.jpg`, compared case-insensitively since macOS
 *    and Windows file systems are), each of them keeps its extension instead (`a.png`, `a.jpg`).
 * 3. A stem still taken after that (`A.png` beside `a.png`, or `a.png.jpg` beside a kept `a.png`) gets
 *    `~2`, `~3`, … in sorted order of the pair names.
 *
 * Stems are fixed before anything runs, from the whole list, so they do not depend on which pair finishes
 * first.
 */
export interface StemCandidates {
  /** The preferred stem (rule 1). */
  short: string;
  /** The stem when the short one collides (rule 2). */
  long: string;
}

/** One stem per candidate, in the same order, unique case-insensitively. */
export function uniqueStems(candidates: readonly StemCandidates[]): string[] {
  const key = (s: string) => s.toLowerCase();
  const shortCount = new Map<string, number>();
  for (const c of candidates) shortCount.set(key(c.short), (shortCount.get(key(c.short)) ?? 0) + 1);
  const wanted = candidates.map((c) => (shortCount.get(key(c.short))! > 1 ? c.long : c.short));
  const taken = new Set<string>();
  const stems = new Array<string>(candidates.length);
  // Pairs keeping their short stem first, so rule 3 never renames a pair that does not collide.
  const order = [...candidates.keys()].sort(
    (a, b) =>
      Number(wanted[a] !== candidates[a].short) - Number(wanted[b] !== candidates[b].short) ||
      cmp(candidates[a].long, candidates[b].long),
  );
  for (const i of order) {
    let stem = wanted[i];
    for (let n = 2; taken.has(key(stem)); n++) stem = `${wanted[i]}~${n}`;
    taken.add(key(stem));
    stems[i] = stem;
  }
  return stems;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
