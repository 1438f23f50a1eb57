import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RawImage } from '../../src/model.js';
import { findRegions, regionSums } from '../../src/engine/decide/regions.js';
import {
  float32AtMost,
  hostGather,
  hostLevels,
  hostRegions,
  keepLoaded,
  setMapScan,
} from '../../src/losses/map-scan.js';
import { mapStats } from '../../src/engine/stats.js';
import { changeText, describePair } from '../../src/engine/decide/describe.js';
import { DEFAULTS } from '../../src/model.js';
import { l1Map } from './rendered-pairs.js';

/** A width x height RGB image of one colour. */
function canvas(width: number, height: number, rgb: [number, number, number]): RawImage {
  const samples = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) samples.set(rgb, i * 3);
  return { width, height, samples, max: 255 };
}

/** Fills a rectangle of the image. */
function fill(im: RawImage, x: number, y: number, w: number, h: number, rgb: [number, number, number]) {
  for (let v = y; v < y + h; v++) for (let u = x; u < x + w; u++) im.samples.set(rgb, (v * im.width + u) * 3);
  return im;
}

const WHITE: [number, number, number] = [255, 255, 255];
const BLACK: [number, number, number] = [0, 0, 0];

function describe(real: RawImage, fake: RawImage, shift = 0) {
  return describePair({
    loss: 'l1',
    map: l1Map(real, fake),
    real,
    fake,
    range: 'unit',
    shift,
    settings: DEFAULTS.regions,
  });
}

test('regions: hot pixels in touching 4x4 cells merge, farther ones do not; min area drops specks', () => {
  const map = new Float32Array(40 * 10);
  map[2 * 40 + 1] = 1; // (1,2), cell (0,0)
  map[2 * 40 + 5] = 0.5; // (5,2), cell (1,0): touches
  map[2 * 40 + 20] = 0.25; // (20,2), cell (5,0): alone
  const r = findRegions(map, 40, 10, { threshold: 0.1, minArea: 1 });
  assert.deepEqual(r, [
    { x: 1, y: 2, width: 5, height: 1, area: 2, mean: 0.75, max: 1 },
    { x: 20, y: 2, width: 1, height: 1, area: 1, mean: 0.25, max: 0.25 },
  ]);
  assert.equal(findRegions(map, 40, 10, { threshold: 0.1, minArea: 2 }).length, 1, 'the speck is dropped');
  assert.deepEqual(findRegions(map, 40, 10, { threshold: 1, minArea: 1 }), [], 'nothing above 1');
  const mask = new Uint8Array(400).fill(1);
  mask[2 * 40 + 20] = 0;
  assert.equal(findRegions(map, 40, 10, { threshold: 0.1, minArea: 1, mask }).length, 1, 'masked out');
});

/** Mulberry32, seeded. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

test('regions: the WebAssembly pass and the TypeScript pass find the same sums, boxes and labels', () => {
  const r = rng(29);
  // Odd sizes (cells cut at the edges, rows not a multiple of 4), sparse blobs, values at the threshold's
  // float32 neighbours, NaN and negative entries, with and without a mask.
  for (const [width, height] of [
    [97, 41],
    [128, 64],
    [5, 3],
  ] as const) {
    for (const t of [0.001, 0.1, 0.3]) {
      const map = new Float32Array(width * height);
      for (let i = 0; i < map.length; i++) {
        const u = r();
        map[i] =
          u < 0.7 ? 0 : u < 0.8 ? t : u < 0.85 ? float32AtMost(t) : u < 0.87 ? NaN : u < 0.9 ? -u : u / 2;
      }
      const mask = Uint8Array.from(map, () => (r() < 0.8 ? 1 : 0));
      for (const m of [undefined, mask]) {
        const o = { threshold: t, minArea: 1, ...(m ? { mask: m } : {}) };
        const host = hostRegions(map, width, height, t, m)!;
        const ts = regionSums(map, width, height, o);
        assert.ok(ts.count > 0, 'the map has regions');
        assert.equal(host.count, ts.count, `${width}x${height} t ${t}: labels`);
        assert.deepEqual([...host.ints], [...ts.ints], `${width}x${height} t ${t}: counts and boxes`);
        assert.deepEqual([...host.sums], [...ts.sums], `${width}x${height} t ${t}: sums and maxima`);
        // With the hot cells marked by the statistics' pass (the map held, as a batch holds it), and with a
        // heatmap pass in between (which may overwrite the mask: the cells are not trusted then).
        for (const between of [false, true]) {
          const pre = keepLoaded(map, () => {
            hostGather(map, m, { width, threshold: t });
            if (between) hostLevels(map, 1);
            const h = hostRegions(map, width, height, t, m)!;
            return { count: h.count, ints: [...h.ints], sums: [...h.sums] };
          });
          const what = `${width}x${height} t ${t}${between ? ' (levels between)' : ''}, cells from the statistics`;
          assert.deepEqual(pre, { count: ts.count, ints: [...ts.ints], sums: [...ts.sums] }, what);
        }
        setMapScan(false);
        const off = findRegions(map, width, height, o);
        setMapScan(true);
        assert.deepEqual(findRegions(map, width, height, o), off);
      }
    }
  }
});

test('regions: the WebAssembly pass labels combs, a spiral and diagonal chains as the TypeScript pass', () => {
  // Shapes whose cells are met before they are known to connect: a comb joined only at its foot, a comb
  // hanging from its top, a spiral, a chain touching only at corners, going both ways.
  const width = 120,
    height = 96,
    map = new Float32Array(width * height);
  const dot = (x: number, y: number) => (map[y * width + x] = 0.5);
  for (let x = 0; x < 40; x += 8) for (let y = 0; y < 30; y++) dot(x, y);
  for (let x = 0; x < 40; x++) dot(x, 30);
  for (let x = 50; x < 90; x++) dot(x, 0);
  for (let x = 50; x < 90; x += 8) for (let y = 0; y < 30; y++) dot(x, y);
  for (let r = 0; r < 12; r++)
    for (let i = 0; i < 4 * r; i++) dot(60 + ((i * 7) % 30), 40 + ((i * 3 + r) % 50));
  for (let i = 0; i < 20; i++) dot(4 * i, 40 + 2 * i);
  for (let i = 0; i < 20; i++) dot(119 - 5 * i, 95 - 4 * i);
  const o = { threshold: 0.1, minArea: 1 };
  const host = hostRegions(map, width, height, 0.1)!;
  const ts = regionSums(map, width, height, o);
  assert.ok(ts.count > 1, 'several regions');
  assert.equal(host.count, ts.count, 'labels');
  assert.deepEqual([...host.ints], [...ts.ints], 'counts and boxes');
  assert.deepEqual([...host.sums], [...ts.sums], 'sums and maxima');
});

test('keepLoaded: a map array refilled since the kernel last read it is copied again (a recycled map)', () => {
  const width = 64,
    height = 32,
    map = new Float32Array(width * height);
  // The kernel reads the all-zero map (as a heatmap of an earlier pair would), then the same array is
  // refilled with the next pair's entries: 8 of 0.5 in a 4 x 2 block at (8, 4).
  assert.equal(mapStats(map)!.max, 0);
  for (let y = 4; y < 6; y++) map.fill(0.5, y * width + 8, y * width + 12);
  const [stats, found] = keepLoaded(map, () => [
    mapStats(map)!,
    findRegions(map, width, height, { threshold: 0.1, minArea: 1 }),
  ]);
  assert.deepEqual([stats.max, stats.mean], [0.5, (8 * 0.5) / (width * height)]);
  assert.deepEqual(found, [{ x: 8, y: 4, width: 4, height: 2, area: 8, mean: 0.5, max: 0.5 }]);
});

test('float32AtMost: the largest float32 at most t', () => {
  for (const t of [0.001, 0.1, -0.1, 1, 0, -1e-50, 1e-50]) {
    const f = float32AtMost(t);
    assert.ok(f <= t && Math.fround(f) === f, `${t}: ${f}`);
    // The next float32 up lies above t.
    const bits = new Float32Array([f]),
      u = new Int32Array(bits.buffer);
    if (f > 0) u[0]!++;
    else if (Object.is(f, 0) || Object.is(f, -0)) bits[0] = 2 ** -149;
    else u[0]!--;
    assert.ok(bits[0]! > t, `${t}: the next float32 ${bits[0]} is above it`);
  }
});

test('a 10 px move right is one moved region whose displacement is [10, 0]; 10 px lower [0, 10]', () => {
  const real = fill(canvas(80, 60, WHITE), 10, 10, 10, 6, BLACK);
  const right = fill(canvas(80, 60, WHITE), 20, 10, 10, 6, BLACK);
  const d = describe(real, right);
  assert.equal(d.kind, 'moved');
  assert.deepEqual(d.regions, [
    // Hot: x 10..29 of rows 10..15; the map is 1 at every hot pixel.
    { x: 10, y: 10, width: 20, height: 6, area: 120, mean: 1, max: 1, displacement: [10, 0], kind: 'moved' },
  ]);
  const lower = fill(canvas(80, 60, WHITE), 10, 20, 10, 6, BLACK);
  assert.deepEqual(describe(real, lower).regions[0]!.displacement, [0, 10]);
  assert.equal(changeText(d.regions), 'moved in 1 region, 20×6 at (10,10) by [10,0]');
});

test('a 1 px move is a shift (k = 1 by default), a 2 px move a shift only with --shift-tolerance 2', () => {
  const real = fill(canvas(80, 60, WHITE), 10, 10, 10, 6, BLACK);
  const one = describe(real, fill(canvas(80, 60, WHITE), 11, 10, 10, 6, BLACK));
  assert.equal(one.kind, 'shift');
  assert.deepEqual(one.regions[0]!.displacement, [1, 0]);
  const two = fill(canvas(80, 60, WHITE), 10, 8, 10, 6, BLACK);
  assert.equal(describe(real, two).kind, 'moved');
  assert.equal(describe(real, two, 2).kind, 'shift');
  assert.deepEqual(describe(real, two, 2).regions[0]!.displacement, [0, -2]);
});

test('a one-level background change is level; a recoloured box colour; a new shape content', () => {
  const real = fill(canvas(80, 60, [200, 200, 200]), 10, 10, 10, 6, BLACK);
  const level = fill(canvas(80, 60, [201, 201, 201]), 10, 10, 10, 6, BLACK);
  const l = describe(real, level);
  assert.equal(l.kind, 'level');
  assert.equal(l.regions.length, 1, 'one region around the box');
  assert.equal(l.regions[0]!.area, 80 * 60 - 60);
  const colour = fill(canvas(80, 60, [200, 200, 200]), 10, 10, 10, 6, [200, 0, 0]);
  const c = describe(real, colour);
  assert.equal(c.kind, 'colour');
  assert.deepEqual(
    [c.regions[0]!.x, c.regions[0]!.y, c.regions[0]!.width, c.regions[0]!.height],
    [10, 10, 10, 6],
  );
  const added = fill(fill(canvas(80, 60, [200, 200, 200]), 10, 10, 10, 6, BLACK), 50, 30, 3, 8, BLACK);
  const a = describe(real, added);
  assert.equal(a.kind, 'content');
  assert.deepEqual(a.regions[0]!.displacement, [0, 0]);
  assert.equal(changeText(a.regions), 'content changed in 1 region, 3×8 at (50,30)');
});

test('a re-blended anti-aliased edge is rendering; equal images have no region', () => {
  const real = fill(fill(canvas(40, 20, WHITE), 0, 0, 20, 20, BLACK), 20, 0, 1, 20, [128, 128, 128]);
  const fake = fill(fill(canvas(40, 20, WHITE), 0, 0, 20, 20, BLACK), 20, 0, 1, 20, [64, 64, 64]);
  const d = describe(real, fake);
  assert.equal(d.kind, 'rendering');
  assert.deepEqual([d.regions[0]!.x, d.regions[0]!.width, d.regions[0]!.height], [20, 1, 20]);
  assert.deepEqual(describe(real, real), { kind: 'identical', regions: [] });
});

test('regions are listed worst first: content before a shift (whose two edges are 10 px apart: two regions)', () => {
  const real = fill(canvas(100, 60, WHITE), 10, 10, 10, 6, BLACK);
  const fake = fill(fill(canvas(100, 60, WHITE), 11, 10, 10, 6, BLACK), 70, 40, 4, 4, BLACK);
  const d = describe(real, fake);
  assert.deepEqual(
    d.regions.map((r) => r.kind),
    ['content', 'shift', 'shift'],
  );
  assert.equal(d.kind, 'content');
});
