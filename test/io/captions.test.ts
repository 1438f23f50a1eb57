import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { captionFor, heatScaleOf, mapMean } from '../../src/io/render.js';
import { psnrLoss } from '../../src/losses/psnr.js';
import { ssimLoss } from '../../src/losses/ssim.js';
import { BIN, fixture, REFERENCE } from '../helpers.js';

const C = REFERENCE.cases.facade256;

test("a loss whose value is its map's mean keeps NectarGAN's caption", () => {
  assert.equal(captionFor({ name: 'sobel', title: 'Sobel' }, 0.3654249), 'Sobel Heatmap - Mean: 0.365425');
});

test('ssim and psnr captions: the map and its mean, then the value and which way is better', () => {
  assert.equal(
    captionFor(ssimLoss, 0.62186235, 0.378123),
    '1 − SSIM map, mean 0.378\nSSIM 0.6219 (higher is better)',
  );
  assert.equal(
    captionFor(psnrLoss, 24.424215, 0.00361234),
    'squared error map, mean 0.00361\nPSNR 24.42 dB (higher is better)',
  );
  assert.equal(
    captionFor(psnrLoss, Infinity, 0),
    'squared error map, mean 0\nPSNR inf dB (higher is better)',
  );
});

test('mapMean averages the compared pixels only', () => {
  const map = new Float32Array([1, 2, 3, 4]);
  assert.equal(mapMean(map), 2.5);
  assert.equal(mapMean(map, new Uint8Array([1, 0, 1, 0])), 2);
  assert.equal(mapMean(map, new Uint8Array(4)), 0);
});

test("heatmap scale: --scale when given, else the loss's own (psnr 0.01·L²), else 1", () => {
  const draw = { kinds: ['heatmap'] as const, raw: false };
  assert.equal(heatScaleOf(draw, psnrLoss, 1), 0.01);
  assert.equal(heatScaleOf(draw, psnrLoss, 2), 0.04);
  assert.equal(heatScaleOf({ ...draw, scale: 1 }, psnrLoss, 1), 1);
  assert.equal(heatScaleOf({ ...draw, scale: 'max' }, psnrLoss, 1), 'max');
  assert.equal(heatScaleOf(draw, ssimLoss, 1), 1);
});

function cli(args: string[]) {
  const out = mkdtempSync(path.join(tmpdir(), 'nl-cap-'));
  const r = spawnSync(process.execPath, [BIN, ...args, '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr.toString());
  return JSON.parse(r.stdout.toString()) as { files: Record<string, string> };
}

const rgb = (file: string) => {
  const p = PNG.sync.read(readFileSync(file));
  return { w: p.width, h: p.height, at: (i: number, c: number) => p.data[i * 4 + c]! };
};

test('psnr heatmap by default: the squared error at scale 0.01 (white at a tenth of the range), not black', () => {
  const heat = rgb(cli(['psnr', fixture(C.real), fixture(C.fake), '--files', 'heatmap']).files.heatmap!);
  const real = rgb(fixture(C.real)),
    fake = rgb(fixture(C.fake));
  // Reference from the PNGs' samples: e = mean over RGB of ((f - r) / 255)², level = round(255 min(1, e / 0.01)).
  let worst = 0,
    sum = 0;
  for (let i = 0; i < real.w * real.h; i++) {
    let e = 0;
    for (let c = 0; c < 3; c++) e += ((fake.at(i, c) - real.at(i, c)) / 255) ** 2 / 3;
    const want = Math.round(255 * Math.min(1, e / 0.01));
    worst = Math.max(worst, Math.abs(heat.at(i, 0) - want));
    sum += heat.at(i, 0);
  }
  assert.ok(worst <= 1, `largest difference from the reference level: ${worst}`);
  assert.ok(sum / (real.w * real.h) > 40, `mean level ${sum / (real.w * real.h)}: not nearly black`);
  // --scale 1 still draws at 1: the old, nearly black map.
  const old = rgb(
    cli(['psnr', fixture(C.real), fixture(C.fake), '--files', 'heatmap', '--scale', '1']).files.heatmap!,
  );
  let oldSum = 0;
  for (let i = 0; i < old.w * old.h; i++) oldSum += old.at(i, 0);
  assert.ok(oldSum / (old.w * old.h) < 3, `--scale 1: mean level ${oldSum / (old.w * old.h)}`);
});

/** Pure-green caption pixels in a band of the figure. */
function green(file: string, x0: number, y0: number, w: number, h: number): number {
  const p = PNG.sync.read(readFileSync(file));
  let n = 0;
  for (let y = y0; y < y0 + h; y++)
    for (let x = x0; x < x0 + w; x++) {
      const o = (y * p.width + x) * 4;
      if (p.data[o + 1]! > 200 && p.data[o]! < 60 && p.data[o + 2]! < 60) n++;
    }
  return n;
}

test("ssim's figure carries two caption lines; l1's one line, as NectarGAN's", () => {
  // 3W x 2H = 768 x 512, the heatmap from x = 256; the bottom line's letters lie below y = 460.
  const ssim = cli(['ssim', fixture(C.real), fixture(C.fake), '--files', 'figure']).files.figure!;
  const l1 = cli(['l1', fixture(C.real), fixture(C.fake), '--files', 'figure']).files.figure!;
  assert.ok(green(ssim, 256, 470, 512, 42) > 300, 'ssim: bottom line');
  assert.ok(green(ssim, 256, 420, 512, 40) > 300, 'ssim: the line above it');
  assert.ok(green(l1, 256, 470, 512, 42) > 300, 'l1: its caption');
  assert.equal(green(l1, 256, 420, 512, 40), 0, 'l1: nothing above its one line');
});
