import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { writeSeededInception } from '../test/losses/seeded-inception.js';

/**
 * FID of two folders of N 256x256 PNGs (default 500 each, BENCH_FID_N) at --dims 2048: our whole CLI
 * process (`fid --no-cache --json`; onnxruntime-node, and TensorFlow.js wasm) against pytorch-fid's whole process on Debian's torch
 * (bench/fid_ref.py) with the same seeded weights; wall time, ratio, peak RSS, and both FIDs.
 */
async function makeSet(dir: string, n: number, seed: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const f = path.join(dir, `${String(i).padStart(4, '0')}.png`);
    if (existsSync(f)) continue;
    const px = Buffer.alloc(64 * 64 * 3);
    let s = (seed * 7919 + i * 104729) >>> 0;
    for (let k = 0; k < px.length; k++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      px[k] = (s >>> 24) & 0xff;
    }
    // Smooth noise: 64x64 random, enlarged to 256x256 (bilinear-ish by sharp's default kernel).
    await sharp(px, { raw: { width: 64, height: 64, channels: 3 } })
      .resize(256, 256)
      .png()
      .toFile(f);
  }
}

interface Run {
  ms: number;
  mb: number;
  cpuS: number;
  fid: number;
}

/** One whole `fid` process (peak RSS and CPU time from bench/rss.ts). */
function ours(o: { bin: string; rss: string }, args: string[]): Run {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', o.rss, o.bin, ...args], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(r.stderr);
  const num = (k: string) => Number(new RegExp(`${k} ([\\d.]+)`).exec(r.stderr)?.[1] ?? NaN);
  const fid = (JSON.parse(r.stdout) as { fid: number }).fid;
  return { ms, mb: num('__RSS_KB__') / 1024, cpuS: num('__CPU_MS__') / 1000, fid };
}

/** pytorch-fid's whole process (bench/fid_ref.py), or undefined when it fails. */
function pytorch(py: string, bin: string, dirs: string[]): (Run & { computeMs: number }) | undefined {
  const script = path.join(path.dirname(bin), '../bench/fid_ref.py');
  // The seeded weights saved once as a .pth (not timed): the run reads them as pytorch-fid reads its cache.
  const pth = path.join(path.dirname(dirs[0]!), 'inception-seeded.pth');
  if (!existsSync(pth) && spawnSync(py, [script, '--write-weights', pth]).status !== 0) return undefined;
  const t = process.hrtime.bigint();
  const y = spawnSync(py, [script, ...dirs], {
    encoding: 'utf8',
    env: { ...process.env, FID_REF_WEIGHTS: pth },
  });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (y.status !== 0) return undefined;
  const p = JSON.parse(y.stdout.trim().split('\n').pop()!) as {
    fid: number;
    compute_ms: number;
    maxrss_kb: number;
    cpu_ms: number;
  };
  return { ms, mb: p.maxrss_kb / 1024, cpuS: p.cpu_ms / 1000, fid: p.fid, computeMs: p.compute_ms };
}

/**
 * Two rows side by side with one pytorch-fid run: backend auto (onnxruntime-node when it loads; the
 * runtime named in the row) and the TensorFlow.js path (`--backend wasm`); CPU seconds of every process in
 * the notes (the machine may be shared: wall ratios move with its load, CPU time much less).
 * BENCH_FID_WASM=0 leaves the wasm row out (at 500+500 it alone takes about 6 minutes here).
 */
export async function fidRows(
  dir: string,
  o: { bin: string; rss: string; py?: string },
): Promise<{ rows: string[]; notes: string[] }> {
  const n = Number(process.env.BENCH_FID_N ?? 500);
  const root = path.join(dir, `fid-${n}`);
  await makeSet(path.join(root, 'real'), n, 1);
  await makeSet(path.join(root, 'fake'), n, 2);
  const weights = path.join(root, 'inception-seeded.safetensors');
  if (!existsSync(weights)) writeSeededInception(weights);
  const dirs = [path.join(root, 'real'), path.join(root, 'fake')];
  const args = ['fid', ...dirs, '--json', '--no-cache', '--inception-weights', weights];
  const { ortUnavailable } = await import('../src/engine/fid-ort.js');
  const why = ortUnavailable();
  const runs: [string, Run][] = [];
  if (!why) runs.push(['onnxruntime-node (auto)', ours(o, args)]);
  if (process.env.BENCH_FID_WASM !== '0')
    runs.push(['wasm (--backend wasm)', ours(o, [...args, '--backend', 'wasm'])]);
  const p = o.py ? pytorch(o.py, o.bin, dirs) : undefined;
  const rows = runs.map(([label, r]) => {
    const py = p
      ? [p.computeMs.toFixed(0), p.ms.toFixed(0), p.mb.toFixed(0), (r.ms / p.ms).toFixed(2)]
      : ['–', '–', '–', '–'];
    return `| fid (2048 dims, ${n}+${n} images) | 256² | ${label} | – | ${r.ms.toFixed(0)} | ${r.mb.toFixed(0)} | ${py.join(' | ')} |`;
  });
  const rel = (a: number) => (p ? ` (relative difference ${Math.abs(a - p.fid) / Math.abs(p.fid)})` : '');
  const notes = [
    `FID ${n}+${n}: ${runs.map(([l, r]) => `${l} ${r.fid}${rel(r.fid)}`).join('; ')}${p ? `; pytorch-fid ${p.fid}` : ''}.`,
    `CPU seconds (user + system, whole process): ${runs.map(([l, r]) => `${l} ${r.cpuS.toFixed(1)} s (${((1000 * r.cpuS) / (2 * n)).toFixed(0)} ms/image)`).join('; ')}${p ? `; pytorch-fid ${p.cpuS.toFixed(1)} s (${((1000 * p.cpuS) / (2 * n)).toFixed(0)} ms/image)` : ''}.`,
    ...(why ? [`onnxruntime-node row skipped: ${why}.`] : []),
  ];
  return { rows, notes };
}
