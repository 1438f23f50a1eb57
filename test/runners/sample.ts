import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers.js';

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
  const merged: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', CI: undefined, ...env };
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
export const VITEST = [bin('vitest', 'vitest.mjs'), 'run'];
export const PLAYWRIGHT = [bin('@playwright/test', 'cli.js'), 'test'];
