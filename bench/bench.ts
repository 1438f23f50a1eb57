/**
 * `npm run bench`: loss x size x backend. For each row: compute ms (in process, median after a warm-up),
 * end-to-end wall ms of the CLI (`--no-maps`, process start to exit, median) and its peak RSS; and, where
 * /usr/bin/python3 has torch, the same for NectarGAN's path (PIL + PyTorch CPU) with the ratio, the two
 * measured interleaved in the same rounds. VGG reads a full-size (548 MiB) weights file. `flip` runs against
 * FLIP's C++ tool given by $FLIP_BIN (skipped, with a note, without it). Writes bench/results.md;
 * BENCH_ONLY=flip measures the flip row alone and only prints it; BENCH_ONLY=fid the FID row (BENCH_FID_N).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { computePair } from '../src/engine/compute.js';
import { mapStats } from '../src/engine/stats.js';
import { useBackend } from '../src/engine/backend.js';
import { decodeImage } from '../src/io/decode.js';
import { loadLoss } from '../src/losses/registry.js';
import { loadVgg19 } from '../src/io/weights/vgg19.js';
import { vgg19Weights } from '../src/losses/vgg.js';
import { writeFullSizeLegacy } from '../test/io/weights/fullsize.js';
import { screenshotBench } from './screenshot-bench.js';

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
/**
 * The rows that a default install runs with `auto` name wasm: with the optional webgpu packages installed
 * (they are here, for the webgpu rows), auto would first ask Dawn for an adapter in a child process, a cost
 * (about 0.1 s) a default install does not pay.
 */
const AUTO = ['--backend', 'wasm'];
const AUTO_LABEL = 'wasm (auto)';
/** WebGPU rows: filters at 512² only (on a software adapter a 1024² pair takes seconds). */
const WEBGPU_SIZES = [512];

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/** A deterministic pair: smooth colour noise with edges, and a shifted, noisier copy. */
async function makePair(dir: string, n: number): Promise<[string, string]> {
  const raw = Buffer.alloc(n * n * 3);
  let s = 12345;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++)
      for (let c = 0; c < 3; c++)
        raw[(y * n + x) * 3 + c] = (((x >> 4) + (y >> 5) + c) % 3) * 80 + rnd() * 60;
  const fake = Buffer.from(
    raw.map((v, i) => Math.min(255, Math.max(0, raw[(i + 3 * n + 3) % raw.length] + (rnd() - 0.5) * 40))),
  );
  const real = path.join(dir, `real${n}.png`),
    fk = path.join(dir, `fake${n}.png`);
  await sharp(raw, { raw: { width: n, height: n, channels: 3 } })
    .png({ compressionLevel: n > 2048 ? 1 : 6 })
    .toFile(real);
  await sharp(fake, { raw: { width: n, height: n, channels: 3 } })
    .png({ compressionLevel: n > 2048 ? 1 : 6 })
    .toFile(fk);
  return [real, fk];
}

function timed(cmd: string, args: string[]): { ms: number; out: string; err: string; ok: boolean } {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, out: r.stdout, err: r.stderr, ok: r.status === 0 };
}

/**
 * One whole CLI run of ours under the RSS probe: wall ms and peak RSS in MB; throws with its stderr if it
 * fails.
 */
function runOurs(args: string[]): { ms: number; mb: number } {
  const x = timed(process.execPath, ['--import', RSS, BIN, ...args]);
  if (!x.ok) throw new Error(x.err);
  return { ms: x.ms, mb: Number(/__RSS_KB__ (\d+)/.exec(x.err)?.[1] ?? NaN) / 1024 };
}

/**
 * `flip` on the committed 1920x1080 pair against FLIP's own C++ tool (its binary from $FLIP_BIN, built with
 * g++ -O3), whole process each, interleaved, both writing their error-map PNG (ours --files heatmap: magma).
 * The row, or why there is none.
 */
function flipRow(): { row?: string; note?: string } {
  const bin = process.env.FLIP_BIN;
  if (!bin || !existsSync(bin))
    return { note: `no flip row: FLIP_BIN ${bin ? `(${bin}) does not exist` : 'is not set'}` };
  const [real, fake] = ['real', 'fake'].map((s) =>
    path.join(ROOT, `fixtures/images/flip_1920x1080_${s}.png`),
  );
  const out = mkdtempSync(path.join(tmpdir(), 'nl-flip-'));
  const wall: number[] = [],
    rss: number[] = [],
    cpp: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const ours = () => {
      const x = runOurs(['flip', real!, fake!, '--files', 'heatmap', '--out', out, ...AUTO]);
      wall.push(x.ms);
      rss.push(x.mb);
    };
    const theirs = () => {
      const x = timed(bin, ['-r', real!, '-t', fake!, '-d', out, '-b', 'cpp', '-v', '1']);
      if (!x.ok) throw new Error(x.out + x.err);
      cpp.push(x.ms);
    };
    if (i % 2) [theirs, ours].forEach((f) => f());
    else [ours, theirs].forEach((f) => f());
  }
  const row = `| flip (vs FLIP's C++ tool, -O3; its wall in the PyTorch wall column) | 1920×1080 | ${AUTO_LABEL} | – | ${median(wall).toFixed(0)} | ${median(rss).toFixed(0)} | – | ${median(cpp).toFixed(0)} | – | ${(median(wall) / median(cpp)).toFixed(2)} |`;
  return { row };
}

async function main() {
  if (process.env.BENCH_ONLY === 'flip') {
    const r = flipRow();
    console.log(r.row ?? r.note);
    return;
  }
  if (process.env.BENCH_ONLY === 'fid') {
    // pytorch-fid itself is vendored (fixtures/third_party/pytorch-fid, put on the path by bench/fid_ref.py).
    const hasPy = spawnSync(PY, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;
    const dir = mkdtempSync(path.join(tmpdir(), 'nl-bench-'));
    const r = await (
      await import('./fid-bench.js')
    ).fidRows(dir, { bin: BIN, rss: RSS, py: hasPy ? PY : undefined });
    console.log([...r.rows, ...r.notes].join('\n'));
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-bench-'));
  const hasTorch = spawnSync(PY, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  // A full-size (548 MiB) VGG19 file in torchvision's 2017 layout, sparse, holding the fixture's convs.
  const weights = path.join(dir, 'vgg19-full.pth');
  await writeFullSizeLegacy(weights, path.join(ROOT, 'fixtures/weights/vgg19-zip.pth'));
  const vggCtx = { vgg19: undefined as ReturnType<typeof vgg19Weights> | undefined };
  const rows: string[] = [];
  const notes: string[] = [];
  let batchWall = NaN;
  // The webgpu rows' label: the adapter, and "software" where it is one.
  const { probeAdapter } = await import('../src/engine/webgpu.js');
  const probe = probeAdapter();
  const webgpu = probe.ok
    ? `webgpu (${probe.adapter.description}${probe.adapter.software ? ', software' : ''})`
    : undefined;
  if (!webgpu) console.log(`no webgpu rows: ${probe.ok ? '' : probe.reason}`);
  const header =
    '| loss | size | backend | compute ms | CLI wall ms | CLI peak RSS MB | PyTorch compute ms | PyTorch wall ms | PyTorch peak RSS MB | wall ratio (ours / PyTorch) |';
  rows.push(header, '|' + ' --- |'.repeat(10));
  for (const n of [...new Set([...SIZES, ...VGG_SIZES])].sort((a, b) => a - b)) {
    const [real, fake] = await makePair(dir, n);
    const [r, f] = [await decodeImage(real, { label: 'real' }), await decodeImage(fake, { label: 'fake' })];
    for (const lossName of LOSSES) {
      if (lossName === 'vgg' ? !VGG_SIZES.includes(n) : !SIZES.includes(n)) continue;
      for (const backend of [
        ...BACKENDS,
        ...(webgpu && WEBGPU_SIZES.includes(n) && lossName !== 'vgg' ? ['webgpu'] : []),
      ]) {
        // Minutes per run: not a configuration anyone should use.
        if (lossName === 'vgg' && backend === 'cpu') continue;
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
        const wall: number[] = [],
          rss: number[] = [],
          pyWall: number[] = [],
          pyCompute: number[] = [],
          pyRss: number[] = [];
        for (let i = 0; i < ROUNDS; i++) {
          const ours = () => {
            const x = runOurs([
              lossName,
              real,
              fake,
              '--no-maps',
              '--backend',
              backend,
              '--weights',
              weights,
            ]);
            wall.push(x.ms);
            rss.push(x.mb);
          };
          const theirs = () => {
            if (!hasTorch) return;
            const x = timed(PY, [
              path.join(ROOT, 'bench/torch_ref.py'),
              lossName,
              real,
              fake,
              '--weights',
              weights,
            ]);
            if (!x.ok) throw new Error(x.err);
            const j = JSON.parse(x.out) as { compute_ms: number; maxrss_kb: number };
            pyWall.push(x.ms);
            pyCompute.push(j.compute_ms);
            pyRss.push(j.maxrss_kb / 1024);
          };
          // Interleaved, alternating which goes first, so drift on a shared machine hits both alike.
          if (i % 2) {
            theirs();
            ours();
          } else {
            ours();
            theirs();
          }
        }
        const f1 = (x: number) => x.toFixed(1);
        const py = hasTorch
          ? [
              f1(median(pyCompute)),
              f1(median(pyWall)),
              f1(median(pyRss)),
              (median(wall) / median(pyWall)).toFixed(2),
            ]
          : ['–', '–', '–', '–'];
        const label = backend === 'webgpu' ? webgpu! : backend;
        const row = `| ${lossName} | ${n}² | ${label} | ${f1(median(compute))} | ${f1(median(wall))} | ${f1(median(rss))} | ${py.join(' | ')} |`;
        rows.push(row);
        console.log(row);
      }
    }
  }
  // One batch process over 64 pairs of 512², sobel and laplacian with heatmaps, against one PyTorch
  // process looping over the same pairs and saving its heatmaps.
  {
    const n = 512,
      count = Number(process.env.BENCH_BATCH_PAIRS ?? 64);
    const [real, fake] = await makePair(dir, n);
    const rd = path.join(dir, 'batch-real'),
      fd = path.join(dir, 'batch-fake');
    mkdirSync(rd);
    mkdirSync(fd);
    for (let i = 0; i < count; i++) {
      copyFileSync(real, path.join(rd, `p${String(i).padStart(3, '0')}.png`));
      copyFileSync(fake, path.join(fd, `p${String(i).padStart(3, '0')}.png`));
    }
    // --files heatmap (one PNG per pair and loss), then the default output (heatmap, both filtered maps and
    // the figure: four PNGs per pair and loss), each against a PyTorch loop saving as many PNGs.
    for (const [label, ourFiles, theirFiles] of [
      ['heatmaps', ['--files', 'heatmap'], 'heatmap'],
      ['default files (4 PNGs per loss)', [], 'all'],
    ] as const) {
      const wall: number[] = [],
        rss: number[] = [],
        pyWall: number[] = [],
        pyRss: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const ours = () => {
          const out = mkdtempSync(path.join(dir, 'bo-'));
          const x = runOurs([
            'batch',
            rd,
            fd,
            '--loss',
            'sobel,laplacian',
            ...ourFiles,
            '--out',
            out,
            ...AUTO,
          ]);
          wall.push(x.ms);
          rss.push(x.mb);
        };
        const theirs = () => {
          if (!hasTorch) return;
          const out = mkdtempSync(path.join(dir, 'bp-'));
          const x = timed(PY, [
            path.join(ROOT, 'bench/torch_ref.py'),
            '--batch',
            rd,
            fd,
            out,
            'sobel,laplacian',
            theirFiles,
          ]);
          if (!x.ok) throw new Error(x.err);
          pyWall.push(x.ms);
          pyRss.push((JSON.parse(x.out) as { maxrss_kb: number }).maxrss_kb / 1024);
        };
        if (i % 2) {
          theirs();
          ours();
        } else {
          ours();
          theirs();
        }
      }
      const f1 = (x: number) => x.toFixed(0);
      const py = hasTorch
        ? [f1(median(pyWall)), f1(median(pyRss)), (median(wall) / median(pyWall)).toFixed(2)]
        : ['–', '–', '–'];
      const row = `| batch: ${count} pairs, sobel+laplacian, ${label} | ${n}² | ${AUTO_LABEL} | – | ${f1(median(wall))} | ${f1(median(rss))} | – | ${py.join(' | ')} |`;
      rows.push(row);
      console.log(row);
      if (ourFiles.length) batchWall = median(wall);
    }
    // What the per-pair statistics cost: two 512² maps per pair, against the batch's core time per pair.
    await useBackend('wasm');
    const sobel = (await loadLoss('sobel'))!;
    const [r, f] = [await decodeImage(real, { label: 'real' }), await decodeImage(fake, { label: 'fake' })];
    const map = (await computePair(sobel, r, f, 'unit')).map;
    mapStats(map);
    const t = process.hrtime.bigint();
    for (let i = 0; i < 2 * count; i++) mapStats(map);
    const statsMs = Number(process.hrtime.bigint() - t) / 1e6;
    const share = statsMs / (batchWall * cpus().length);
    notes.push(
      `Statistics: ${(statsMs / count).toFixed(2)} ms per pair (two 512² maps), ${(100 * share).toFixed(1)}% of the batch's core time (${count} pairs, --files heatmap, ${cpus().length} cores).`,
    );
  }
  // The standard metrics against the implementations people cite, whole process each, interleaved:
  // SSIM on a 1024² pair against scikit-image; LPIPS (alex, seeded AlexNet trunk) on 512² against the lpips
  // package.
  const metricRows: { label: string; n: number; ours: string[]; theirs: string[]; check: string }[] = [
    {
      label: 'ssim (vs scikit-image)',
      n: 1024,
      ours: ['ssim'],
      theirs: ['bench/skimage_ref.py'],
      check: 'import skimage',
    },
    {
      label: 'lpips alex (vs the lpips package)',
      n: 512,
      ours: ['lpips', '--alexnet-weights', path.join(ROOT, 'fixtures/weights/alexnet-seeded.pth')],
      theirs: [
        'bench/lpips_ref.py',
        '{real}',
        '{fake}',
        path.join(ROOT, 'fixtures/weights/alexnet-seeded.pth'),
      ],
      check: 'import torchvision',
    },
  ];
  for (const m of metricRows) {
    if (spawnSync(PY, ['-c', m.check], { stdio: 'ignore' }).status !== 0) continue;
    const [real, fake] = await makePair(dir, m.n);
    const wall: number[] = [],
      rss: number[] = [],
      pyWall: number[] = [],
      pyRss: number[] = [];
    const theirArgs =
      m.theirs.length > 1
        ? m.theirs.map((a) => (a === '{real}' ? real : a === '{fake}' ? fake : a))
        : [...m.theirs, real, fake];
    for (let i = 0; i < ROUNDS; i++) {
      const ours = () => {
        const x = runOurs([m.ours[0], real, fake, ...m.ours.slice(1), '--no-maps', ...AUTO]);
        wall.push(x.ms);
        rss.push(x.mb);
      };
      const theirs = () => {
        const x = timed(PY, [path.join(ROOT, theirArgs[0]), ...theirArgs.slice(1)]);
        if (!x.ok) throw new Error(x.err);
        pyWall.push(x.ms);
        pyRss.push((JSON.parse(x.out) as { maxrss_kb: number }).maxrss_kb / 1024);
      };
      if (i % 2) {
        theirs();
        ours();
      } else {
        ours();
        theirs();
      }
    }
    const row = `| ${m.label} | ${m.n}² | ${AUTO_LABEL} | – | ${median(wall).toFixed(0)} | ${median(rss).toFixed(0)} | – | ${median(pyWall).toFixed(0)} | ${median(pyRss).toFixed(0)} | ${(median(wall) / median(pyWall)).toFixed(2)} |`;
    rows.push(row);
    console.log(row);
  }
  const flip = flipRow();
  if (flip.row) rows.push(flip.row);
  if (flip.note) notes.push(flip.note);
  console.log(flip.row ?? flip.note);
  // Large pairs, tiled: numbers only, one run each (BENCH_HUGE=0 to skip). Three sizes, 4x apart in
  // pixels, show how time and memory grow with the pixel count.
  const sizes: { n: number; ms: number; mb: number }[] = [];
  if (process.env.BENCH_HUGE !== '0') {
    for (const n of [2048, 4096, 8192]) {
      const [real, fake] = await makePair(dir, n);
      const x = runOurs(['sobel', real, fake, '--no-maps', ...AUTO]);
      const ours = [x.ms, x.mb];
      const y = hasTorch
        ? timed(PY, [path.join(ROOT, 'bench/torch_ref.py'), 'sobel', real, fake])
        : undefined;
      const py = y?.ok
        ? [
            (JSON.parse(y.out) as { compute_ms: number }).compute_ms.toFixed(0),
            y.ms.toFixed(0),
            ((JSON.parse(y.out) as { maxrss_kb: number }).maxrss_kb / 1024).toFixed(0),
            (ours[0] / y.ms).toFixed(2),
          ]
        : ['–', '–', '–', '–'];
      const row = `| sobel (tiled, 1 run) | ${n}² | ${AUTO_LABEL} | – | ${ours[0].toFixed(0)} | ${ours[1].toFixed(0)} | ${py.join(' | ')} |`;
      rows.push(row);
      console.log(row);
      sizes.push({ n, ms: ours[0], mb: ours[1] });
    }
  }
  if (process.env.BENCH_REVIEW !== '0') {
    const { reviewRows } = await import('./review-bench.js');
    const r = await reviewRows(dir, {
      bin: BIN,
      rss: RSS,
      py: hasTorch ? PY : undefined,
      rounds: Math.min(ROUNDS, 3),
    });
    rows.push(...r.rows);
    notes.push(...r.notes);
    r.rows.forEach((x) => console.log(x));
  }
  if (process.env.BENCH_FID !== '0') {
    const { fidRows } = await import('./fid-bench.js');
    const r = await fidRows(dir, { bin: BIN, rss: RSS, py: hasTorch ? PY : undefined });
    rows.push(...r.rows);
    notes.push(...r.notes);
    r.rows.forEach((x) => console.log(x));
  }
  // Linear in pixels: the cost of each added Mpixel between consecutive sizes (start-up cancels out).
  const scaling = sizes.slice(1).map((b, i) => {
    const a = sizes[i],
      mpx = (b.n * b.n - a.n * a.n) / 2 ** 20;
    return `${a.n}² to ${b.n}²: ${((b.ms - a.ms) / mpx).toFixed(1)} ms and ${((b.mb - a.mb) / mpx).toFixed(1)} MB per added Mpixel`;
  });
  // Test-runner assertions (bench/matchers.ts): ours through the matcher against jest-image-snapshot's.
  const matchers =
    process.env.BENCH_MATCHERS === '0'
      ? undefined
      : await (await import('./matchers.js')).matcherRows(ROUNDS);
  if (matchers) console.log(matchers.rows.join('\n'));
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}${hasTorch ? `, PyTorch ${spawnSync(PY, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim()}` : ', no PyTorch'}`;
  const md = `# Benchmark results\n\nMachine: ${machine}. ${ROUNDS} interleaved rounds, medians. Made by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.\n\n${rows.join('\n')}\n${scaling.length ? `\nTiled Sobel, whole process: ${scaling.join('; ')}.\n` : ''}${notes.length ? `\n${notes.join('\n')}\n` : ''}${matchers ? `\n${matchers.rows.join('\n')}\n\n${matchers.note}\n` : ''}`;
  writeFileSync(path.join(ROOT, 'bench/results.md'), md + (await screenshots(machine)));
  // The approval budgets (bench/approve-bench.ts): its own section, appended.
  if (process.env.BENCH_APPROVE !== '0') await (await import('./approve-bench.js')).writeApprovalSection();
  console.log(`\n${header}\n${machine}\nwritten to bench/results.md`);
}

const SHOTS_HEADING = '## The CI screenshot workload';

/** The screenshot workload's section of results.md (screenshot-bench.ts). */
async function screenshots(machine: string): Promise<string> {
  const { rows, pairs } = await screenshotBench(ROOT, AUTO);
  const rounds = process.env.BENCH_SHOT_ROUNDS ?? 3;
  return `\n${SHOTS_HEADING}\n\n${pairs} pairs of 1280×720 synthetic pages (20% identical, 55% rendering noise, 25% real changes; bench/screenshots.ts, seeded), whole process per row, ${rounds} interleaved rounds, medians; backend ${AUTO_LABEL}, 2 workers. Machine: ${machine}, shared with other jobs. ${new Date().toISOString().slice(0, 10)}.\n\n${rows.join('\n')}\n`;
}

/** BENCH_ONLY=screenshots: only the screenshot workload, its section of results.md replaced. */
async function onlyScreenshots(): Promise<void> {
  const file = path.join(ROOT, 'bench/results.md');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const at = old.indexOf(`\n${SHOTS_HEADING}`);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  // The sections after it stay.
  const next = at < 0 ? -1 : old.indexOf('\n## ', at + 1);
  const rest = next < 0 ? '' : old.slice(next);
  writeFileSync(file, (at < 0 ? old : old.slice(0, at)) + (await screenshots(machine)) + rest);
  console.log('written to bench/results.md');
}

if (process.env.BENCH_ONLY === 'screenshots') await onlyScreenshots();
else await main();
