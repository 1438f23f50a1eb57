import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fixture, REFERENCE, ROOT } from '../helpers.js';

/**
 * Temporary copies of the sample projects live inside the repository (ignored by git), so that the runners
 * (dev dependencies) resolve from its node_modules while `nectar-loss` resolves from the copy's own.
 */
export const TMP = path.join(ROOT, '.runners-tmp');

/** Debian's chromium (never a downloaded browser), or why the browser samples are skipped. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const NO_CHROMIUM = existsSync(CHROMIUM)
  ? undefined
  : `no chromium at ${CHROMIUM} (apt-get install chromium)`;

/** A fresh copy of test/runners/<name>; `nectarLoss` links node_modules/nectar-loss (default: this repo). */
export function copySample(name: string, where = TMP, nectarLoss?: string): string {
  mkdirSync(where, { recursive: true });
  const dir = mkdtempSync(path.join(where, `${name}-`));
  cpSync(path.join(ROOT, 'test/runners', name), dir, { recursive: true });
  if (nectarLoss !== undefined || !existsSync(path.join(where, 'node_modules/nectar-loss'))) {
    mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    symlinkSync(nectarLoss ?? ROOT, path.join(dir, 'node_modules/nectar-loss'), 'dir');
  }
  return dir;
}

export interface Run {
  code: number | null;
  /** stdout and stderr together, colour codes off. */
  out: string;
}

/** Runs `node <args>` in `cwd` (a runner's own CLI, as `npx` would), with a time limit. */
export function node(
  args: string[],
  cwd: string,
  env: Record<string, string | undefined> = {},
): Promise<Run> {
  // Without CI in the environment (Jest and Vitest would act as in CI); each step says so itself.
  const merged: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: '1',
    CI: undefined,
    // No flag reaches the runners but those given (the CommonJS Jest sample runs with none).
    NODE_OPTIONS: undefined,
    ...env,
  };
  delete merged.FORCE_COLOR;
  const clean = Object.fromEntries(
    Object.entries(merged).filter(([, v]) => v !== undefined),
  ) as NodeJS.ProcessEnv;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: clean, timeout: 240_000 });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** Where a runner's CLI script is, resolved from the sample (so a packed install finds its own). */
export function bin(pkg: string, file: string): string {
  return path.join(ROOT, 'node_modules', pkg, file);
}

export const JEST = ['--experimental-vm-modules', bin('jest', 'bin/jest.js')];
/** Plain `npx jest` of a CommonJS project: no flag (node() also clears NODE_OPTIONS for it). */
export const JEST_CJS = [bin('jest', 'bin/jest.js')];
export const VITEST = [bin('vitest', 'vitest.mjs'), 'run'];
export const PLAYWRIGHT = [bin('@playwright/test', 'cli.js'), 'test'];

const CASE = REFERENCE.cases.facade256!;
/** PyTorch's sobel mean of the facade pair, as the failure message writes it (float32, shortest). */
const SOBEL = CASE.losses.sobel!.unit.mean;
const expectCode = (r: Run, code: number, what: string) => assert.equal(r.code, code, `${what}:\n${r.out}`);
const sobelIn = (out: string) => Number(/sobel (\d\.\d+) > 0\.01/.exec(out)?.[1]);

/** The Jest and Vitest node samples: the same five steps on `current.png`. */
export async function snapshotSteps(
  dir: string,
  run: (args: string[], env?: Record<string, string>) => Promise<Run>,
  file: string,
) {
  const snaps = path.join(dir, '__image_snapshots__');
  const baseline = path.join(snaps, `${file}-facade-matches-its-baseline-1.png`);
  const diff = path.join(snaps, '__diff_output__', `${file}-facade-matches-its-baseline-1-diff.png`);
  copyFileSync(fixture(CASE.real), path.join(dir, 'current.png'));
  let r = await run([]);
  expectCode(r, 0, 'first run');
  assert.match(r.out, /1 (snapshot )?written/);
  assert.deepEqual(readFileSync(baseline), readFileSync(fixture(CASE.real)), 'the baseline is the image');
  expectCode(await run([]), 0, 'same image');
  copyFileSync(fixture(CASE.fake), path.join(dir, 'current.png'));
  r = await run([]);
  expectCode(r, 1, 'changed image');
  assert.match(r.out, /Image does not match __image_snapshots__\/.*\.png \(nectar-loss\):/);
  assert.ok(Math.abs(sobelIn(r.out) - SOBEL) < 1e-5 * SOBEL, `sobel in the message vs torch ${SOBEL}`);
  assert.match(r.out, /1 (snapshot )?failed/);
  assert.ok(existsSync(diff), 'the diff is written beside the baseline');
  r = await run(['-u']);
  expectCode(r, 0, 'update');
  assert.match(r.out, /1 (snapshot )?updated/);
  assert.deepEqual(readFileSync(baseline), readFileSync(fixture(CASE.fake)), 'the baseline is rewritten');
  assert.ok(!existsSync(diff), 'the stale diff is removed');
  assert.ok(!existsSync(path.dirname(diff)), 'and its emptied folder (as jest-image-snapshot)');
  // A baseline no test uses: the reporter lists it.
  copyFileSync(baseline, path.join(snaps, `${file}-deleted-test-1.png`));
  rmSync(baseline);
  r = await run(['--ci'], { CI: 'true' });
  expectCode(r, 1, 'CI with a missing baseline');
  assert.match(r.out, /No baseline __image_snapshots__\/.*: new snapshots are not written in CI/);
  assert.ok(!existsSync(baseline), 'CI writes no baseline');
  assert.match(
    r.out,
    new RegExp(`1 baseline\\(s\\) no test used:\\n\\s+__image_snapshots__/${file}-deleted`),
  );
}

/**
 * failOnUpdate (the Jest and Vitest node samples, the option added to their assertion): a new baseline is
 * written and the test fails naming it; the same image passes; a changed image with -u is written and the
 * test fails again.
 */
export async function failOnUpdateSteps(
  dir: string,
  run: (args: string[]) => Promise<Run>,
  testFile: string,
  file: string,
) {
  const source = path.join(dir, testFile);
  writeFileSync(
    source,
    readFileSync(source, 'utf8').replace('max: 0.01 }', 'max: 0.01, failOnUpdate: true }'),
  );
  const baseline = path.join(dir, '__image_snapshots__', `${file}-facade-matches-its-baseline-1.png`);
  copyFileSync(fixture(CASE.real), path.join(dir, 'current.png'));
  let r = await run([]);
  expectCode(r, 1, 'first run: written, failed');
  assert.match(r.out, /wrote __image_snapshots__\/\S+\.png \(failOnUpdate: the baseline is written/);
  assert.deepEqual(readFileSync(baseline), readFileSync(fixture(CASE.real)), 'the baseline is written');
  expectCode(await run([]), 0, 'same image');
  copyFileSync(fixture(CASE.fake), path.join(dir, 'current.png'));
  r = await run(['-u']);
  expectCode(r, 1, 'update: written, failed');
  assert.match(r.out, /updated __image_snapshots__\/\S+\.png \(failOnUpdate/);
  assert.deepEqual(readFileSync(baseline), readFileSync(fixture(CASE.fake)), 'the baseline is rewritten');
  expectCode(await run([]), 0, 'then the new baseline passes');
}
