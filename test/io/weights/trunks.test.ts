import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadLpipsLinear, loadTrunk } from '../../../src/io/weights/trunks.js';
import { UserError } from '../../../src/errors.js';
import { fixture } from '../../helpers.js';
import { seededTrunk } from '../../losses/seeded-trunk.js';

const ALEX = fixture('fixtures/weights/alexnet-seeded.pth');

test('AlexNet trunk: the five convs of a torchvision-layout file, equal to the seeded formula it was written from', async () => {
  const convs = await loadTrunk(ALEX, 'alex');
  const expected = seededTrunk('alex');
  assert.deepEqual(
    convs.map((c) => c.index),
    [0, 3, 6, 8, 10],
  );
  convs.forEach((c, i) => {
    assert.deepEqual(c.weight, expected[i].weight, `features.${c.index}.weight`);
    assert.deepEqual(c.bias, expected[i].bias, `features.${c.index}.bias`);
  });
});

test('VGG16 trunk: the 13 convs by shape (an all-expanded VGG16 state_dict)', async () => {
  const convs = await loadTrunk(fixture('fixtures/weights/vgg16-zip.pth'), 'vgg');
  assert.deepEqual(
    convs.map((c) => c.index),
    [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28],
  );
  assert.equal(convs[12].weight.length, 512 * 512 * 9);
});

test('the wrong architecture is refused with a message naming the layer that gives it away', async () => {
  const refuse = async (file: string, net: 'alex' | 'vgg', re: RegExp) =>
    assert.rejects(loadTrunk(fixture(file), net), (e: Error) => e instanceof UserError && re.test(e.message));
  await refuse('fixtures/weights/vgg16-zip.pth', 'alex', /not AlexNet: it has a layer at features\.2,/);
  await refuse('fixtures/weights/vgg19-zip.pth', 'vgg', /not VGG16: it has a layer at features\.16,/);
  await refuse('fixtures/weights/alexnet-seeded.pth', 'vgg', /not VGG16: it has a layer at features\.3,/);
  await assert.rejects(
    loadLpipsLinear(ALEX, 'alex'),
    /not LPIPS linear layers: lin0\.model\.1\.weight missing/,
  );
});

test('LPIPS v0.1 linear layers (the shipped files, legacy format saved from CUDA): five non-negative [C_l] vectors', async () => {
  for (const [net, chns] of [
    ['alex', [64, 192, 384, 256, 256]],
    ['vgg', [64, 128, 256, 512, 512]],
  ] as const) {
    const lins = await loadLpipsLinear(fixture(`weights/lpips/v0.1/${net}.pth`), net);
    assert.deepEqual(
      lins.map((w) => w.length),
      chns,
    );
    assert.ok(lins.every((w) => w.every((v) => v >= 0)));
    assert.ok(
      lins.some((w) => w.some((v) => v > 0.01)),
      `${net}: weights all ~0?`,
    );
  }
  await assert.rejects(
    loadLpipsLinear(fixture('weights/lpips/v0.1/vgg.pth'), 'alex'),
    /expected \[1, 192, 1, 1\]/,
  );
});

test('the shipped linear layers are found from the built module (weights/ is in package.json "files")', async () => {
  const { shippedLpipsLinear } = await import('../../../src/io/weights/trunks.js');
  assert.equal(shippedLpipsLinear('alex'), fixture('weights/lpips/v0.1/alex.pth'));
  const pkg = JSON.parse((await import('node:fs')).readFileSync(fixture('package.json'), 'utf8')) as {
    files: string[];
  };
  assert.ok(pkg.files.includes('weights'));
});
