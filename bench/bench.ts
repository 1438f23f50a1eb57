/**
 * `npm run bench`: loss x size x backend. For each row: compute ms (in process, median after a warm-up),
 * end-to-end wall ms of the CLI (`--no-maps`, process start to exit, median) and its peak RSS; and, where
 * /usr/bin/python3 has torch, the same for NectarGAN's path (PIL + PyTorch CPU) with the ratio, the two
 * measured interleaved in the same rounds. VGG reads a full-size (548 MiB) weights file. Writes bench/results.md.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { computePair } from '../src/engine/compute.js';
import { useBackend } from '../src/engine/backend.js';
import { decodeImage } from '../src/io/decode.js';
import { loadLoss } from '../src/losses/registry.js';
import { loadVgg19 } from '../src/io/weights/vgg19.js';
import { vgg19Weights } from '../src/losses/vgg.js';
import { writeFullSizeLegacy } from '../test/io/weights/fullsize.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/nectar-loss.js');
const RSS = path.join(ROOT, 'dist/bench/rss.js');
const PY = '/usr/bin/python3';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SIZES = (process.env.BENCH_SIZES ?? '512,1024').split(',').map(Number);
/** VGG runs at these sizes only (it is ~100x the work of the filters). */
const VGG_SIZES = (process.env.BENCH_VGG_SIZES ?? '256,512').split(',').map(Number);
const LOSSES = ['sobel', 'laplacian', 'vgg'];

const BACKENDS = ['wasm', 'cpu'];
/** Debian's software Vulkan driver: the webgpu rows run on it when no GPU driver is set (labelled). */
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
/** WebGPU rows: filters at 512² only (on a software adapter a 1024² pair takes seconds). */
const WEBGPU_SIZES = [512];

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

/** A deterministic pair: smooth colour noise with edges, and a shifted, noisier copy. */
async function makePair(dir: string, n: number): Promise<[string, string]> {
  const raw = Buffer.alloc(n * n * 3);
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) for (let c = 0; c < 3; c++) raw[(y * n + x) * 3 + c] = (((x >> 4) + (y >> 5) + c) % 3) * 80 + rnd() * 60;
  const fake = Buffer.from(raw.map((v, i) => Math.min(255, Math.max(0, raw[(i + 3 * n + 3) % raw.length]! + (rnd() - 0.5) * 40))));
  const real = path.join(dir, `real${n}.png`), fk = path.join(dir, `fake${n}.png`);
  await sharp(raw, { raw: { width: n, height: n, channels: 3 } }).png({ compressionLevel: n > 2048 ? 1 : 6 }).toFile(real);
  await sharp(fake, { raw: { width: n, height: n, channels: 3 } }).png({ compressionLevel: n > 2048 ? 1 : 6 }).toFile(fk);
  return [real, fk];
}

function timed(cmd: string, args: string[]): { ms: number; out: string; err: string; ok: boolean } {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, out: r.stdout, err: r.stderr, ok: r.status === 0 };
}

/**
 * One batch process over 64 pairs of 512², sobel and laplacian, against one PyTorch process looping over
 * the same pairs and writing the same PNGs: `heatmap` (--files heatmap: a heatmap per pair and loss) or
 * `default` (no --files: heatmap, filtered real and fake, figure; PyTorch pastes its figure with PIL,
 * without text, a lower bound on NectarGAN's matplotlib figure).
 */
async function batchRow(dir: string, hasTorch: boolean, files: 'heatmap' | 'default'): Promise<string> {
  const n = 512, count = Number(process.env.BENCH_BATCH_PAIRS ?? 64);
  const [real, fake] = await makePair(dir, n);
  const rd = path.join(dir, `batch-real-${files}`), fd = path.join(dir, `batch-fake-${files}`);
  mkdirSync(rd);
  mkdirSync(fd);
  for (let i = 0; i < count; i++) {
    copyFileSync(real, path.join(rd, `p${String(i).padStart(3, '0')}.png`));
    copyFileSync(fake, path.join(fd, `p${String(i).padStart(3, '0')}.png`));
  }
  const wall: number[] = [], rss: number[] = [], pyWall: number[] = [], pyRss: number[] = [];
  const ours = () => {
    const out = mkdtempSync(path.join(dir, 'bo-'));
    const x = timed(process.execPath, ['--import', RSS, BIN, 'batch', rd, fd, '--loss', 'sobel,laplacian', ...(files === 'heatmap' ? ['--files', 'heatmap'] : []), '--out', out]);
    if (!x.ok) throw new Error(x.err);
    wall.push(x.ms);
    rss.push(Number(/__RSS_KB__ (\d+)/.exec(x.err)?.[1] ?? NaN) / 1024);
  };
  const theirs = () => {
    if (!hasTorch) return;
    const out = mkdtempSync(path.join(dir, 'bp-'));
    const x = timed(PY, [path.join(ROOT, 'bench/torch_ref.py'), '--batch', rd, fd, out, 'sobel,laplacian', files === 'heatmap' ? 'heatmap' : 'all']);
    if (!x.ok) throw new Error(x.err);
    pyWall.push(x.ms);
    pyRss.push((JSON.parse(x.out) as { maxrss_kb: number }).maxrss_kb / 1024);
  };
  for (let i = 0; i < ROUNDS; i++) if (i % 2) { theirs(); ours(); } else { ours(); theirs(); }
  const f1 = (x: number) => x.toFixed(0);
  const py = hasTorch ? [f1(median(pyWall)), f1(median(pyRss)), (median(wall) / median(pyWall)).toFixed(2)] : ['–', '–', '–'];
  const what = files === 'heatmap' ? 'heatmaps' : 'default files (4 PNGs per loss)';
  const row = `| batch: ${count} pairs, sobel+laplacian, ${what} | ${n}² | auto | – | ${f1(median(wall))} | ${f1(median(rss))} | – | ${py.join(' | ')} |`;
  console.log(row);
  return row;
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-bench-'));
  const hasTorch = spawnSync(PY, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  // A full-size (548 MiB) VGG19 file in torchvision's 2017 layout, sparse, holding the fixture's convs.
  const weights = path.join(dir, 'vgg19-full.pth');
  await writeFullSizeLegacy(weights, path.join(ROOT, 'fixtures/weights/vgg19-zip.pth'));
  const vggCtx = { vgg19: undefined as ReturnType<typeof vgg19Weights> | undefined };
  const rows: string[] = [];
  // The webgpu rows' label: the adapter, and "software" where it is one.
  const { probeAdapter } = await import('../src/engine/webgpu.js');
  const probe = probeAdapter();
  const webgpu = probe.ok ? `webgpu (${probe.adapter.description}${probe.adapter.software ? ', software' : ''})` : undefined;
  if (!webgpu) console.log(`no webgpu rows: ${probe.ok ? '' : probe.reason}`);
  const header = '| loss | size | backend | compute ms | CLI wall ms | CLI peak RSS MB | PyTorch compute ms | PyTorch wall ms | PyTorch peak RSS MB | wall ratio (ours / PyTorch) |';
  rows.push(header, '|' + ' --- |'.repeat(10));
  for (const n of [...new Set([...SIZES, ...VGG_SIZES])].sort((a, b) => a - b)) {
    const [real, fake] = await makePair(dir, n);
    const [r, f] = [await decodeImage(real, { label: 'real' }), await decodeImage(fake, { label: 'fake' })];
    for (const lossName of LOSSES) {
      if (lossName === 'vgg' ? !VGG_SIZES.includes(n) : !SIZES.includes(n)) continue;
      for (const backend of [...BACKENDS, ...(webgpu && WEBGPU_SIZES.includes(n) && lossName !== 'vgg' ? ['webgpu'] : [])]) {
        if (lossName === 'vgg' && backend === 'cpu') continue; // minutes per run: not a configuration anyone should use
        await useBackend(backend as 'wasm' | 'cpu' | 'webgpu');
        const loss = (await loadLoss(lossName))!;
        vggCtx.vgg19?.dispose();
        vggCtx.vgg19 = lossName === 'vgg' ? vgg19Weights(await loadVgg19(weights)) : undefined;
        await computePair(loss, r, f, 'unit', vggCtx);
        const compute: number[] = [];
        for (let i = 0; i < ROUNDS; i++) {
          const t = process.hrtime.bigint();
          await computePair(loss, r, f, 'unit', vggCtx);
          compute.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
        const wall: number[] = [], rss: number[] = [], pyWall: number[] = [], pyCompute: number[] = [], pyRss: number[] = [];
        for (let i = 0; i < ROUNDS; i++) {
          const ours = () => {
            const x = timed(process.execPath, ['--import', RSS, BIN, lossName, real, fake, '--no-maps', '--backend', backend, '--weights', weights]);
            if (!x.ok) throw new Error(x.err);
            wall.push(x.ms);
            rss.push(Number(/__RSS_KB__ (\d+)/.exec(x.err)?.[1] ?? NaN) / 1024);
          };
          const theirs = () => {
            if (!hasTorch) return;
            const x = timed(PY, [path.join(ROOT, 'bench/torch_ref.py'), lossName, real, fake, '--weights', weights]);
            if (!x.ok) throw new Error(x.err);
            const j = JSON.parse(x.out) as { compute_ms: number; maxrss_kb: number };
            pyWall.push(x.ms);
            pyCompute.push(j.compute_ms);
            pyRss.push(j.maxrss_kb / 1024);
          };
          // Interleaved, alternating which goes first, so drift on a shared machine hits both alike.
          if (i % 2) { theirs(); ours(); } else { ours(); theirs(); }
        }
        const f1 = (x: number) => x.toFixed(1);
        const py = hasTorch ? [f1(median(pyCompute)), f1(median(pyWall)), f1(median(pyRss)), (median(wall) / median(pyWall)).toFixed(2)] : ['–', '–', '–', '–'];
        const label = backend === 'webgpu' ? webgpu! : backend;
        const row = `| ${lossName} | ${n}² | ${label} | ${f1(median(compute))} | ${f1(median(wall))} | ${f1(median(rss))} | ${py.join(' | ')} |`;
        rows.push(row);
        console.log(row);
      }
    }
  }
  for (const files of ['heatmap', 'default'] as const) rows.push(await batchRow(dir, hasTorch, files));
  // Large pairs, tiled: numbers only, one run each (BENCH_HUGE=0 to skip). Three sizes, 4x apart in
  // pixels, show how time and memory grow with the pixel count.
  const sizes: { n: number; ms: number; mb: number }[] = [];
  if (process.env.BENCH_HUGE !== '0') {
    for (const n of [2048, 4096, 8192]) {
      const [real, fake] = await makePair(dir, n);
      const x = timed(process.execPath, ['--import', RSS, BIN, 'sobel', real, fake, '--no-maps']);
      if (!x.ok) throw new Error(x.err);
      const ours = [x.ms, Number(/__RSS_KB__ (\d+)/.exec(x.err)?.[1] ?? NaN) / 1024];
      const y = hasTorch ? timed(PY, [path.join(ROOT, 'bench/torch_ref.py'), 'sobel', real, fake]) : undefined;
      const py = y?.ok ? [(JSON.parse(y.out) as { compute_ms: number }).compute_ms.toFixed(0), y.ms.toFixed(0), ((JSON.parse(y.out) as { maxrss_kb: number }).maxrss_kb / 1024).toFixed(0), (ours[0]! / y.ms).toFixed(2)] : ['–', '–', '–', '–'];
      const row = `| sobel (tiled, 1 run) | ${n}² | auto | – | ${ours[0]!.toFixed(0)} | ${ours[1]!.toFixed(0)} | ${py.join(' | ')} |`;
      rows.push(row);
      console.log(row);
      sizes.push({ n, ms: ours[0]!, mb: ours[1]! });
    }
  }
  // Linear in pixels: the cost of each added Mpixel between consecutive sizes (start-up cancels out).
  const scaling = sizes.slice(1).map((b, i) => {
    const a = sizes[i]!, mpx = (b.n * b.n - a.n * a.n) / 2 ** 20;
    return `${a.n}² to ${b.n}²: ${((b.ms - a.ms) / mpx).toFixed(1)} ms and ${((b.mb - a.mb) / mpx).toFixed(1)} MB per added Mpixel`;
  });
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}${hasTorch ? `, PyTorch ${spawnSync(PY, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim()}` : ', no PyTorch'}`;
  const md = `# Benchmark results\n\nMachine: ${machine}. ${ROUNDS} interleaved rounds, medians. Made by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.\n\n${rows.join('\n')}\n${scaling.length ? `\nTiled Sobel, whole process: ${scaling.join('; ')}.\n` : ''}`;
  writeFileSync(path.join(ROOT, 'bench/results.md'), md);
  console.log(`\n${header}\n${machine}\nwritten to bench/results.md`);
}

await main();
