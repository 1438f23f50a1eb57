import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, ROOT } from '../helpers.js';

/**
 * The batch command's main thread plans, locates weights (vgg among the losses) and pairs folders without
 * loading TensorFlow.js, sharp or the fonts: only its workers do. Checked in a fresh process, from the
 * module cache after the planning path ran.
 */
test('batch planning path (vgg weights located, folders paired) loads no tfjs, sharp or opentype', () => {
  const src = path.join(ROOT, 'dist/src');
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(path.join(src, 'cli/batch.js'))});
    await import(${JSON.stringify(path.join(src, 'io/weights/vgg19.js'))});
    const { locateWeights } = await import(${JSON.stringify(path.join(src, 'io/weights/locate.js'))});
    const { pairFolders } = await import(${JSON.stringify(path.join(src, 'io/pairs.js'))});
    const { lossRequires } = await import(${JSON.stringify(path.join(src, 'losses/registry.js'))});
    const files = await locateWeights(['vgg', 'sobel'].map(lossRequires), { file: ${JSON.stringify(fixture('fixtures/weights/vgg19-zip.pth'))}, download: false });
    if (!files.vgg19) throw new Error('weights not located');
    await pairFolders(${JSON.stringify(fixture('fixtures/images'))}, ${JSON.stringify(fixture('fixtures/images'))});
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify(loaded.filter((f) => /tfjs-core|[\\\\/]sharp[\\\\/]|opentype/.test(f))));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [], 'heavy modules loaded on the main thread');
});
