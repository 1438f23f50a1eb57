/**
 * Where the changed regions and kinds of a screenshot pair spend their time (issue 29, item 4), stage by
 * stage, on one thread: node dist/bench/regions-profile.js [pairs=200] [set]
 * over the first `pairs` pairs of the screenshot workload (bench/screenshots.ts, made if missing), or of a
 * set of fixtures/regions/render.mjs (its real/, fake/ and truth.json: bench/regions-eval.ts's), for l1 and
 * sobel on wasm: the loss map is computed once per pair (not timed), then each stage of describePair is timed
 * alone, in the order classify runs its rules (each rule only on the regions that reach it): finding the
 * regions (threshold, cells, labels, sums), the unshifted error, the shift search, level, rendering, colour,
 * the moved search, the piecewise rendering rule (the pair's pixels held in the map-scan kernel, as
 * describePair holds them); and the whole describePair. CPU ms per pair (user + system), summed over the pairs that
 * are not identical (identical pairs cost nothing), divided by all pairs. Prints a markdown table.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useBackend } from '../src/engine/backend.js';
import { computeLosses } from '../src/engine/compute.js';
import { defaultThreshold, describePair } from '../src/engine/decide/describe.js';
import { bestDisplacement, displacedError, strideOf } from '../src/engine/decide/displacement.js';
import { EXACT, EXPLAINED, isColour, isLevel, isRendering } from '../src/engine/decide/kinds.js';
import { isPiecewiseRendering } from '../src/engine/decide/pieces.js';
import { findRegions } from '../src/engine/decide/regions.js';
import { decodeImage } from '../src/io/decode.js';
import { keepPair } from '../src/losses/map-scan.js';
import { loadLoss } from '../src/losses/registry.js';
import { DEFAULTS, type RawImage } from '../src/model.js';
import { makeScreenshots } from './screenshots.js';

const now = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const STAGES = [
  'find',
  'e0',
  'shift',
  'level',
  'rendering',
  'colour',
  'moved',
  'pieces',
  'describePair',
] as const;
type Stage = (typeof STAGES)[number];

/** Runs f `repeat` times, adds its CPU ms per run to t[stage], returns its result. */
function timed<T>(t: Record<Stage, number>, stage: Stage, f: () => T, repeat = 1): T {
  const a = now();
  let r!: T;
  for (let i = 0; i < repeat; i++) r = f();
  t[stage] += (now() - a) / repeat;
  return r;
}

/** The stages of classify on one region, each timed; returns the kind reached (for the counts). */
function classifyTimed(t: Record<Stage, number>, real: RawImage, fake: RawImage, box: RawBox, k: number) {
  const stride = strideOf(box);
  const e0 = timed(t, 'e0', () => displacedError(real, fake, box, 0, 0, stride));
  if (e0 === 0) return 'rendering';
  const near = timed(t, 'shift', () => bestDisplacement(real, fake, box, 1, k, stride, EXPLAINED * e0));
  if (near.error <= EXPLAINED * e0) return 'shift';
  if (timed(t, 'level', () => isLevel(real, fake, box))) return 'level';
  if (timed(t, 'rendering', () => isRendering(real, fake, box))) return 'rendering';
  if (timed(t, 'colour', () => isColour(real, fake, box))) return 'colour';
  const far = timed(t, 'moved', () => bestDisplacement(real, fake, box, k + 1, 16, stride, EXPLAINED * e0));
  if (far.error <= EXACT * e0) return 'moved';
  if (timed(t, 'pieces', () => isPiecewiseRendering(real, fake, box, isRendering))) return 'rendering';
  return far.error <= EXPLAINED * e0 ? 'moved' : 'content';
}
type RawBox = { x: number; y: number; width: number; height: number };

/** A set of fixtures/regions/render.mjs as the workload: its folders and each pair's kind. */
function renderedSet(dir: string): { real: string; fake: string; kinds: Record<string, string> } {
  const truth = JSON.parse(readFileSync(path.join(dir, 'truth.json'), 'utf8')) as Record<
    string,
    { kind: string }
  >;
  const kinds = Object.fromEntries(Object.entries(truth).map(([n, t]) => [`${n}.png`, t.kind]));
  return { real: path.join(dir, 'real'), fake: path.join(dir, 'fake'), kinds };
}

const count = Number(process.argv[2] ?? 200);
const repeat = Number(process.env.REPEAT ?? 3);
const set = process.argv[3];
const w = set ? renderedSet(set) : await makeScreenshots(path.join(tmpdir(), 'nl-shots-200'), 200);
const names = Object.keys(w.kinds).slice(0, count);
await useBackend('wasm');
const rows: string[] = [];
for (const loss of ['l1', 'sobel']) {
  const def = (await loadLoss(loss))!;
  const t = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const kinds: Record<string, number> = {};
  let regions = 0;
  for (const n of names) {
    if (w.kinds[n] === 'identical') continue;
    const [rb, fb] = [readFileSync(path.join(w.real, n)), readFileSync(path.join(w.fake, n))];
    const [r, f] = await Promise.all([decodeImage(rb, { label: 'r' }), decodeImage(fb, { label: 'f' })]);
    const [out] = await computeLosses([def], r, f, 'unit', {}, { map: true, filtered: false, shift: 0 });
    const map = out!.map;
    const threshold = defaultThreshold(loss, 'unit');
    const o = { threshold, minArea: DEFAULTS.regions.minArea };
    const found = timed(t, 'find', () => findRegions(map, r.width, r.height, o), repeat);
    regions += found.length;
    // The rules on the pair's pixels held in the map-scan kernel, as describePair runs them.
    keepPair(r, f, () => {
      for (const box of found) {
        const kind = classifyTimed(t, r, f, box, 1);
        kinds[kind] = (kinds[kind] ?? 0) + 1;
      }
    });
    const settings = { minArea: DEFAULTS.regions.minArea, maxDisplacement: 16 };
    timed(
      t,
      'describePair',
      () => describePair({ loss, map, real: r, fake: f, range: 'unit', shift: 0, settings }),
      repeat,
    );
  }
  const per = (s: Stage) => (t[s] / names.length).toFixed(2);
  rows.push(`| ${loss} | ${STAGES.map(per).join(' | ')} | ${(regions / names.length).toFixed(1)} |`);
  console.log(rows.at(-1), JSON.stringify(kinds));
}
console.log(
  [
    `\n${names.length} pairs, CPU ms per pair (summed over the pairs, divided by ${names.length}), wasm, one thread:\n`,
    `| loss | ${STAGES.join(' | ')} | regions per pair |`,
    `| --- | ${STAGES.map(() => '---').join(' | ')} | --- |`,
    ...rows,
  ].join('\n'),
);
