import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// As in a training script: the @tensorflow/tfjs bundle (or tfjs-node) registers tfjs's gradient functions.
import '@tensorflow/tfjs';
import { l1, l2, laplacian, psnr, sobel, ssim, useBackend } from '../../src/index.js';
import { maxAbsDiff, relErr, liveTensors } from '../helpers.js';

const FNS = { sobel, laplacian, l1, l2 };
/** Differentiable too: ssim's kernel (ssim-host.ts) steps aside inside tf.grad for the tfjs ops. */
const DIFFERENTIABLE = {
  ...FNS,
  ssim: (r: tf.Tensor3D, f: tf.Tensor3D) => ssim(r, f, 1),
  psnr: (r: tf.Tensor3D, f: tf.Tensor3D) => psnr(r, f, 1),
};

function randomImage(seed: number, h: number, w: number): tf.Tensor3D {
  return tf.randomUniform([h, w, 3], 0, 1, 'float32', seed) as tf.Tensor3D;
}

test('library functions: map shape, mean = mean(map), batches, rank checks, no leaks', async () => {
  await useBackend('cpu');
  const before = liveTensors();
  for (const [name, fn] of Object.entries(FNS)) {
    tf.tidy(() => {
      const a = randomImage(1, 9, 7),
        b = randomImage(2, 9, 7);
      const r = fn(a, b);
      assert.deepEqual(r.map.shape, [9, 7], `${name} map shape`);
      assert.ok(relErr(r.mean.dataSync()[0], tf.mean(r.map).dataSync()[0]) < 1e-6, `${name} mean`);
      // A batch of two gives the two single maps stacked.
      const c = randomImage(3, 9, 7),
        d = randomImage(4, 9, 7);
      const batch = fn(tf.stack([a, c]) as tf.Tensor4D, tf.stack([b, d]) as tf.Tensor4D);
      assert.deepEqual(batch.map.shape, [2, 9, 7]);
      assert.ok(
        maxAbsDiff(batch.map.dataSync(), tf.concat([r.map, fn(c, d).map]).dataSync()) < 1e-6,
        `${name} batch`,
      );
      // An alpha channel is ignored, as NectarGAN slices [:, :3].
      const alpha = fn(
        tf.concat([a, tf.ones([9, 7, 1])], 2) as tf.Tensor3D,
        tf.concat([b, tf.zeros([9, 7, 1])], 2) as tf.Tensor3D,
      );
      assert.ok(maxAbsDiff(alpha.map.dataSync(), r.map.dataSync()) < 1e-7, `${name} alpha`);
      assert.throws(() => fn(a, randomImage(5, 9, 8)), /differ in shape/);
    });
  }
  assert.equal(liveTensors(), before, 'tensors leaked');
});

test('sobel of a constant image is sqrt(1e-6) inside and the zero-padding edge response at the border', async () => {
  await useBackend('cpu');
  tf.tidy(() => {
    const v = 0.5;
    const { filtered } = sobel(tf.fill([5, 5, 3], v) as tf.Tensor3D, tf.fill([5, 5, 3], v) as tf.Tensor3D);
    const m = filtered!.real.arraySync() as number[][];
    assert.ok(Math.abs(m[2][2] - Math.sqrt(1e-6)) < 1e-7);
    // Left border: the kx column [1,2,1] meets zeros: |gx| = 4 v, gy = 0.
    assert.ok(Math.abs(m[2][0] - Math.sqrt((4 * v) ** 2 + 1e-6)) < 1e-6);
  });
});

test('every loss, ssim and psnr are differentiable: tf.grad matches a central finite difference', async () => {
  await useBackend('cpu');
  for (const [name, fn] of Object.entries(DIFFERENTIABLE)) {
    tf.tidy(() => {
      // 13x12: ssim's index is over the interior (5 px cropped), so it needs more than 10 px a side.
      const real = randomImage(11, 13, 12);
      const fake = randomImage(12, 13, 12);
      const dir = tf.randomNormal([13, 12, 3], 0, 1, 'float32', 13) as tf.Tensor3D;
      const f = (x: tf.Tensor) => fn(real, x as tf.Tensor3D).mean;
      const g = tf.grad(f)(fake);
      const analytic = tf.sum(tf.mul(g, dir)).dataSync()[0];
      const h = 1e-3;
      const plus = f(tf.add(fake, tf.mul(dir, h)) as tf.Tensor3D).dataSync()[0];
      const minus = f(tf.sub(fake, tf.mul(dir, h)) as tf.Tensor3D).dataSync()[0];
      const numeric = (plus - minus) / (2 * h);
      assert.ok(Math.abs(analytic) > 1e-4, `${name}: gradient is not trivially zero`);
      assert.ok(
        Math.abs(analytic - numeric) <= 2e-2 * Math.abs(numeric) + 1e-4,
        `${name}: grad·v ${analytic} vs finite difference ${numeric}`,
      );
    });
  }
});

test('vgg is differentiable too: tf.grad matches a central finite difference', async () => {
  await useBackend('cpu');
  const { vgg19Weights, VGG19_CONVS, vgg } = await import('../../src/losses/vgg.js');
  const rnd = (n: number, seed: number, scale: number) =>
    Float32Array.from(tf.tidy(() => tf.randomNormal([n], 0, scale, 'float32', seed).dataSync()));
  const w = vgg19Weights(
    VGG19_CONVS.map((c, i) => ({
      index: c.index,
      weight: rnd(c.cout * c.cin * 9, 100 + i, Math.sqrt(2 / (9 * c.cin))),
      bias: rnd(c.cout, 200 + i, 0.05),
    })),
  );
  const before = liveTensors();
  tf.tidy(() => {
    const real = randomImage(21, 8, 6),
      fake = randomImage(22, 8, 6);
    const dir = tf.randomNormal([8, 6, 3], 0, 1, 'float32', 23);
    const f = (x: tf.Tensor) => vgg(real, x as tf.Tensor3D, w).mean;
    const analytic = tf.sum(tf.mul(tf.grad(f)(fake), dir)).dataSync()[0];
    const h = 1e-3;
    const numeric =
      (f(tf.add(fake, tf.mul(dir, h))).dataSync()[0] - f(tf.sub(fake, tf.mul(dir, h))).dataSync()[0]) /
      (2 * h);
    assert.ok(Math.abs(analytic) > 1e-4, 'gradient is not trivially zero');
    assert.ok(
      Math.abs(analytic - numeric) <= 2e-2 * Math.abs(numeric) + 1e-4,
      `grad·v ${analytic} vs finite difference ${numeric}`,
    );
  });
  assert.equal(liveTensors(), before, 'vgg leaked tensors');
  w.dispose();
});

test('without tf.tidy: disposing what a loss returns leaves no tensor behind', async () => {
  await useBackend('cpu');
  const a = randomImage(31, 9, 7),
    b = randomImage(32, 9, 7);
  const before = liveTensors();
  for (const fn of Object.values(FNS)) {
    const r = fn(a, b);
    tf.dispose([r.map, r.mean, ...(r.filtered ? [r.filtered.real, r.filtered.fake] : [])]);
    assert.equal(liveTensors(), before, `${fn.name} leaked intermediates`);
  }
  tf.dispose([a, b]);
});

test('sobel and laplacian take a one-channel image as already gray (what the engine hands them)', async () => {
  await useBackend('cpu');
  for (const fn of [sobel, laplacian]) {
    tf.tidy(() => {
      const a = randomImage(41, 9, 8),
        b = randomImage(42, 9, 8);
      const g = (x: tf.Tensor3D) => tf.mean(x, 2, true) as tf.Tensor3D;
      const fromRgb = fn(a, b),
        fromGray = fn(g(a), g(b));
      assert.deepEqual(fromGray.map.shape, [9, 8]);
      assert.ok(
        maxAbsDiff(fromGray.map.dataSync(), fromRgb.map.dataSync()) === 0,
        `${fn.name}: gray input differs`,
      );
    });
  }
});
