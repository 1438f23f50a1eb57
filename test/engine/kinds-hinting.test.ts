import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kind, RawImage } from '../../src/model.js';
import type { Box } from '../../src/engine/decide/displacement.js';
import { isRendering, LINE_TOL, RENDERING_SAMPLES } from '../../src/engine/decide/kinds.js';
import { explainPiece, isPiecewiseRendering, piecesOf } from '../../src/engine/decide/pieces.js';
import { hostShiftedRendering, keepPair } from '../../src/losses/map-scan.js';
import { fixture } from '../helpers.js';
import { describeL1, loadRgb } from './rendered-pairs.js';

/**
 * fixtures/regions/hinting (fixtures/regions/render.mjs <out> 4 1280 720 29 hinting, Debian's chromium): the
 * text block of four 1280x720 pages, real without hinting, fake with full font hinting (FONTCONFIG_FILE =
 * fixtures/regions/hintfull.conf, --font-render-hinting=full): `hinting` the unchanged page (noise),
 * `hinttext` the page with one word of a line edited (a real change next to hinting noise; truth.json: the
 * edited line's box [left, top, right, bottom]).
 */
const SET = fixture('fixtures/regions/hinting');
const TRUTH = JSON.parse(readFileSync(`${SET}/truth.json`, 'utf8')) as Record<
  string,
  { kind: Kind; real?: [number, number, number, number] }
>;

const described = Object.keys(TRUTH).map((name) => {
  const real = loadRgb(`${SET}/real/${name}.png`),
    fake = loadRgb(`${SET}/fake/${name}.png`);
  return { name, real, fake, ...describeL1(real, fake) };
});
const NOISE: readonly Kind[] = ['rendering', 'shift', 'level'];

test('full font hinting: every region of the unchanged pages is noise, the hinted lines rendering', () => {
  const pairs = described.filter((d) => TRUTH[d.name]!.kind === 'rendering');
  assert.equal(pairs.length, 4);
  for (const d of pairs) {
    const wrong = d.regions.filter((r) => !NOISE.includes(r.kind));
    assert.deepEqual(
      wrong.map((r) => `${r.kind} ${r.x},${r.y} ${r.width}x${r.height}`),
      [],
      `${d.name}: kind ${d.kind}`,
    );
    // The piecewise rule is what explains them: lines whose words moved by different whole pixels,
    // which the rendering rule on the whole region does not pass.
    const piecewise = d.regions.filter((r) => r.kind === 'rendering' && !isRendering(d.real, d.fake, r));
    assert.ok(piecewise.length >= 3, `${d.name}: ${piecewise.length} regions rendering piecewise only`);
    for (const r of piecewise) assert.ok(piecesOf(d.real, d.fake, r)!.length >= 1);
  }
  assert.ok(pairs.filter((d) => d.kind === 'rendering').length >= 2, 'pairs whose worst region is rendering');
});

test('full font hinting: a one-word edit next to hinting stays content, in the edited line only', () => {
  const pairs = described.filter((d) => TRUTH[d.name]!.kind === 'content');
  assert.equal(pairs.length, 4);
  for (const d of pairs) {
    assert.equal(d.kind, 'content', d.name);
    const [l, t, r, b] = TRUTH[d.name]!.real!;
    const content = d.regions.filter((g) => g.kind === 'content');
    assert.ok(content.length >= 1);
    for (const g of content)
      assert.ok(
        g.x >= l - 2 && g.y >= t - 2 && g.x + g.width <= r + 2 && g.y + g.height <= b + 2,
        `${d.name}: content region ${g.x},${g.y} ${g.width}x${g.height} outside the edited line ${l},${t}-${r},${b}`,
      );
    // The edit's region is not explained piecewise: the new word is no small shift of the old one.
    for (const g of content) assert.equal(isPiecewiseRendering(d.real, d.fake, g, isRendering), false);
  }
});

test('full font hinting: the same regions and kinds with the map-scan kernel off (TypeScript rules)', () => {
  for (const d of described)
    assert.deepEqual(describeL1(d.real, d.fake, false), { kind: d.kind, regions: d.regions }, d.name);
});

test('full font hinting: each piece of every region is explained by the same shift on the held pair as on crops', () => {
  const shifted = (real: RawImage, fake: RawImage, box: Box, dx: number, dy: number) =>
    hostShiftedRendering(real, fake, box, dx, dy, RENDERING_SAMPLES, LINE_TOL);
  let pieces = 0,
    explained = 0,
    held = 0;
  for (const d of described)
    for (const r of d.regions)
      for (const piece of piecesOf(d.real, d.fake, r) ?? []) {
        const crops = explainPiece(d.real, d.fake, piece, isRendering);
        let used = 0;
        const count: typeof shifted = (...a) => {
          const v = shifted(...a);
          if (v !== undefined) used++;
          return v;
        };
        const kernel = keepPair(d.real, d.fake, () =>
          explainPiece(d.real, d.fake, piece, isRendering, count),
        );
        assert.deepEqual(
          kernel,
          crops,
          `${d.name} piece ${piece.x},${piece.y} ${piece.width}x${piece.height}`,
        );
        pieces++;
        if (crops) explained++;
        if (used) held++;
      }
  assert.ok(
    pieces > 100 && explained > 50 && held > 50,
    `${pieces} pieces, ${explained} explained, ${held} held`,
  );
});

/** A width x height white RGB image. */
function white(width: number, height: number): RawImage {
  return { width, height, samples: new Uint8Array(width * height * 3).fill(255), max: 255 };
}

/** Fills a rectangle with one gray. */
function fill(im: RawImage, x: number, y: number, w: number, h: number, v: number): RawImage {
  for (let j = y; j < y + h; j++) im.samples.fill(v, (j * im.width + x) * 3, (j * im.width + x + w) * 3);
  return im;
}

test('pieces: a region is cut at its unchanged rows, then columns, then rows', () => {
  // Three 2x2 black dots of the real, gone in the fake: (5,10), (20,12) and (5,16). Rows 10..13 and 16..17
  // changed (two bands), in the first band columns 5..6 and 20..21 (two pieces), each of those its own rows.
  const real = fill(fill(fill(white(40, 30), 5, 10, 2, 2, 0), 20, 12, 2, 2, 0), 5, 16, 2, 2, 0);
  const box = { x: 5, y: 10, width: 17, height: 8 };
  assert.deepEqual(piecesOf(real, white(40, 30), box), [
    { x: 5, y: 10, width: 2, height: 2 },
    { x: 20, y: 12, width: 2, height: 2 },
    { x: 5, y: 16, width: 2, height: 2 },
  ]);
});

test('a bar moved 4 px is moved exactly (its two edges, [4, 0]), not rendering; a new bar far from it is content', () => {
  const real = fill(white(60, 30), 10, 10, 12, 8, 0);
  const moved = describeL1(real, fill(white(60, 30), 14, 10, 12, 8, 0));
  assert.equal(moved.kind, 'moved');
  assert.equal(moved.regions.length, 2, 'columns 10..13 and 22..25, 8 px apart');
  for (const r of moved.regions) assert.deepEqual([r.kind, r.displacement], ['moved', [4, 0]]);
  const added = fill(fill(white(60, 30), 10, 10, 12, 8, 0), 50, 10, 2, 8, 0); // 29 px from the box: no move
  const content = describeL1(real, added);
  assert.equal(content.kind, 'content');
});

test('pieces at the image edges: a bar gone at the left edge and one at the bottom are content, kernel on or off', () => {
  const real = fill(fill(white(40, 30), 0, 10, 3, 8, 0), 20, 26, 3, 4, 0);
  const fake = white(40, 30);
  for (const on of [true, false])
    assert.deepEqual(
      describeL1(real, fake, on).regions.map((r) => [r.kind, r.x, r.y, r.width, r.height]),
      [
        ['content', 0, 10, 3, 8],
        ['content', 20, 26, 3, 4],
      ],
      `map-scan ${on ? 'on' : 'off'}`,
    );
});

test('pieces at the image edges: a region that is the whole image (a GAN output against its target)', () => {
  // fixtures/review/facades_v1: 64x64, one region from (0,0) to (63,63), one piece; its shifts reach past
  // the image's edges, where the window is cut.
  const dir = fixture('fixtures/review/facades_v1/examples');
  const real = loadRgb(`${dir}/epoch1_1_B_real.png`),
    fake = loadRgb(`${dir}/epoch1_1_B_fake.png`);
  const kinds = [true, false].map((on) =>
    describeL1(real, fake, on).regions.map((r) => [r.kind, r.x, r.y, r.width, r.height]),
  );
  assert.deepEqual(kinds[0], [['content', 0, 0, 64, 64]], 'as before the piecewise rule');
  assert.deepEqual(kinds[1], kinds[0], 'the TypeScript rules answer as the kernel');
});
