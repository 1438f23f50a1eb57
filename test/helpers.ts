import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { keptKernels } from '../src/losses/kernels.js';

/** Repository root (tests run from dist/test/...). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixture = (p: string): string => path.join(ROOT, p);
export const BIN = path.join(ROOT, 'bin/nectar-loss.js');
/** `calibrate` of the calibration tests' folders (base, noise, changed) for `loss`, then `more` flags. */
export const calibrateArgs = (loss: string, ...more: string[]): string[] => [
  'calibrate',
  'base',
  'noise',
  '--changed',
  'changed',
  '--loss',
  loss,
  ...more,
];

export interface RefLoss {
  mean: number;
  max: number;
  map?: string;
  filteredRealMean?: number;
  filteredFakeMean?: number;
}
export interface RefCase {
  real: string;
  fake: string;
  width: number;
  height: number;
  losses: Record<string, Record<'unit' | 'signed', RefLoss>>;
}
/** Values written by fixtures/make_fixtures.py with PyTorch: the independent reference. */
export const REFERENCE = JSON.parse(readFileSync(fixture('fixtures/reference/reference.json'), 'utf8')) as {
  torch: string;
  cases: Record<string, RefCase>;
};

export function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Live tensors other than the filter kernels the losses keep on purpose (src/losses/kernels.ts). */
export function liveTensors(): number {
  return tf.memory().numTensors - keptKernels();
}

// The tests' own CLI runs report to no GitHub job: when the suite itself runs on GitHub Actions, the batch
// and merge processes it spawns (with process.env) would otherwise append to its job summary and print
// annotations on stderr. test/cli/github.test.ts and action.test.ts set what they test explicitly.
delete process.env.GITHUB_ACTIONS;
delete process.env.GITHUB_STEP_SUMMARY;

/** What `npm pack --json` reports of the tarball. */
export interface PackReport {
  filename: string;
  size: number;
  entryCount: number;
  files: { path: string }[];
}

/**
 * npm's own CLI, run by this Node (npm ships with it): `out` is stdout and stderr, `stdout` alone (what
 * `--json` prints: npm's warnings go to stderr).
 */
export function npm(args: string[], cwd: string): { code: number | null; out: string; stdout: string } {
  const cli = path.join(path.dirname(process.execPath), '../lib/node_modules/npm/bin/npm-cli.js');
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

/**
 * The package as npm would publish it, installed into `dir` as a new ESM project: `npm pack` of dist/ as
 * `npm test` built it (--ignore-scripts: prepare would rebuild under the running tests), then `npm install`
 * of the tarball. Throws with npm's output when either step fails.
 */
export function packInto(dir: string): PackReport {
  const pack = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
  if (pack.code !== 0) throw new Error(`npm pack failed: ${pack.out}`);
  const packed = (JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as PackReport[])[0]!;
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  // --prefer-offline: the dependencies are in npm's cache since `npm ci`; the registry is asked otherwise.
  const install = npm(
    ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${packed.filename}`],
    dir,
  );
  if (install.code !== 0)
    throw new Error(`npm install of the tarball failed: ${install.out.split('\n').slice(-3).join(' ')}`);
  return packed;
}
