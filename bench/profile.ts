/**
 * Where a screenshot pair's time goes, stage by stage, on one thread (what a batch worker does per pair):
 *   node dist/bench/profile.js [pairs=24]
 * over the first `pairs` pairs of the screenshot workload (bench/screenshots.ts, made if missing), each
 * stage timed alone (median CPU ms per pair, all threads) for l1, sobel, l1 with --shift-tolerance 1 and ssim, on wasm: read
 * the files, decode (sharp), compute (upload, loss, download), statistics, heatmap levels, PNG encode; and
 * the whole runPair with a heatmap, whose excess over the stages is the glue. Prints a markdown table.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useBackend } from '../src/engine/backend.js';
import { computeLosses } from '../src/engine/compute.js';
import { runPair } from '../src/engine/pair.js';
import { LossResources } from '../src/engine/resources.js';
import { mapStats } from '../src/engine/stats.js';
import { decodeImage } from '../src/io/decode.js';
import { encodePng } from '../src/io/png.js';
import { toLevels } from '../src/io/raster.js';
import { loadLoss } from '../src/losses/registry.js';
import { DEFAULTS, type ComputeSettings } from '../src/model.js';
import { makeScreenshots } from './screenshots.js';

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
/** Process CPU time in ms (user + system, every thread: sharp's decoders and encoders included): on a
 *  shared machine, wall time measures the other jobs as much as this one. */
const now = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function stages(names: string[], w: { real: string; fake: string }, loss: string, shift: number) {
  const def = (await loadLoss(loss))!;
  const t: Record<string, number[]> = {
    read: [],
    decode: [],
    compute: [],
    stats: [],
    levels: [],
    encode: [],
    runPair: [],
  };
  const compute: ComputeSettings = { ...DEFAULTS.compute, backend: 'wasm', shift, weights: {}, ignore: [] };
  const resources = new LossResources({});
  for (const n of names) {
    let a = now();
    const [rb, fb] = [readFileSync(path.join(w.real, n)), readFileSync(path.join(w.fake, n))];
    t.read!.push(now() - a);
    a = now();
    const [r, f] = await Promise.all([decodeImage(rb, { label: 'r' }), decodeImage(fb, { label: 'f' })]);
    t.decode!.push(now() - a);
    a = now();
    const [out] = await computeLosses([def], r, f, 'unit', {}, { map: true, filtered: false, shift });
    t.compute!.push(now() - a);
    a = now();
    mapStats(out!.map);
    t.stats!.push(now() - a);
    a = now();
    const levels = toLevels(out!.map, 1);
    t.levels!.push(now() - a);
    a = now();
    await encodePng({ width: r.width, height: r.height, channels: 1, data: levels });
    t.encode!.push(now() - a);
    a = now();
    await runPair(
      { bytes: rb, label: 'r', name: 'r' },
      { bytes: fb, label: 'f', name: 'f' },
      { outDir: path.join(tmpdir(), 'nl-profile-out'), stem: n },
      {
        losses: [loss],
        compute,
        resources,
        draw: { kinds: ['heatmap'], scale: 1, colormap: 'gray', raw: false },
      },
    );
    t.runPair!.push(now() - a);
  }
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
}

const count = Number(process.argv[2] ?? 24);
const w = await makeScreenshots(path.join(tmpdir(), 'nl-shots-200'), 200);
const names = Object.keys(w.kinds).slice(0, count);
await useBackend('wasm');
const cases: [string, string, number][] = [
  ['l1', 'l1', 0],
  ['sobel', 'sobel', 0],
  ['l1, shift 1', 'l1', 1],
  ['ssim', 'ssim', 0],
];
// A warm-up pass, so that no row pays the first call's compilation.
await stages(names.slice(0, 2), w, 'l1', 0);
const rows: string[] = [];
for (const [label, loss, shift] of cases) {
  const s = await stages(names, w, loss, shift);
  const parts = ['read', 'decode', 'compute', 'stats', 'levels', 'encode'];
  const sum = parts.reduce((x, k) => x + s[k]!, 0);
  rows.push(
    `| ${label} | ${parts.map((k) => s[k]!.toFixed(1)).join(' | ')} | ${sum.toFixed(1)} | ${s.runPair!.toFixed(1)} |`,
  );
  console.log(rows.at(-1));
}
console.log(
  [
    `\n${names.length} pairs (${Object.values(w.kinds).slice(0, count).join(', ')}), medians, CPU ms per pair (user + system, all threads), one pair at a time, wasm:\n`,
    '| loss | read | decode (both) | compute | stats | levels | PNG encode | stages | runPair (heatmap) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n'),
);
