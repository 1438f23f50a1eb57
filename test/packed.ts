/**
 * The package as npm would publish it, packed and installed once for every test file that needs it
 * (test/package/pack.test.ts, test/runners/pack.test.ts): `npm pack` of dist/ as `npm test` built it, then
 * `npm install` of the tarball into a new ESM project, kept in a folder keyed by a hash of everything the
 * tarball can hold (package.json, its `files`, README and licence). A second test file, or a later run of
 * the same build, finds the finished install and neither packs nor installs; a rebuild that changes any
 * shipped byte changes the key and packs and installs afresh.
 *
 * The shared install is read only: each test file writes its own files into a folder made inside it
 * (`scratch()`), so that the installed package still resolves from there, and removes it afterwards.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { npm, ROOT, type PackReport } from './helpers.js';

export interface Packed {
  /** The installed project: package.json, the tarball, node_modules/nectar-loss and its dependencies. */
  dir: string;
  /** What `npm pack --json` reported of the tarball. */
  packed: PackReport;
}

const PREFIX = 'nectar-loss-packed-';
/** Installs of other builds older than this are removed when a new one is made. */
const STALE_MS = 24 * 3600 * 1000;
const DONE = 'pack.json';

/**
 * A hash of every file `npm pack` can put in the tarball: package.json, the folders and files its `files`
 * lists, and the root files npm always adds (README, LICENSE and the like). Equal hashes, equal tarballs.
 */
export function packKey(): string {
  const hash = createHash('sha256');
  const add = (rel: string) => {
    const p = path.join(ROOT, rel);
    if (!existsSync(p)) return;
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p, { recursive: true, encoding: 'utf8' }).sort()) {
        if (statSync(path.join(p, f)).isFile()) add(path.join(rel, f));
      }
      return;
    }
    hash.update(`${rel}\0`).update(readFileSync(p)).update('\0');
  };
  const { files = [] } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    files?: string[];
  };
  const always = readdirSync(ROOT).filter((f) =>
    /^(package\.json|\.npmignore|(readme|licen[cs]e|notice)\b.*)$/i.test(f),
  );
  for (const rel of [...always.sort(), ...files]) add(rel);
  return hash.digest('hex').slice(0, 40);
}

/** `npm pack` into `stage`: what npm reports of the tarball. */
function pack(stage: string): PackReport {
  const r = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', stage], ROOT);
  if (r.code !== 0) throw new Error(`npm pack failed: ${r.out}`);
  return (JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as PackReport[])[0]!;
}

/** `npm install` of the tarball in `stage` as a new ESM project; throws with npm's last lines. */
function install(stage: string, packed: PackReport): void {
  writeFileSync(
    path.join(stage, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  // --prefer-offline: the dependencies are in npm's cache since `npm ci`; the registry is asked otherwise.
  const r = npm(['install', '--prefer-offline', '--no-audit', '--no-fund', `./${packed.filename}`], stage);
  if (r.code !== 0)
    throw new Error(`npm install of the tarball failed: ${r.out.split('\n').slice(-3).join(' ')}`);
}

/** Moves a finished `stage` to `dir` in one rename; when another process got there first, keeps theirs. */
function publish(stage: string, dir: string, packed: PackReport): void {
  writeFileSync(path.join(stage, DONE), JSON.stringify(packed));
  try {
    renameSync(stage, dir);
  } catch (err) {
    rmSync(stage, { recursive: true, force: true });
    if (!existsSync(path.join(dir, DONE))) throw err;
  }
}

const report = (dir: string) => JSON.parse(readFileSync(path.join(dir, DONE), 'utf8')) as PackReport;

/** Removes the installs of other builds under `parent` that nothing has touched for a day. */
function prune(parent: string, keep: string): void {
  for (const name of readdirSync(parent)) {
    const p = path.join(parent, name);
    if (!name.startsWith(PREFIX) || p === keep) continue;
    try {
      if (Date.now() - statSync(p).mtimeMs > STALE_MS) rmSync(p, { recursive: true, force: true });
    } catch {
      // Removed meanwhile by another run.
    }
  }
}

/**
 * The installed package under `parent` (default: the system's temporary folder, outside this repository,
 * so that nothing resolves from the repository's own node_modules). Throws when `npm pack` or
 * `npm install` fails.
 */
export function packedInstall(parent = os.tmpdir()): Packed {
  mkdirSync(parent, { recursive: true });
  const dir = path.join(parent, `${PREFIX}${packKey()}`);
  if (existsSync(path.join(dir, DONE))) return { dir, packed: report(dir) };
  const stage = mkdtempSync(path.join(parent, `${PREFIX}stage-`));
  let packed: PackReport;
  try {
    packed = pack(stage);
    install(stage, packed);
  } catch (err) {
    rmSync(stage, { recursive: true, force: true });
    throw err;
  }
  publish(stage, dir, packed);
  prune(parent, dir);
  return { dir, packed: report(dir) };
}

/**
 * The same install copied under `parent` (a folder inside the repository, where the test runners, dev
 * dependencies, resolve from the repository's node_modules while nectar-loss resolves from the copy's):
 * hard links where the file system allows, a plain copy otherwise.
 */
export function packedInstallUnder(parent: string): Packed {
  const shared = packedInstall();
  mkdirSync(parent, { recursive: true });
  const dir = path.join(parent, path.basename(shared.dir));
  if (existsSync(path.join(dir, DONE))) return { dir, packed: report(dir) };
  const stage = mkdtempSync(path.join(parent, `${PREFIX}stage-`));
  rmSync(stage, { recursive: true });
  const linked = spawnSync('cp', ['-al', shared.dir, stage]);
  if (linked.status !== 0) {
    rmSync(stage, { recursive: true, force: true });
    cpSync(shared.dir, stage, { recursive: true, verbatimSymlinks: true });
  }
  rmSync(path.join(stage, DONE));
  publish(stage, dir, shared.packed);
  prune(parent, dir);
  return { dir, packed: shared.packed };
}

/** A new empty folder inside a shared install, for one test file's own files (remove it afterwards). */
export function scratch(p: Packed): string {
  return mkdtempSync(path.join(p.dir, 'scratch-'));
}

/** Compiles the .ts files of `dir` in a strict NodeNext project (with `extra` compiler options); must pass. */
export function typecheck(dir: string, extra: Record<string, unknown>, files = ['*.ts']): void {
  const compilerOptions = {
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2022',
    strict: true,
    noEmit: true,
    types: ['node'],
    ...extra,
  };
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: files }));
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
}
