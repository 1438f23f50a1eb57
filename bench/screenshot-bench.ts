/**
 * The CI screenshot workload (issue 23), whole process each, interleaved rounds, medians: odiff-bin's Node
 * API and pixelmatch + pngjs (both writing a diff PNG per pair) against nectar-loss `batch` with heatmaps.
 * Wall time and CPU time (user + system, children included, from /usr/bin/time) per row, and the ratio of
 * each row's wall time to odiff's. BENCH_SHOTS pairs (default 200), BENCH_SHOT_ROUNDS rounds (default 3).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeScreenshots } from './screenshots.js';

interface Row {
  label: string;
  /** Extra environment: odiff's client waits out a 5 s start-up timer at exit unless CI is set. */
  env?: Record<string, string>;
  args: (real: string, fake: string, out: string) => string[];
  /** odiff, the reference of the ratios. */
  reference?: true;
}

export interface ShotResult {
  label: string;
  wall: number;
  cpu: number;
  ratio: number;
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

/** One whole process under /usr/bin/time: wall and user + system CPU seconds. */
function timedRun(args: string[], env?: Record<string, string>): { wall: number; cpu: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '__TIME__ %e %U %S', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  const m = /__TIME__ ([\d.]+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (!m || (r.status !== 0 && r.status !== 1)) throw new Error(`${args.join(' ')} failed:\n${r.stderr}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]) };
}

export async function screenshotBench(
  root: string,
  backend: string[],
): Promise<{
  rows: string[];
  results: ShotResult[];
  pairs: number;
}> {
  const count = Number(process.env.BENCH_SHOTS ?? 200);
  const rounds = Number(process.env.BENCH_SHOT_ROUNDS ?? 3);
  const dir = path.join(tmpdir(), `nl-shots-${count}`);
  console.log(`screenshot workload: ${count} pairs in ${dir}`);
  const w = await makeScreenshots(dir, count);
  const bin = path.join(root, 'bin/nectar-loss.js');
  const peers = path.join(root, 'dist/bench/peers.js');
  const node = process.execPath;
  const ours = (label: string, ...flags: string[]): Row => ({
    label: `nectar-loss batch ${flags.join(' ')} --files heatmap`,
    args: (r, f, o) => [node, bin, 'batch', r, f, ...flags, '--files', 'heatmap', '--out', o, ...backend],
  });
  const table: Row[] = [
    {
      label: 'odiff-bin 4.5.0, Node API (ODiffServer), diff PNGs',
      args: (r, f, o) => [node, peers, 'odiff', r, f, o],
      env: { CI: '1' },
      reference: true,
    },
    { label: 'pixelmatch 7.2.0 + pngjs, diff PNGs', args: (r, f, o) => [node, peers, 'pixelmatch', r, f, o] },
    ours('', '--loss', 'l1'),
    ours('', '--loss', 'sobel'),
    ours('', '--loss', 'l1', '--shift-tolerance', '1'),
    ours('', '--loss', 'ssim'),
    // Issue 29: rows 2 and 3 find changed regions and kinds (batch's default); the same batches without.
    ours('', '--loss', 'l1', '--no-regions'),
    ours('', '--loss', 'sobel', '--no-regions'),
  ];
  const only = process.env.BENCH_SHOT_ROWS?.split(',').map(Number);
  const rows = only ? table.filter((_, i) => i === 0 || only.includes(i)) : table;
  const wall = rows.map(() => [] as number[]),
    cpu = rows.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    // Each round in another order, so drift on a shared machine hits every row alike.
    const order = rows.map((_, i) => i);
    for (let k = 0; k < round; k++) order.push(order.shift()!);
    if (round % 2) order.reverse();
    for (const i of order) {
      const out = mkdtempSync(path.join(tmpdir(), 'nl-shot-out-'));
      const t = timedRun(rows[i]!.args(w.real, w.fake, out), rows[i]!.env);
      rmSync(out, { recursive: true, force: true });
      wall[i]!.push(t.wall);
      cpu[i]!.push(t.cpu);
      console.log(
        `round ${round + 1}: ${rows[i]!.label}: ${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU`,
      );
    }
  }
  const ref = median(wall[rows.findIndex((r) => r.reference)]!);
  const results = rows.map((r, i) => ({
    label: r.label,
    wall: median(wall[i]!),
    cpu: median(cpu[i]!),
    ratio: median(wall[i]!) / ref,
  }));
  const md = [
    `| tool | ${count} pairs, wall s | CPU s (user + sys) | CPU ms per pair | wall ratio (to odiff) |`,
    '| --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.label} | ${r.wall.toFixed(2)} | ${r.cpu.toFixed(2)} | ${((1000 * r.cpu) / count).toFixed(1)} | ${r.ratio.toFixed(2)} |`,
    ),
    ...regionsCost(rows, wall, cpu),
  ];
  return { rows: md, results, pairs: count };
}

/**
 * What changed regions and kinds cost (issue 29: at most 25 %): per loss whose batch ran both with regions
 * (the default) and with --no-regions, each round's ratio of the two (they run in the same round), and the
 * median, for CPU and wall time.
 */
function regionsCost(rows: Row[], wall: number[][], cpu: number[][]): string[] {
  const lines: string[] = [];
  for (const loss of ['l1', 'sobel']) {
    const label = (flag: string) => `nectar-loss batch --loss ${loss}${flag} --files heatmap`;
    const on = rows.findIndex((r) => r.label === label('')),
      off = rows.findIndex((r) => r.label === label(' --no-regions'));
    if (on < 0 || off < 0) continue;
    const say = (t: number[][]) => {
      const ratios = t[on]!.map((v, k) => v / t[off]![k]!);
      return `${ratios.map((r) => r.toFixed(2)).join(', ')} (median **${median(ratios).toFixed(2)}**)`;
    };
    lines.push(`- ${loss}: CPU ${say(cpu)}; wall ${say(wall)}`);
  }
  if (lines.length)
    lines.unshift(
      '',
      "Changed regions and kinds (`batch` finds them by default) against the same batch with `--no-regions`, each round's ratio (both run in the same round):",
      '',
    );
  return lines;
}
