import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { writeSeededInception } from '../test/losses/seeded-inception.js';

/**
 * FID of two folders of N 256x256 PNGs (default 500 each, BENCH_FID_N) at --dims 2048: our whole CLI
 * process (`fid --no-cache --json`, wasm) against pytorch-fid's whole process on Debian's torch
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
  const t = process.hrtime.bigint();
  const args = ['fid', path.join(root, 'real'), path.join(root, 'fake'), '--json', '--no-cache'];
  const r = spawnSync(process.execPath, ['--import', o.rss, o.bin, ...args, '--inception-weights', weights], {
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(r.stderr);
  const mb = Number(/__RSS_KB__ (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024;
  const ours = JSON.parse(r.stdout) as { fid: number };
  let py = ['–', '–', '–', '–'];
  let note = `FID ${n}+${n}: ours ${ours.fid}`;
  if (o.py) {
    const t2 = process.hrtime.bigint();
    const y = spawnSync(o.py, [path.join(path.dirname(o.bin), '../bench/fid_ref.py'), ...args.slice(1, 3)], {
      encoding: 'utf8',
    });
    const pyMs = Number(process.hrtime.bigint() - t2) / 1e6;
    if (y.status === 0) {
      const p = JSON.parse(y.stdout.trim().split('\n').pop()!) as {
        fid: number;
        compute_ms: number;
        maxrss_kb: number;
      };
      py = [
        p.compute_ms.toFixed(0),
        pyMs.toFixed(0),
        (p.maxrss_kb / 1024).toFixed(0),
        (ms / pyMs).toFixed(2),
      ];
      note += `, pytorch-fid ${p.fid} (relative difference ${Math.abs(ours.fid - p.fid) / Math.abs(p.fid)})`;
    }
  }
  const row = `| fid (2048 dims, ${n}+${n} images) | 256² | wasm (auto) | – | ${ms.toFixed(0)} | ${mb.toFixed(0)} | ${py.join(' | ')} |`;
  return { rows: [row], notes: [note + '.'] };
}
