/**
 * The test-runner rows of `npm run bench`: one warm assertion on a 1280x720 screenshot pair through
 * nectar-loss/jest's matcher (sobel, l1) against jest-image-snapshot's comparison of the same pair
 * (pixelmatch and ssim), in process (its `runInProcess: true`) and as it runs by default (a child process
 * per assertion), interleaved in the same rounds. Every assertion passes (no diff is written).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { disposeEngine } from '../src/engine/session.js';
import { matchLossSnapshot, type SnapshotStateLike } from '../src/runners/snapshot.js';

type DiffFn = (o: Record<string, unknown>) => { pass?: boolean; added?: boolean };
const jis = createRequire(import.meta.url)('jest-image-snapshot/src/diff-snapshot.js') as {
  diffImageToSnapshot: DiffFn;
  runDiffImageToSnapshot: DiffFn;
};

const W = 1280,
  H = 720;

/** A UI-like screenshot: flat panels, buttons and rows of glyph-like strokes; `shift` moves one button. */
async function screenshot(shift: number): Promise<Buffer> {
  const px = Buffer.alloc(W * H * 3, 245);
  const rect = (x: number, y: number, w: number, h: number, c: number[]) => {
    for (let j = y; j < Math.min(H, y + h); j++)
      for (let i = x; i < Math.min(W, x + w); i++) px.set(c, (j * W + i) * 3);
  };
  rect(0, 0, W, 64, [32, 48, 96]);
  rect(0, 64, 240, H - 64, [230, 232, 240]);
  for (let row = 0; row < 18; row++)
    for (let g = 0; g < 60; g++)
      if ((g * 7 + row * 3) % 11 > 2) rect(280 + g * 14, 100 + row * 30, 8, 14, [40, 40, 40]);
  rect(1040 + shift, 620, 180, 48, [0, 120, 212]);
  return sharp(px, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toBuffer();
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const state = (): SnapshotStateLike => ({
  _updateSnapshot: 'none',
  added: 0,
  updated: 0,
  matched: 0,
  unmatched: 0,
});

/** Rows for bench/results.md's matcher table, and a note. */
export async function matcherRows(rounds: number): Promise<{ rows: string[]; note: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-bench-matchers-'));
  const snaps = path.join(dir, '__image_snapshots__');
  mkdirSync(snaps);
  const [baseline, received] = [await screenshot(0), await screenshot(1)];
  writeFileSync(path.join(snaps, 'bench.png'), baseline);
  const ctx = { testPath: path.join(dir, 'bench.test.js'), currentTestName: 'bench', snapshotState: state() };
  const ours = (loss: string) => async () => {
    const r = await matchLossSnapshot(ctx, received, {
      loss,
      max: 0.05,
      backend: 'wasm',
      customSnapshotIdentifier: 'bench',
    });
    if (!r.pass) throw new Error(r.message());
  };
  const theirs = (method: 'pixelmatch' | 'ssim', child: boolean) => async () => {
    const f = child ? jis.runDiffImageToSnapshot : jis.diffImageToSnapshot;
    const r = f({
      receivedImageBuffer: received,
      snapshotIdentifier: 'bench',
      snapshotsDir: snaps,
      comparisonMethod: method,
      failureThreshold: 0.05,
      failureThresholdType: 'percent',
      updateSnapshot: false,
      blur: 0,
    });
    if (!r.pass) throw new Error(`jest-image-snapshot ${method} failed the pair`);
  };
  const cases: [string, () => Promise<void>][] = [
    ['nectar-loss/jest toMatchLossSnapshot, sobel (wasm)', ours('sobel')],
    ['nectar-loss/jest toMatchLossSnapshot, l1 (wasm)', ours('l1')],
    ['jest-image-snapshot pixelmatch, in process', theirs('pixelmatch', false)],
    ['jest-image-snapshot ssim, in process', theirs('ssim', false)],
    ['jest-image-snapshot pixelmatch, default (child process)', theirs('pixelmatch', true)],
    ['jest-image-snapshot ssim, default (child process)', theirs('ssim', true)],
  ];
  for (const [, f] of cases) await f(); // warm: backend, kernels, JIT
  const ms = cases.map(() => [] as number[]);
  for (let i = 0; i < rounds; i++)
    for (const [k, [, f]] of i % 2 ? [...cases.entries()].reverse() : [...cases.entries()]) {
      const t = process.hrtime.bigint();
      await f();
      ms[k]!.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  await disposeEngine();
  rmSync(dir, { recursive: true, force: true });
  const ref = median(ms[2]!);
  const rows = [
    '| assertion (1280×720 PNG pair, passing, warm) | ms per assertion | ratio to jest-image-snapshot pixelmatch in process |',
    '| --- | --- | --- |',
    ...cases.map(
      ([label], k) => `| ${label} | ${median(ms[k]!).toFixed(1)} | ${(median(ms[k]!) / ref).toFixed(2)} |`,
    ),
  ];
  const note = `Matchers: ${rounds} interleaved rounds, medians; each assertion reads the baseline PNG from disk and decodes both images.`;
  return { rows, note };
}

// `node dist/bench/matchers.js` prints the table alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { rows, note } = await matcherRows(Number(process.env.BENCH_ROUNDS ?? 9));
  console.log(`${rows.join('\n')}\n\n${note}`);
}
