/**
 * What `calibrate` recommends beside its numeric gates: the combination of an allow-list (recommendAllow) and
 * a region gate (`regions=`, `region.area=`, `region.max=`) that makes the fewest errors on its own sets, each
 * candidate's verdicts worked out as batch works them out (failedVerdict), with the numeric gates applied.
 */
import { regionGateValue } from '../../io/change.js';
import type { Kind } from '../../model.js';
import type { Measured } from './calibration.js';
import { failedVerdict, type Gate } from './gates.js';
import { gateLine } from './grammar.js';
import { recommendAllow } from './recommend.js';

/** One candidate: an allow-list (empty: none) and region gates (empty: none), and its errors on the sets. */
export interface Combination {
  allow: Kind[];
  gates: Gate[];
  /** Noise pairs it fails, changed pairs it passes (names). */
  failsNoise: string[];
  passesChanged: string[];
  errors: number;
}

/** The region gates a candidate may take, simplest first. */
const REGION_CANDIDATES = [
  { loss: 'regions' },
  { loss: 'region', stat: 'area' },
  { loss: 'region', stat: 'max' },
] as const;

/** A pair's value for a region gate, counting only regions of kinds not allowed (as batch counts them). */
function regionValue(m: Measured, g: { loss: string; stat?: string }, allow: readonly Kind[]): number {
  const counted = m.regions!.filter((r) => !allow.includes(r.kind));
  return regionGateValue(g.loss, g.stat, counted)!;
}

/**
 * A region gate's limit: halfway between the worst noise pair and the nearest change when every change is
 * beyond every noise pair, else the worst noise pair times 1 + margin; whole for counts and areas.
 */
function regionLimit(noise: number[], changed: number[], whole: boolean, margin: number): number {
  const ceil = Math.max(0, ...noise);
  const near = changed.length ? Math.min(...changed) : undefined;
  const exact = near !== undefined && near > ceil ? (ceil + near) / 2 : ceil * (1 + margin);
  if (whole) return Math.floor(exact);
  const short = Number(exact.toPrecision(2));
  return short >= ceil && (near === undefined || short < near || near <= ceil) ? short : exact;
}

function regionGate(
  c: (typeof REGION_CANDIDATES)[number],
  noise: readonly Measured[],
  changed: readonly Measured[],
  allow: readonly Kind[],
  margin: number,
): Gate {
  const values = (set: readonly Measured[]) => set.map((m) => regionValue(m, c, allow));
  const whole = c.loss === 'regions' || ('stat' in c && c.stat === 'area');
  const limit = regionLimit(values(noise), values(changed), whole, margin);
  return { ...c, bound: 'max', limit };
}

/** A candidate's errors on the sets, its verdicts as batch's (numeric gates applied too). */
function score(
  allow: Kind[],
  gates: Gate[],
  numeric: readonly Gate[],
  noise: readonly Measured[],
  changed: readonly Measured[],
): Combination {
  const fails = (m: Measured) =>
    failedVerdict([...numeric, ...gates], allow.length ? allow : undefined, m.values, m.stats, m.regions)
      .length > 0;
  const failsNoise = noise.filter(fails).map((m) => m.name);
  const passesChanged = changed.filter((m) => !fails(m)).map((m) => m.name);
  return { allow, gates, failsNoise, passesChanged, errors: failsNoise.length + passesChanged.length };
}

/**
 * Every candidate, fewest errors first (ties: the simpler first: the numeric gates alone, the allow-list,
 * a region gate, the allow-list with a region gate); undefined when the pairs have no regions
 * (--no-regions).
 */
export function combinations(
  noise: readonly Measured[],
  changed: readonly Measured[] | undefined,
  numeric: readonly Gate[],
  margin: number,
): Combination[] | undefined {
  if ([...noise, ...(changed ?? [])].some((m) => !m.regions)) return undefined;
  const ch = changed ?? [];
  const allow = recommendAllow(
    noise.flatMap((m) => m.kinds ?? []),
    ch.flatMap((m) => (m.kind ? [m.kind] : [])),
  );
  const lists = allow.length ? [[], allow] : [[]];
  const out = [score([], [], numeric, noise, ch)];
  if (allow.length) out.push(score(allow, [], numeric, noise, ch));
  for (const a of lists)
    for (const c of REGION_CANDIDATES)
      out.push(score(a, [regionGate(c, noise, ch, a, margin)], numeric, noise, ch));
  return out
    .map((c, i) => ({ c, i }))
    .sort((x, y) => x.c.errors - y.c.errors || x.i - y.i)
    .map((x) => x.c);
}

/** A candidate in one line: `allow=rendering,shift region.area=412` (`numeric gates alone`). */
export function combinationText(c: Combination): string {
  const parts = [...(c.allow.length ? [`allow=${c.allow.join(',')}`] : []), ...c.gates.map(gateLine)];
  return parts.length ? parts.join(' ') : 'numeric gates alone';
}
