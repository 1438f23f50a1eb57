/** Changed regions in words, for messages, summaries and reports (engine/decide/ finds them). */
import type { Kind, Region } from '../model.js';

/** The verb phrase of a kind, for messages. */
const PHRASE: Readonly<Record<Kind, string>> = {
  identical: 'identical',
  rendering: 'rendering differs',
  shift: 'shifted',
  moved: 'moved',
  level: 'level changed',
  colour: 'colour changed',
  content: 'content changed',
};

/** One line for messages: `content changed in 1 region, 84×18 at (412,96)` (the worst kind, its first box). */
export function changeText(regions: readonly Region[]): string {
  if (!regions.length) return 'no changed region';
  const first = regions[0];
  const n = regions.filter((r) => r.kind === first.kind).length;
  const moved =
    first.kind === 'moved' || first.kind === 'shift' ? ` by [${first.displacement.join(',')}]` : '';
  return (
    `${PHRASE[first.kind]} in ${n} region${n === 1 ? '' : 's'}, ${first.width}×${first.height} at ` +
    `(${first.x},${first.y})${moved}`
  );
}

/** The largest region's area, max or mean (0 without regions); the count for `regions`. */
export function regionGateValue(
  loss: string,
  stat: string | undefined,
  regions: readonly Region[] | undefined,
): number | undefined {
  if (!regions) return undefined;
  if (loss === 'regions') return regions.length;
  return regions.reduce((m, r) => Math.max(m, r[stat as 'area' | 'max' | 'mean']), 0);
}
