import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rgb } from 'd3-color';
import { interpolateMagma } from 'd3-scale-chromatic';
import { colormapLut, COLORMAPS } from '../../src/io/colormap.js';
import { colorize, maxScale, toLevels } from '../../src/io/raster.js';
import { setMapScan } from '../../src/losses/map-scan.js';
import { recycleBytes } from '../../src/losses/wasm.js';

test('heatmap levels: 255 * clamp(v / scale, 0, 1), rounded', () => {
  const m = Float32Array.from([0, 0.5, 1, 2, -1, 0.25]);
  assert.deepEqual(Array.from(toLevels(m, 1)), [0, 128, 255, 255, 0, 64]);
  assert.deepEqual(Array.from(toLevels(m, maxScale(m))), [0, 64, 128, 255, 0, 32]);
  assert.equal(maxScale(new Float32Array(4)), 1, 'an all-zero map stays black');
});

test('colour maps: gray stays one channel, the others follow d3-scale-chromatic', async () => {
  assert.equal(colorize(new Uint8Array([0, 255]), 2, 1, await colormapLut('gray')).channels, 1);
  for (const name of COLORMAPS.filter((n) => n !== 'gray')) {
    const lut = (await colormapLut(name))!;
    assert.equal(lut.length, 768, name);
  }
  const lut = (await colormapLut('magma'))!;
  const c = rgb(interpolateMagma(200 / 255));
  assert.deepEqual(Array.from(lut.subarray(600, 603)), [Math.round(c.r), Math.round(c.g), Math.round(c.b)]);
  const r = colorize(new Uint8Array([200]), 1, 1, lut);
  assert.deepEqual(Array.from(r.data), Array.from(lut.subarray(600, 603)));
});

test('colour maps on mostly-zero levels (WebAssembly and JavaScript): each pixel is its level’s LUT colour', async () => {
  const lut = (await colormapLut('inferno'))!;
  // 4-byte aligned and not, lengths with and without a remainder of four.
  const raw = new Uint8Array(1 + 4003).map((_, i) =>
    i % 11 === 0 ? (i * 37) % 256 : i % 97 === 1 ? 255 : 0,
  );
  for (const on of [true, false])
    for (const levels of [raw.subarray(0, 4000), raw.subarray(1, 4003), raw.subarray(4, 7)]) {
      setMapScan(on);
      const r = colorize(levels, levels.length, 1, lut);
      const want = Array.from(levels).flatMap((v) => Array.from(lut.subarray(v * 3, v * 3 + 3)));
      assert.deepEqual(Array.from(r.data), want, `kernel ${on}`);
    }
  setMapScan(true);
});

test('heatmap levels of a mostly-zero map (its +0 entries skipped; WebAssembly and JavaScript) follow the rule', () => {
  const m = Float32Array.from({ length: 999 }, (_, i) =>
    i % 7 ? 0 : i % 3 ? -0 : i % 5 ? (i % 13) / 8 : i % 2 ? NaN : -i,
  );
  for (const scale of [1, 0.7, 0]) {
    const inv = scale > 0 ? 1 / scale : 0;
    const want = Array.from(m, (v) => (v * inv >= 1 ? 255 : v * inv > 0 ? Math.round(v * inv * 255) : 0));
    for (const on of [true, false]) {
      setMapScan(on);
      assert.deepEqual(Array.from(toLevels(m, scale)), want, `scale ${scale}, kernel ${on}`);
    }
  }
  setMapScan(true);
});

test('maxScale (WebAssembly and JavaScript): the largest entry of the maps, NaN passed over, 1 when none is above 0', () => {
  const maps = [
    Float32Array.from([0, -3, NaN, 0.25, 0, 0, 0.5, NaN, 0.125]),
    Float32Array.from([0.75, -1, 0]),
    Float32Array.from([NaN, -0, 0, -2, 0]),
  ];
  for (const on of [true, false]) {
    setMapScan(on);
    assert.equal(maxScale(maps[0]!), 0.5, `kernel ${on}`);
    assert.equal(maxScale(maps[0]!, maps[1]!), 0.75, `kernel ${on}`);
    assert.equal(maxScale(maps[2]!), 1, `kernel ${on}`);
    assert.equal(maxScale(new Float32Array(1001).fill(2 ** -20)), 2 ** -20, `kernel ${on}`);
  }
  setMapScan(true);
});

test('recycled level arrays (recycleBytes) are reused by the next heatmap and every byte rewritten', () => {
  const a = Float32Array.from({ length: 1003 }, (_, i) => (i % 5 ? 0 : 1));
  const b = Float32Array.from({ length: 1003 }, (_, i) => (i % 7 ? 0 : 0.5));
  const first = toLevels(a, 1);
  const want = Array.from(b, (v) => (v > 0 ? 128 : 0));
  recycleBytes([first]);
  const second = toLevels(b, 1);
  assert.equal(second, first, 'the recycled array is handed out again');
  assert.deepEqual(Array.from(second), want);
});
