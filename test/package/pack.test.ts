/**
 * The package as users get it: `npm pack`, the tarball installed into an empty project outside the
 * repository (test/packed.ts, shared with test/runners/pack.test.ts), and from there the binary on a fixture
 * pair, the library from plain ESM, and its shipped types under `tsc --noEmit`. The tarball holds no test,
 * fixture or bench file and stays under PACK_LIMIT (stated in docs/contributing.md).
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { REFERENCE, ROOT, fixture, relErr, type PackReport } from '../helpers.js';
import { packedInstall, scratch, typecheck } from '../packed.js';

/** The packed size docs/contributing.md promises: 1 MiB. */
const PACK_LIMIT = 2 ** 20;
/** The installed project (shared, read only) and this file's own folder inside it. */
let project = '';
let dir = '';
let packed: PackReport;

before(() => {
  const p = packedInstall();
  ({ dir: project, packed } = p);
  dir = scratch(p);
});
after(() => dir && rmSync(dir, { recursive: true, force: true }));

test('the tarball holds the built library, binary and weights, no test, fixture or bench file', () => {
  const paths = packed.files.map((f) => f.path);
  assert.deepEqual(
    paths.filter((p) => /^(test|fixtures|bench|dist\/test|dist\/bench|src|asm)\//.test(p)),
    [],
  );
  for (const p of [
    'bin/nectar-loss.js',
    'dist/src/index.js',
    'dist/src/index.d.ts',
    'dist/asm/ssim-map.wasm',
    'dist/asm/shift-min.wasm',
    // The CommonJS build (require()), its types, and the folder's "type": "commonjs".
    'dist/cjs/index.js',
    'dist/cjs/index.d.ts',
    'dist/cjs/package.json',
    'dist/cjs/runners/jest.js',
  ]) {
    assert.ok(paths.includes(p), `${p} is shipped`);
  }
  assert.ok(
    paths.some((p) => p.startsWith('weights/lpips/')),
    'the LPIPS linear layers are shipped',
  );
  assert.ok(packed.size < PACK_LIMIT, `packed size ${packed.size} under ${PACK_LIMIT}`);
  console.log(`# tarball: ${packed.size} bytes, ${packed.entryCount} files`);
});

test('npx nectar-loss, from the installed tarball, prints the PyTorch reference mean', () => {
  const r = spawnSync(
    'npx',
    [
      '--no-install',
      'nectar-loss',
      'sobel',
      fixture('fixtures/images/facade256_real.png'),
      fixture('fixtures/images/facade256_fake.png'),
      '--out',
      path.join(dir, 'out'),
    ],
    { cwd: project, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const want = REFERENCE.cases.facade256!.losses.sobel!.unit.mean;
  assert.ok(relErr(Number(r.stdout.trim()), want) < 1e-5, `${r.stdout.trim()} vs ${want}`);
});

test('the library imports from plain ESM and computes', () => {
  const script = [
    "import { sobel, LOSS_NAMES, decodeImage } from 'nectar-loss';",
    "if (typeof sobel !== 'function' || typeof decodeImage !== 'function') throw new Error('missing exports');",
    'console.log(LOSS_NAMES.join(","));',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: project,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\bsobel\b.*\bssim\b/);
});

test('the shipped types compile a consumer under tsc --noEmit (NodeNext, strict)', () => {
  writeFileSync(
    path.join(dir, 'use.ts'),
    [
      "import { sobel, LOSS_NAMES, type Range } from 'nectar-loss';",
      "const r: Range = 'unit';",
      'const names: readonly string[] = LOSS_NAMES;',
      'const mean: number = names.length > 0 ? 1 : 0;',
      'export const used = [sobel, r, names, mean];',
    ].join('\n'),
  );
  // tfjs-core's own declarations need @types/long, which it does not depend on: every consumer of tfjs
  // compiles with skipLibCheck. Ours are still resolved and used by use.ts.
  const typeRoots = [path.join(ROOT, 'node_modules/@types')];
  typecheck(dir, { skipLibCheck: true, typeRoots }, ['use.ts']);
});
