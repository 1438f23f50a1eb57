import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { PNG } from 'pngjs';
import * as tf from '@tensorflow/tfjs-core';
import { compareImages, disposeEngine } from '../../src/engine/session.js';
import { UserError } from '../../src/errors.js';
import { fixture, REFERENCE, relErr } from '../helpers.js';

/** PyTorch's values (fixtures/make_fixtures.py, make_snapshot_fixtures.py): the independent reference. */
const CASE = REFERENCE.cases.facade256!;
const SNAP = JSON.parse(readFileSync(fixture('fixtures/reference/snapshot.json'), 'utf8')) as {
  mask: {
    real: string;
    fake: string;
    mask: string;
    ignore: number[][];
    cases: Record<string, { ignored: number; means: Record<string, number> }>;
  };
};
const REAL = fixture(CASE.real);
const FAKE = fixture(CASE.fake);
const TOL = 1e-4;

after(() => disposeEngine());

test('compareImages: values and map maxima match PyTorch, the diff is a PNG of the image size', async () => {
  const r = await compareImages(REAL, FAKE, { loss: ['sobel', 'l1'] });
  for (const l of ['sobel', 'l1']) {
    const ref = CASE.losses[l]!.unit;
    assert.ok(relErr(r.values[l]!, ref.mean) < TOL, `${l} ${r.values[l]} vs torch ${ref.mean}`);
    assert.ok(relErr(r.stats[l]!.max, ref.max) < TOL, `${l} max ${r.stats[l]!.max} vs torch ${ref.max}`);
    assert.ok(relErr(r.stats[l]!.mean, ref.mean) < TOL);
  }
  assert.equal(r.pass, true);
  assert.deepEqual(r.gates, []);
  assert.equal(r.diffLoss, 'sobel');
  const png = PNG.sync.read(r.diff!);
  assert.deepEqual([png.width, png.height], [CASE.width, CASE.height]);
});

test('compareImages: encoded bytes and RGBA pixels give the values paths give', async () => {
  const byPath = await compareImages(REAL, FAKE, { diff: 'never' });
  const bytes = await compareImages(readFileSync(REAL), readFileSync(FAKE), { diff: 'never' });
  const rgba = (p: string) => {
    const png = PNG.sync.read(readFileSync(p));
    return { data: png.data, width: png.width, height: png.height, channels: 4 as const };
  };
  const pixels = await compareImages(rgba(REAL), rgba(FAKE), { diff: 'never' });
  assert.equal(bytes.values.sobel, byPath.values.sobel);
  assert.equal(pixels.values.sobel, byPath.values.sobel);
  assert.equal(byPath.diff, undefined);
});

test('compareImages: gates as numbers and as { loss.stat } objects, verdicts and CLI-style failures', async () => {
  const ref = CASE.losses.sobel!.unit;
  const r = await compareImages(REAL, FAKE, { max: { 'sobel.max': 0.5, sobel: 0.2 }, diff: 'failure' });
  assert.equal(r.pass, false);
  assert.deepEqual(
    r.gates.map((g) => [g.name, g.pass]),
    [
      ['sobel.max', false],
      ['sobel', true],
    ],
  );
  assert.match(r.failures[0]!, /^sobel max 0\.835\d* > 0\.5$/);
  assert.ok(relErr(r.gates[0]!.value, ref.max) < TOL);
  assert.ok(r.diff, 'a failure brings its diff');
  const ok = await compareImages(REAL, FAKE, { max: ref.mean * 1.01, diff: 'failure' });
  assert.equal(ok.pass, true);
  assert.equal(ok.diff, undefined, 'no diff encoded for a pass with diff: failure');
  const under = await compareImages(REAL, FAKE, { loss: 'ssim', min: 0.9999 });
  assert.equal(under.pass, false);
  assert.match(under.failures[0]!, /^ssim 0\.\d+ < 0\.9999$/);
});

test('compareImages: mask and ignore rectangles leave the pixels PyTorch left out', async () => {
  const m = SNAP.mask;
  const ref = m.cases.both!;
  const r = await compareImages(fixture(m.real), fixture(m.fake), {
    loss: ['sobel', 'l2'],
    mask: fixture(m.mask),
    ignore: [m.ignore[0]!.join(','), { x: m.ignore[1]![0]!, y: m.ignore[1]![1]!, width: 80, height: 100 }],
  });
  assert.equal(r.ignored, ref.ignored);
  for (const l of ['sobel', 'l2']) assert.ok(relErr(r.values[l]!, ref.means[l]!) < TOL, l);
});

test("compareImages: options are checked in the library's own words, as UserErrors with a code", async () => {
  const cases: [object, RegExp][] = [
    [{ loss: 'nope' }, /unknown loss 'nope'/],
    [{ loss: 'ssim', max: 0.5 }, /^max: \{ 'ssim': … \}: ssim is higher-is-better: use min: \{ ssim: … \}/],
    [{ max: { 'sobel.p42': 1 } }, /unknown statistic 'p42'/],
    [{ max: { l1: 1 } }, /l1 is not among loss sobel/],
    [{ loss: 'vgg', ignore: ['0,0,1,1'] }, /^vgg does not take a mask \(mask, ignore\)/],
    [{ shiftTolerance: 9 }, /^shiftTolerance: .*from 0 to 3/],
    [{ ignore: ['1,2,3'] }, /expected x,y,w,h/],
    [{ colormap: 'rainbow' }, /colormap: choose from/],
    [{ regions: 'no' }, /^regions: expected true or false/],
    [{ regions: false, allow: ['rendering'] }, /^allow judges changed regions: drop regions: false/],
    [
      { regions: false, max: { regions: 0 } },
      /^the gate regions judges changed regions: drop regions: false/,
    ],
  ];
  for (const [o, re] of cases)
    await assert.rejects(
      compareImages(REAL, FAKE, o),
      (e: Error) =>
        e instanceof UserError && e.code === 'BAD_OPTION' && re.test(e.message) && !/--/.test(e.message),
    );
  await assert.rejects(
    compareImages(REAL, fixture('fixtures/images/gray8_64x48_real.png')),
    /size mismatch: expected .* is 256x256, actual .* is 64x48 \(resize: true resizes actual to expected's size\)/,
  );
});

test('compareImages: overlapping calls give the values of sequential ones; dispose frees every tensor', async () => {
  const one = await compareImages(REAL, FAKE, { loss: ['sobel', 'laplacian'], diff: 'never' });
  const many = await Promise.all(
    [0, 1, 2, 3].map(() => compareImages(REAL, FAKE, { loss: ['sobel', 'laplacian'], diff: 'never' })),
  );
  for (const m of many) assert.deepEqual(m.values, one.values);
  await disposeEngine();
  assert.equal(tf.memory().numTensors, 0, 'no tensor is left after disposeEngine()');
  const again = await compareImages(REAL, FAKE, { loss: ['sobel', 'laplacian'], diff: 'never' });
  assert.deepEqual(again.values, one.values, 'a new engine after dispose');
});

test('compareImages: regions: false finds no regions or kind (the same values); by default they are there', async () => {
  const on = await compareImages(REAL, FAKE, { loss: 'l1', diff: 'never', config: false });
  assert.ok(on.regions?.length && on.kind && on.change, 'regions, kind and change by default');
  const off = await compareImages(REAL, FAKE, { loss: 'l1', diff: 'never', config: false, regions: false });
  assert.equal('regions' in off || 'kind' in off || 'change' in off, false, Object.keys(off).join(' '));
  assert.deepEqual(off.values, on.values);
});

test('compareImages: stats: false skips the statistics unless a gate bounds one; a failure still draws', async () => {
  const bare = await compareImages(REAL, FAKE, { stats: false, max: 0.01, diff: 'failure' });
  assert.deepEqual(bare.stats, {});
  assert.equal(bare.pass, false);
  assert.ok(bare.diff, 'the map is kept for the diff');
  const gated = await compareImages(REAL, FAKE, { stats: false, max: { 'sobel.p99': 10 } });
  assert.ok(gated.stats.sobel, 'a stat gate brings the statistics');
  assert.equal(gated.pass, true);
});

test("compareImages: flip's diff is drawn in magma, FLIP's own error-map PNG within one level", async () => {
  const ref = JSON.parse(readFileSync(fixture('fixtures/reference/flip/flip.json'), 'utf8')) as {
    cases: Record<string, { real: string; fake: string; heatmap: string }>;
  };
  const c = ref.cases.rgb8!;
  const r = await compareImages(fixture(c.real), fixture(c.fake), { loss: 'flip', max: 1, scale: 1 });
  const [ours, theirs] = [PNG.sync.read(r.diff!), PNG.sync.read(readFileSync(fixture(c.heatmap)))];
  assert.deepEqual([ours.width, ours.height], [theirs.width, theirs.height]);
  // Both are magma: compare colours channel by channel (one magma level moves a channel by at most 6).
  let worst = 0;
  for (let i = 0; i < ours.width * ours.height * 4; i++)
    if (i % 4 !== 3) worst = Math.max(worst, Math.abs(ours.data[i]! - theirs.data[i]!));
  assert.ok(worst <= 6, `largest channel difference from FLIP's magma PNG: ${worst}`);
  const inferno = await compareImages(fixture(c.real), fixture(c.fake), {
    loss: 'flip',
    max: 1,
    scale: 1,
    colormap: 'inferno',
  });
  assert.notDeepEqual(inferno.diff, r.diff, 'an explicit colormap still wins');
});
