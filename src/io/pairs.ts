import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { Pair, Pairing, Unpaired } from '../model.js';

/** Extensions taken as images when walking folders (formats sharp decodes). */
export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff', '.gif', '.avif', '.heif', '.heic']);

export type { Pair, Pairing, Unpaired } from '../model.js';

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A folder's entries, sorted by name (so the walk, and which path reaches a directory first, are fixed). */
async function entries(dir: string): Promise<Dirent[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).sort((a, b) => byName(a.name, b.name));
  } catch (err) {
    throw new UserError(`${dir}: cannot read folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/**
 * Every image below `dir`, as relative paths with '/' separators, sorted. Symbolic links are followed, to
 * files and folders, but each real folder (device and inode) is visited once, so link cycles end. Names
 * with an image extension are listed whatever they are (a dangling link, a FIFO): reading them later
 * reports that pair's error instead of skipping it. Asynchronous: signals are handled during a long walk.
 */
async function walk(dir: string): Promise<string[]> {
  const root = await stat(dir).catch(() => undefined);
  if (!root) throw new UserError(`${dir}: no such folder`);
  if (!root.isDirectory()) throw new UserError(`${dir}: not a folder`);
  const seen = new Set([`${root.dev}:${root.ino}`]);
  const out: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    for (const e of await entries(path.join(dir, rel))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const image = IMAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase());
      if (e.isDirectory() || e.isSymbolicLink()) {
        const st = await stat(path.join(dir, r)).catch(() => undefined);
        if (st?.isDirectory()) {
          const key = `${st.dev}:${st.ino}`;
          if (!seen.has(key)) {
            seen.add(key);
            await visit(r);
          }
          continue;
        }
      }
      if (image) out.push(r);
    }
  };
  await visit('');
  return out.sort(byName);
}

/**
 * Output stems, unique per folder: a pair's file name without its extension, or with it (`a.png`, `a.jpg`)
 * where two names in one folder would otherwise meet (compared without case, as macOS and Windows file
 * systems do). Computed over all pairs, before any --shard, so every shard names alike.
 */
function withStems(pairs: Omit<Pair, 'stem'>[], names: 'files' | 'prefixes'): Pair[] {
  // NectarGAN pair names are prefixes (`epoch3_1_B`) with no extension to drop.
  const stemOf = (name: string) => path.posix.basename(name, names === 'files' ? path.posix.extname(name) : '');
  const key = (name: string) => `${path.posix.dirname(name)}/${stemOf(name)}`.toLowerCase();
  const count = new Map<string, number>();
  for (const p of pairs) count.set(key(p.name), (count.get(key(p.name)) ?? 0) + 1);
  return pairs.map((p) => ({ ...p, stem: count.get(key(p.name))! > 1 ? path.posix.basename(p.name) : stemOf(p.name) }));
}

/** `batch <realDir> <fakeDir>`: files with the same relative path, recursively. */
export async function pairFolders(realDir: string, fakeDir: string): Promise<Pairing> {
  const [realList, fakeList] = await Promise.all([walk(realDir), walk(fakeDir)]);
  const reals = new Set(realList), fakes = new Set(fakeList);
  const pairs: Omit<Pair, 'stem'>[] = [];
  const unpaired: Unpaired[] = [];
  for (const rel of [...new Set([...reals, ...fakes])].sort(byName)) {
    const real = path.join(realDir, rel), fake = path.join(fakeDir, rel);
    if (!fakes.has(rel)) unpaired.push({ name: rel, real, error: `no fake counterpart: ${fake} does not exist` });
    else if (!reals.has(rel)) unpaired.push({ name: rel, fake, error: `no baseline: ${real} does not exist`, new: true });
    else pairs.push({ name: rel, real, fake });
  }
  const looked = `images (${[...IMAGE_EXTENSIONS].join(' ')}, recursively)`;
  if (!reals.size && !fakes.size) throw new UserError(`no ${looked} found in ${realDir} or ${fakeDir}`);
  if (!pairs.length && reals.size) throw new UserError(`nothing pairs up: ${reals.size} images in ${realDir} and ${fakes.size} in ${fakeDir}, none at the same relative path`);
  return { pairs: withStems(pairs, 'files'), unpaired, layout: 'folders' };
}

// NectarGAN's file names: the tester's `N_B_real.png` / `N_B_fake.png`, the trainer's
// `epochE_i_B_real.png` / `epochE_i_B_fake.png`; `*_A_real` is the generator's input and is ignored.
const NECTAR = /^(.*_B)_(real|fake)(\.[^.]+)$/;
const EPOCH = /^epoch(\d+)_\d+_B$/;

/** `batch <dir>`: NectarGAN's own output folders (recursively). */
export async function pairNectarGAN(dir: string): Promise<Pairing> {
  const groups = new Map<string, { real?: string; fake?: string }>();
  for (const rel of await walk(dir)) {
    const m = NECTAR.exec(path.posix.basename(rel));
    if (!m) continue;
    const name = path.posix.join(path.posix.dirname(rel), m[1]!);
    const g = groups.get(name) ?? {};
    g[m[2] as 'real' | 'fake'] = path.join(dir, rel);
    groups.set(name, g);
  }
  if (!groups.size) throw new UserError(`${dir}: no NectarGAN outputs (*_B_real.* and *_B_fake.*) found; to compare two folders, give both`);
  const pairs: Omit<Pair, 'stem'>[] = [];
  const unpaired: Unpaired[] = [];
  for (const name of [...groups.keys()].sort(byName)) {
    const g = groups.get(name)!;
    if (!g.fake) unpaired.push({ name, real: g.real, error: `no ${name}_fake counterpart` });
    else if (!g.real) unpaired.push({ name, fake: g.fake, error: `no ${name}_real counterpart` });
    else {
      const e = EPOCH.exec(path.posix.basename(name));
      pairs.push({ name, real: g.real, fake: g.fake, ...(e ? { epoch: Number(e[1]) } : {}) });
    }
  }
  return { pairs: withStems(pairs, 'prefixes'), unpaired, layout: 'nectargan' };
}
