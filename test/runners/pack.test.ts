/**
 * The package as users get it: `npm pack`, the tarball installed into an empty project, and the three
 * samples run from there (exports, types and the binary resolve). The project (test/packed.ts: the install
 * test/package/pack.test.ts uses, hard-linked) lives under .runners-tmp in the repository, so the runners
 * themselves (peer dependencies) come from the repository's dev dependencies; nectar-loss and its own
 * dependencies come from the tarball's install. Each test writes into a new folder inside it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fixture, REFERENCE, ROOT } from '../helpers.js';
import { packedInstallUnder, typecheck } from '../packed.js';
import {
  CHROMIUM,
  copySample,
  JEST,
  JEST_CJS,
  NO_CHROMIUM,
  node,
  PLAYWRIGHT,
  snapshotSteps,
  TMP,
  VITEST,
} from './sample.js';

const CASE = REFERENCE.cases.facade256!;
/** The installed project (shared, read only: each test makes its own folders in it). */
let project = '';
let why: string | undefined;
const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
/** A new folder inside the project, removed afterwards. */
const own = (name: string) => {
  const dir = mkdtempSync(path.join(project, `${name}-`));
  made.push(dir);
  return dir;
};
/** copySample's copy of a sample inside the project (so nectar-loss resolves from its install). */
const sampleIn = (name: string) => {
  const dir = copySample(name, project);
  made.push(dir);
  return dir;
};

before(() => {
  try {
    project = packedInstallUnder(TMP).dir;
  } catch (err) {
    why = `${(err as Error).message} (offline?)`;
  }
});

describe('packed package', { concurrency: 3 }, () => {
  test('the binary and every export resolve; importing nectar-loss loads no runner', (t) => {
    if (why) return t.skip(why);
    const help = spawnSync(path.join(project, 'node_modules/.bin/nectar-loss'), ['--help'], {
      encoding: 'utf8',
    });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /Usage: nectar-loss/);
    // A resolve hook lists every specifier a runner's name is in: importing nectar-loss must resolve none.
    const hook = `export async function resolve(s, c, next) {
      if (/jest|vitest|playwright/.test(s)) process.stderr.write('RUNNER ' + s + '\\n');
      return next(s, c);
    }`;
    const register = `import { register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));`;
    const probe = `const core = await import('nectar-loss');
      console.log(typeof core.compareImages);`;
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(register)}`,
        '--input-type=module',
        '-e',
        probe,
      ],
      { cwd: project, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^function/);
    assert.doesNotMatch(r.stderr, /RUNNER/, 'importing nectar-loss resolves no runner');
    // The subpaths (each loads its runner's types only; the modules themselves are plain).
    const subs = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await Promise.all(['jest', 'vitest', 'reporter'].map((s) => import('nectar-loss/' + s)));
         console.log(JSON.stringify(m.map((x) => typeof (x.toMatchLossSnapshot ?? x.default))));`,
      ],
      { cwd: project, encoding: 'utf8' },
    );
    assert.equal(subs.status, 0, subs.stderr);
    const o = { subs: JSON.parse(subs.stdout) as string[] };
    assert.deepEqual(o.subs, ['function', 'function', 'function']);
  });

  test('the types of the three subpaths compile in a strict NodeNext project', (t) => {
    if (why) return t.skip(why);
    const dir = own('types');
    for (const s of ['jest', 'vitest', 'playwright'])
      copyFileSync(path.join(ROOT, 'test/runners', `${s}-sample`, 'types.ts'), path.join(dir, `${s}.ts`));
    typecheck(dir, {});
  });

  test('jest and vitest samples from the installed package: a matching image passes', async (t) => {
    if (why) return t.skip(why);
    for (const [name, args, file] of [
      ['jest-sample', JEST, 'image-test-js'],
      ['vitest-sample', [...VITEST, '--project', 'node'], 'node-test-js'],
    ] as const) {
      const dir = sampleIn(name);
      assert.ok(!existsSync(path.join(dir, 'node_modules/nectar-loss')), 'resolves the installed package');
      copyFileSync(fixture(CASE.real), path.join(dir, 'current.png'));
      let r = await node([...args], dir);
      assert.equal(r.code, 0, r.out);
      assert.ok(
        existsSync(path.join(dir, '__image_snapshots__', `${file}-facade-matches-its-baseline-1.png`)),
      );
      r = await node([...args], dir);
      assert.equal(r.code, 0, r.out);
    }
  });

  test('require() of every entry point from the installed package, with no flag', (t) => {
    if (why) return t.skip(why);
    const probe = `const entries = ['nectar-loss', 'nectar-loss/jest', 'nectar-loss/vitest',
        'nectar-loss/playwright', 'nectar-loss/reporter'];
      const m = entries.map((e) => require(e));
      const real = ${JSON.stringify(fixture(CASE.real))}, fake = ${JSON.stringify(fixture(CASE.fake))};
      const lib = m[0];
      console.log(JSON.stringify({
        kinds: [typeof lib.sobel, typeof lib.compareImages, ...m.slice(1, 4).map((x) => typeof x.toMatchLossSnapshot),
          typeof m[4].default],
        files: entries.map((e) => require.resolve(e).split('node_modules/nectar-loss/')[1]),
      }));
      lib.compareImages(real, fake, { loss: 'sobel' }).then((r) => console.log(r.values.sobel));
      lib.compareImages(real, 'missing.png').catch((e) =>
        console.log(e instanceof lib.UserError, e.code, e.message));`;
    const r = spawnSync(process.execPath, ['-e', probe], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    assert.equal(r.status, 0, r.stderr);
    const [first, ...rest] = r.stdout.trim().split('\n');
    const o = JSON.parse(first!) as { kinds: string[]; files: string[] };
    assert.deepEqual(o.kinds, Array(6).fill('function'));
    assert.deepEqual(o.files, [
      'dist/cjs/index.js',
      'dist/cjs/runners/jest.js',
      'dist/cjs/runners/vitest.js',
      'dist/cjs/runners/playwright.js',
      'dist/cjs/runners/reporter.js',
    ]);
    // The missing file's rejection comes first (no decoding); then PyTorch's sobel mean.
    assert.match(rest[0]!, /^true ENOENT actual missing\.png: no such file$/);
    const want = CASE.losses.sobel!.unit.mean;
    assert.ok(Math.abs(Number(rest[1]) - want) < 1e-5 * want, `${rest[1]} vs torch ${want}`);
  });

  test('the CommonJS types (jest, playwright, the library) compile in a strict NodeNext CommonJS project', (t) => {
    if (why) return t.skip(why);
    const dir = own('types-cjs');
    copyFileSync(path.join(ROOT, 'test/runners/jest-cjs-sample/types.ts'), path.join(dir, 'jest.ts'));
    // Playwright's sample types, as ESM syntax compiled to require() here (the 'require' condition's types).
    copyFileSync(path.join(ROOT, 'test/runners/playwright-sample/types.ts'), path.join(dir, 'playwright.ts'));
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "commonjs" }\n');
    typecheck(dir, { skipLibCheck: true });
  });

  test('a CommonJS Jest project, plain jest with no NODE_OPTIONS: writes, passes, fails, -u, --ci', async (t) => {
    if (why) return t.skip(why);
    const dir = sampleIn('jest-cjs-sample');
    assert.ok(!existsSync(path.join(dir, 'node_modules/nectar-loss')), 'resolves the installed package');
    await snapshotSteps(dir, (args, env) => node([...JEST_CJS, ...args], dir, env), 'image-test-js');
  });

  test(
    'playwright sample from the installed package: written, then passes',
    { skip: NO_CHROMIUM },
    async (t) => {
      if (why) return t.skip(why);
      const dir = sampleIn('playwright-sample');
      const env = { CHROMIUM_PATH: CHROMIUM };
      let r = await node(PLAYWRIGHT, dir, env);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /writing actual/);
      r = await node(PLAYWRIGHT, dir, env);
      assert.equal(r.code, 0, r.out);
    },
  );
});
