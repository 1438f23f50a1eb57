import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { BIN, fixture, REFERENCE } from '../helpers.js';

const C = REFERENCE.cases.facade256;

function runCli(args: string[]) {
  const out = mkdtempSync(path.join(tmpdir(), 'nl-fig-'));
  const r = spawnSync(process.execPath, [BIN, ...args, '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr.toString());
  return { out, json: JSON.parse(r.stdout.toString()) as { mean: number; files: Record<string, string> } };
}

/** RGB sample of an 8-bit PNG (gray replicated). */
function reader(file: string) {
  const png = PNG.sync.read(readFileSync(file));
  return {
    width: png.width,
    height: png.height,
    at: (x: number, y: number) =>
      Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3)),
  };
}

function assertRegion(
  fig: ReturnType<typeof reader>,
  src: ReturnType<typeof reader>,
  x0: number,
  y0: number,
  k: number,
  w: number,
  h: number,
  what: string,
) {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      assert.deepEqual(
        fig.at(x0 + x, y0 + y),
        src.at(Math.floor(x / k), Math.floor(y / k)),
        `${what} at ${x},${y}`,
      );
    }
  }
}

function greenPixels(fig: ReturnType<typeof reader>, x0: number, y0: number, w: number, h: number): number {
  let n = 0;
  for (let y = y0; y < y0 + h; y++)
    for (let x = x0; x < x0 + w; x++) {
      const [r, g, b] = fig.at(x, y);
      if (g > 200 && r < 60 && b < 60) n++;
    }
  return n;
}

test("the docs' layout from two 256x256 inputs: 1024x512, tiles in place, labels and caption in green", async () => {
  const { json } = runCli(['sobel', fixture(C.real), fixture(C.fake)]);
  const fig = reader(json.files.figure);
  assert.equal(fig.width, 1024);
  assert.equal(fig.height, 512);
  const real = reader(fixture(C.real)),
    fake = reader(fixture(C.fake));
  const fr = reader(json.files.real),
    ff = reader(json.files.fake),
    heat = reader(json.files.heatmap);
  // Above the labels (which sit in the bottom ~12% of each tile) every pixel is the source's.
  assertRegion(fig, real, 0, 0, 1, 256, 220, 'y_real');
  assertRegion(fig, fake, 256, 0, 1, 256, 220, 'y_fake');
  assertRegion(fig, fr, 0, 256, 1, 256, 220, 'y_real_sobel');
  assertRegion(fig, ff, 256, 256, 1, 256, 220, 'y_fake_sobel');
  assertRegion(fig, heat, 512, 0, 2, 512, 440, 'heatmap 2x');
  // Labels at each tile's bottom-left corner, caption along the heatmap's bottom.
  for (const [x, y] of [
    [0, 0],
    [256, 0],
    [0, 256],
    [256, 256],
  ] as const)
    assert.ok(greenPixels(fig, x, y + 220, 128, 36) > 40, `label at ${x},${y}`);
  assert.ok(greenPixels(fig, 512, 460, 512, 52) > 500, 'caption');
  assert.equal(greenPixels(fig, 512 + 400, 0, 112, 440), 0, 'nothing green above the caption');
  // The caption carries the printed mean to six decimals: its rendering depends on the digits.
  const other = runCli(['laplacian', fixture(C.real), fixture(C.fake)]);
  assert.notEqual(other.json.mean.toFixed(6), json.mean.toFixed(6));
  const meta = await sharp(other.json.files.figure).metadata();
  assert.equal(meta.width, 1024);
});

test('two runs write byte-identical PNG and NPY files', () => {
  const args = ['laplacian', fixture(C.real), fixture(C.fake), '--raw', '--colormap', 'magma'];
  const a = runCli(args),
    b = runCli(args);
  const names = readdirSync(a.out).sort();
  assert.deepEqual(names, readdirSync(b.out).sort());
  assert.equal(names.length, 5);
  for (const n of names)
    assert.ok(
      readFileSync(path.join(a.out, n)).equals(readFileSync(path.join(b.out, n))),
      `${n} differs between runs`,
    );
});

test('l1 figure: real over fake beside the 2x heatmap, 3W x 2H', () => {
  const { json } = runCli(['l1', fixture(C.real), fixture(C.fake), '--scale', 'max']);
  const fig = reader(json.files.figure);
  assert.equal(fig.width, 768);
  assert.equal(fig.height, 512);
  assertRegion(fig, reader(fixture(C.real)), 0, 0, 1, 256, 220, 'y_real');
  assertRegion(fig, reader(fixture(C.fake)), 0, 256, 1, 256, 220, 'y_fake');
  assertRegion(fig, reader(json.files.heatmap), 256, 0, 2, 512, 440, 'heatmap 2x');
  assert.equal(json.files.real, undefined, 'l1 has no filtered maps');
});
