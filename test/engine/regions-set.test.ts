import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kind, Region } from '../../src/model.js';
import { DEFAULTS } from '../../src/model.js';
import { describePair } from '../../src/engine/decide/describe.js';
import { BIN, fixture } from '../helpers.js';
import { l1Map, loadRgb } from './rendered-pairs.js';
import { hostLevel, keepPair, setMapScan } from '../../src/losses/map-scan.js';
import { displacedError, strideOf } from '../../src/engine/decide/displacement.js';
import { isLevel, isRendering, LEVEL_MAX, levelRule, renderingRule } from '../../src/engine/decide/kinds.js';

/**
 * The evaluation set of fixtures/regions/render.mjs (Debian's chromium, committed): per page, one real
 * render and eight variants whose change is known by construction (truth.json: the kind, the changed
 * element's box in real and in fake as [left, top, right, bottom], a move's displacement).
 */
const SET = fixture('fixtures/regions/set');
const TRUTH = JSON.parse(readFileSync(`${SET}/truth.json`, 'utf8')) as Record<
  string,
  { kind: Kind; real?: number[]; fake?: number[]; displacement?: [number, number] }
>;

const described = Object.keys(TRUTH).map((name) => {
  const real = loadRgb(`${SET}/real/${name}.png`),
    fake = loadRgb(`${SET}/fake/${name}.png`);
  const map = l1Map(real, fake);
  const settings = DEFAULTS.regions;
  return {
    name,
    real,
    fake,
    map,
    ...describePair({ loss: 'l1', map, real, fake, range: 'unit', shift: 0, settings }),
  };
});

test('rendered set: the pair kind is right for at least 90 % of the pairs of each kind', () => {
  const kinds = [...new Set(Object.values(TRUTH).map((t) => t.kind))];
  assert.equal(kinds.length, 7, 'every kind is in the set');
  for (const kind of kinds) {
    const of = described.filter((d) => TRUTH[d.name]!.kind === kind);
    const right = of.filter((d) => d.kind === kind);
    const wrong = of.filter((d) => d.kind !== kind).map((d) => `${d.name}: ${d.kind}`);
    assert.ok(
      right.length >= 0.9 * of.length,
      `${kind}: ${right.length}/${of.length} right (${wrong.join(', ')})`,
    );
  }
});

test('rendered set: every region lies on its known change, and every changed pixel is in a region', () => {
  for (const d of described) {
    const t = TRUTH[d.name]!;
    const inBox = (x: number, y: number, r: Region) =>
      x >= r.x && y >= r.y && x < r.x + r.width && y < r.y + r.height;
    for (let i = 0; i < d.map.length; i++)
      if (d.map[i]! > 0) {
        const x = i % d.real.width,
          y = Math.floor(i / d.real.width);
        assert.ok(
          d.regions.some((r) => inBox(x, y, r)),
          `${d.name}: changed pixel (${x},${y}) in no region`,
        );
      }
    if (!t.real || !t.fake) continue;
    // The known change: the changed element's boxes in real and in fake, with a 2 px margin for anti-aliasing.
    const [l, tp, r, b] = [
      Math.min(t.real[0]!, t.fake[0]!) - 2,
      Math.min(t.real[1]!, t.fake[1]!) - 2,
      Math.max(t.real[2]!, t.fake[2]!) + 2,
      Math.max(t.real[3]!, t.fake[3]!) + 2,
    ];
    for (const g of d.regions)
      assert.ok(
        g.x >= l && g.y >= tp && g.x + g.width <= r && g.y + g.height <= b,
        `${d.name}: region ${g.x},${g.y} ${g.width}x${g.height} outside the known change ${l},${tp}-${r},${b}`,
      );
  }
});

test('rendered set: a moved or shifted region reports its known displacement exactly', () => {
  const moves = described.filter((d) => TRUTH[d.name]!.displacement);
  assert.ok(moves.length >= 12);
  for (const d of moves)
    for (const g of d.regions)
      assert.deepEqual(g.displacement, TRUTH[d.name]!.displacement, `${d.name}: ${g.kind}`);
});

test('rendered set: batch --loss l1 --allow rendering,shift,level fails exactly the real changes', () => {
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      'batch',
      `${SET}/real`,
      `${SET}/fake`,
      '--loss',
      'l1',
      '--no-maps',
      '--json',
      '--allow',
      'rendering,shift,level',
      '-j',
      '1',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 1, r.stderr);
  const rows = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { name?: string; status?: string; kind?: Kind });
  const over = rows.filter((x) => x.status === 'over').map((x) => x.name!.replace('.png', ''));
  const real = Object.keys(TRUTH).filter((n) => ['content', 'colour', 'moved'].includes(TRUTH[n]!.kind));
  assert.deepEqual(over.sort(), real.sort());
});

test('rendered set: the regions and kinds are the same with the map-scan kernel off (TypeScript pass)', () => {
  setMapScan(false);
  try {
    for (const d of described) {
      const again = describePair({
        loss: 'l1',
        map: d.map,
        real: d.real,
        fake: d.fake,
        range: 'unit',
        shift: 0,
        settings: DEFAULTS.regions,
      });
      assert.deepEqual(again, { kind: d.kind, regions: d.regions }, d.name);
    }
  } finally {
    setMapScan(true);
  }
});

test('rendered set: the rendering rule in the map-scan kernel answers as the TypeScript rule on every region', () => {
  const answers = { true: 0, false: 0 };
  for (const d of described)
    for (const r of d.regions) {
      // The box and its neighbours, and the box one pixel off (its changed pixels differ).
      for (const box of [r, { ...r, x: Math.max(0, r.x - 1), y: Math.max(0, r.y - 1) }]) {
        const kernel = isRendering(d.real, d.fake, box);
        assert.equal(kernel, renderingRule(d.real, d.fake, box), `${d.name} at ${box.x},${box.y}`);
        answers[`${kernel}`]++;
      }
    }
  assert.ok(answers.true > 0 && answers.false > 0, `both answers occur: ${JSON.stringify(answers)}`);
});

test('rendered set: the displacement errors in the map-scan kernel (pair held) equal the TypeScript ones', () => {
  let finite = 0,
    early = 0;
  for (const d of described)
    for (const r of d.regions) {
      // Near and far shifts, the grid's own stride and a finer one, with and without a bound to stop at;
      // the box also moved to the image's corners (points shifted out of it).
      const boxes = [
        r,
        { ...r, x: 0, y: 0 },
        { ...r, x: d.real.width - r.width, y: d.real.height - r.height },
      ];
      for (const box of boxes)
        for (const [dx, dy] of [
          [0, 0],
          [1, 0],
          [-1, 1],
          [0, -1],
          [5, -3],
          [-16, 16],
          [16, 2],
        ] as const)
          for (const stride of new Set([strideOf(box), 1, 2, 3, 4, 5]))
            for (const bound of [Infinity, 0.001, 0.02]) {
              const ts = displacedError(d.real, d.fake, box, dx, dy, stride, bound);
              const kernel = keepPair(d.real, d.fake, () =>
                displacedError(d.real, d.fake, box, dx, dy, stride, bound),
              );
              assert.equal(
                kernel,
                ts,
                `${d.name} ${box.x},${box.y} d ${dx},${dy} stride ${stride} bound ${bound}`,
              );
              if (Number.isFinite(ts)) finite++;
              if (bound < Infinity && ts > bound) early++;
            }
    }
  assert.ok(finite > 0 && early > 0, `finite errors and early stops occur: ${finite}, ${early}`);
});

test('rendered set: the rendering rule on the held pair (keepPair) answers as the TypeScript rule', () => {
  for (const d of described)
    for (const r of d.regions) {
      const box = { ...r, x: Math.max(0, r.x - 1), y: Math.max(0, r.y - 1) };
      for (const b of [r, box])
        assert.equal(
          keepPair(d.real, d.fake, () => isRendering(d.real, d.fake, b)),
          renderingRule(d.real, d.fake, b),
          `${d.name} at ${b.x},${b.y}`,
        );
    }
});

test('the level rule in the kernel reads a grid of stride 1-5 exactly: only its points changed, or all but them', () => {
  const [w, h, box] = [64, 48, { x: 5, y: 7, width: 40, height: 30 }];
  for (const stride of [1, 2, 3, 4, 5])
    for (const onGrid of [true, false]) {
      const real = { width: w, height: h, samples: new Uint8Array(3 * w * h).fill(128), max: 255 };
      const fake = { ...real, samples: real.samples.slice() };
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const point = (x - box.x) % stride === 0 && (y - box.y) % stride === 0;
          if (point === onGrid) fake.samples.fill(132, 3 * (y * w + x), 3 * (y * w + x) + 3);
        }
      const ts = levelRule(real, fake, box, stride);
      // Every grid point a 4-level step: level; none changed: not (whatever changed between them).
      assert.equal(ts, onGrid, `TypeScript, stride ${stride}, grid changed ${onGrid}`);
      const kernel = keepPair(real, fake, () => hostLevel(real, fake, box, stride, LEVEL_MAX));
      assert.equal(kernel, ts, `kernel, stride ${stride}, grid changed ${onGrid}`);
    }
});

test('rendered set: the level rule on the held pair (keepPair) answers as the TypeScript rule', () => {
  const answers = { true: 0, false: 0 };
  for (const d of described)
    for (const r of d.regions) {
      // The region, the box one pixel off, and the whole image (a grid with a stride over 1).
      const whole = { x: 0, y: 0, width: d.real.width, height: d.real.height };
      for (const b of [r, { ...r, x: Math.max(0, r.x - 1), y: Math.max(0, r.y - 1) }, whole]) {
        const kernel = keepPair(d.real, d.fake, () => isLevel(d.real, d.fake, b));
        assert.equal(
          kernel,
          levelRule(d.real, d.fake, b),
          `${d.name} at ${b.x},${b.y} ${b.width}x${b.height}`,
        );
        answers[`${kernel}`]++;
        // Each grid stride the kernel counts in its own way (1: whole box; 2-4: points per 16-byte load).
        for (const stride of [1, 2, 3, 4, 5])
          assert.equal(
            keepPair(d.real, d.fake, () => hostLevel(d.real, d.fake, b, stride, LEVEL_MAX)),
            levelRule(d.real, d.fake, b, stride),
            `${d.name} at ${b.x},${b.y} ${b.width}x${b.height} stride ${stride}`,
          );
      }
    }
  assert.ok(answers.true > 0 && answers.false > 0, `both answers occur: ${JSON.stringify(answers)}`);
});
