import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { Pair, Pairing, Unpaired } from '../model.js';

/** Extensions taken as images when walking folders (formats sharp decodes). */
export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff', '.gif', '.avif', '.heif', '.heic']);

export type { Pair, Pairing, Unpaired } from '../model.js';

/** Every image file below `dir`, as relative paths with '/' separators, sorted. */
function walk(dir: string): string[] {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new UserError(`${dir}: no such folder`);
  }
  if (!st.isDirectory()) throw new UserError(`${dir}: not a folder`);
  const out: string[] = [];
  const visit = (rel: string) => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      let isDir = e.isDirectory(), isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const s = statSync(path.join(dir, r));
          isDir = s.isDirectory();
          isFile = s.isFile();
        } catch {
          continue; // dangling link
        }
      }
      if (isDir) visit(r);
      else if (isFile && IMAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase())) out.push(r);
    }
  };
  visit('');
  return out.sort();
}

/** `batch <realDir> <fakeDir>`: files with the same relative path, recursively. */
export function pairFolders(realDir: string, fakeDir: string): Pairing {
  const reals = new Set(walk(realDir));
  const fakes = new Set(walk(fakeDir));
  const pairs: Pair[] = [];
  const unpaired: Unpaired[] = [];
  for (const rel of [...new Set([...reals, ...fakes])].sort()) {
    const real = path.join(realDir, rel), fake = path.join(fakeDir, rel);
    if (!fakes.has(rel)) unpaired.push({ name: rel, real, error: `no fake counterpart: ${fake} does not exist` });
    else if (!reals.has(rel)) unpaired.push({ name: rel, fake, error: `no baseline: ${real} does not exist`, new: true });
    else pairs.push({ name: rel, real, fake });
  }
  return { pairs, unpaired, layout: 'folders' };
}

// NectarGAN's file names: the tester's `N_B_real.png` / `N_B_fake.png`, the trainer's
// `epochE_i_B_real.png` / `epochE_i_B_fake.png`; `*_A_real` is the generator's input and is ignored.
const NECTAR = /^(.*_B)_(real|fake)(\.[^.]+)$/;
const EPOCH = /^epoch(\d+)_\d+_B$/;

/** `batch <dir>`: NectarGAN's own output folders (recursively). */
export function pairNectarGAN(dir: string): Pairing {
  const groups = new Map<string, { real?: string; fake?: string }>();
  for (const rel of walk(dir)) {
    const m = NECTAR.exec(path.posix.basename(rel));
    if (!m) continue;
    const name = path.posix.join(path.posix.dirname(rel), m[1]!);
    const g = groups.get(name) ?? {};
    g[m[2] as 'real' | 'fake'] = path.join(dir, rel);
    groups.set(name, g);
  }
  if (!groups.size) throw new UserError(`${dir}: no NectarGAN outputs (*_B_real.* and *_B_fake.*) found; to compare two folders, give both`);
  const pairs: Pair[] = [];
  const unpaired: Unpaired[] = [];
  for (const name of [...groups.keys()].sort()) {
    const g = groups.get(name)!;
    if (!g.fake) unpaired.push({ name, real: g.real, error: `no ${name}_fake counterpart` });
    else if (!g.real) unpaired.push({ name, fake: g.fake, error: `no ${name}_real counterpart` });
    else {
      const e = EPOCH.exec(path.posix.basename(name));
      pairs.push({ name, real: g.real, fake: g.fake, ...(e ? { epoch: Number(e[1]) } : {}) });
    }
  }
  return { pairs, unpaired, layout: 'nectargan' };
}
