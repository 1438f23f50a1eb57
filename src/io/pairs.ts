import path from 'node:path';
import { UserError } from '../errors.js';
import { VARIANT, type Pair, type Pairing, type Unpaired } from '../model.js';
import { uniqueStems } from './stems.js';
import { walkFolder, type Walk } from './walk.js';

/** Extensions taken as images when walking folders (formats sharp decodes). */
export const IMAGE_EXTENSIONS = new Set([
  '.png',
  '.jpg',
  '.jpeg',
  '.webp',
  '.tif',
  '.tiff',
  '.gif',
  '.avif',
  '.heif',
  '.heic',
]);

export type { Pair, Pairing, Unpaired } from '../model.js';

const isImage = (name: string) => IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
const LOOKED_FOR = [...IMAGE_EXTENSIONS].join(' ');

/** A pair before its output stem is fixed. */
type Found = Omit<Pair, 'stem'> & { long: string };

/** The pairs with their stems (io/stems.ts: unique per pair). */
function withStems(found: Found[]): Pair[] {
  const stems = uniqueStems(found.map((f) => ({ short: stripExt(f.name), long: f.long })));
  return found.map(({ long: _, ...p }, i) => ({ ...p, stem: stems[i] }));
}

function stripExt(rel: string): string {
  const ext = path.posix.extname(rel);
  return IMAGE_EXTENSIONS.has(ext.toLowerCase()) ? rel.slice(0, -ext.length) : rel;
}

/** Sub-folders a walk could not list: each is an error of the batch, not a silent gap. */
function unlisted(w: Walk, dir: string, role: 'real' | 'fake' | 'NectarGAN'): Unpaired[] {
  return w.unreadable.map((u) => ({
    name: `${u.rel}/`,
    error: `cannot list the ${role} folder ${path.join(dir, u.rel)}: ${u.error}`,
  }));
}

/**
 * The baselines, less the accepted variants of live snapshots: `name.variant-<n>.png` beside a `name.png`
 * that has a current image (and no current image of its own name). Returns the variants per baseline, by n.
 */
function splitVariants(
  files: string[],
  fakes: Set<string>,
): { reals: Set<string>; variants: Map<string, string[]> } {
  const all = new Set(files);
  const variants = new Map<string, { n: number; rel: string }[]>();
  const reals = new Set<string>();
  for (const rel of files) {
    const m = VARIANT.exec(rel);
    const base = m ? `${m[1]}${(m[3] as string | undefined) ?? ''}` : undefined;
    if (!m || !base || !all.has(base) || !fakes.has(base) || fakes.has(rel)) reals.add(rel);
    else variants.set(base, [...(variants.get(base) ?? []), { n: Number(m[2]), rel }]);
  }
  const sorted = new Map([...variants].map(([k, v]) => [k, v.sort((a, b) => a.n - b.n).map((x) => x.rel)]));
  return { reals, variants: sorted };
}

/** `batch <realDir> <fakeDir>`: files with the same relative path, recursively. */
export async function pairFolders(realDir: string, fakeDir: string): Promise<Pairing> {
  const [rw, fw] = await Promise.all([walkFolder(realDir, isImage), walkFolder(fakeDir, isImage)]);
  const fakes = new Set(fw.files);
  const { reals, variants } = splitVariants(rw.files, fakes);
  const found: Found[] = [];
  const unpaired: Unpaired[] = [...unlisted(rw, realDir, 'real'), ...unlisted(fw, fakeDir, 'fake')];
  for (const rel of [...new Set([...reals, ...fakes])].sort()) {
    const real = path.join(realDir, rel),
      fake = path.join(fakeDir, rel);
    if (!fakes.has(rel))
      unpaired.push({
        name: rel,
        real,
        error: `obsolete baseline: no current image ${fake}`,
        obsolete: true,
      });
    else if (!reals.has(rel))
      unpaired.push({ name: rel, fake, error: `no baseline: ${real} does not exist`, new: true });
    else {
      const v = variants.get(rel)?.map((r) => path.join(realDir, r));
      found.push({ name: rel, real, fake, long: rel, ...(v ? { variants: v } : {}) });
    }
  }
  // An empty baseline folder beside current images is a first run (every image `new`), not a wrong path.
  if (!found.length && (reals.size > 0 || fakes.size === 0)) {
    const unread = rw.unreadable.length + fw.unreadable.length;
    throw new UserError(
      `no pairs in ${realDir} and ${fakeDir}: no image has the same relative path in both (looked for ${LOOKED_FOR}, recursively; found ${reals.size} in ${realDir}, ${fakes.size} in ${fakeDir}${unread ? `; ${unread} sub-folders could not be listed` : ''})`,
    );
  }
  return { pairs: withStems(found), unpaired, layout: 'folders' };
}

// NectarGAN's file names: the tester's `N_B_real.png` / `N_B_fake.png`, the trainer's
// `epochE_i_B_real.png` / `epochE_i_B_fake.png`; `*_A_real` is the generator's input and is ignored.
const NECTAR = /^(.*_B)_(real|fake)(\.[^.]+)$/;
const EPOCH = /^epoch(\d+)_\d+_B$/;

/** One pair prefix's images, by side. */
interface Group {
  real: string[];
  fake: string[];
}

/** `batch <dir>`: NectarGAN's own output folders (recursively). */
export async function pairNectarGAN(dir: string): Promise<Pairing> {
  const w = await walkFolder(dir, isImage);
  const groups = new Map<string, Group>();
  for (const rel of w.files) {
    const m = NECTAR.exec(path.posix.basename(rel));
    if (!m) continue;
    const name = path.posix.join(path.posix.dirname(rel), m[1]);
    const g = groups.get(name) ?? { real: [], fake: [] };
    g[m[2] as 'real' | 'fake'].push(path.join(dir, rel));
    groups.set(name, g);
  }
  const found: Found[] = [];
  const unpaired: Unpaired[] = unlisted(w, dir, 'NectarGAN');
  for (const name of [...groups.keys()].sort()) groupPairs(name, groups.get(name)!, found, unpaired);
  if (!found.length) {
    const named = [...groups.values()].reduce((n, g) => n + g.real.length + g.fake.length, 0);
    throw new UserError(
      `${dir}: no NectarGAN outputs pair up (looked for *_B_real.<ext> beside *_B_fake.<ext>, <ext> one of ` +
        `${LOOKED_FOR}, recursively; found ${w.files.length} images, ${named} with such names); to compare ` +
        `two folders, give both`,
    );
  }
  return { pairs: withStems(found), unpaired, layout: 'nectargan' };
}

/**
 * The pairs of one prefix: its real and fake, whatever their extensions, when it has one of each; else
 * (`3_B_real.png` and `3_B_real.jpg`, …) real and fake with the same extension, each pair named with it
 * (`3_B.png`). What is left has no counterpart.
 */
function groupPairs(name: string, g: Group, found: Found[], unpaired: Unpaired[]): void {
  const e = EPOCH.exec(path.posix.basename(name));
  const epoch = e ? { epoch: Number(e[1]) } : {};
  const ext = (f: string) => path.extname(f);
  if (g.real.length === 1 && g.fake.length === 1) {
    found.push({ name, real: g.real[0], fake: g.fake[0], long: name + ext(g.real[0]), ...epoch });
    return;
  }
  const single = g.real.length + g.fake.length === 1;
  for (const real of g.real) {
    const fake = g.fake.find((f) => ext(f).toLowerCase() === ext(real).toLowerCase());
    const label = single ? name : name + ext(real);
    if (fake) found.push({ name: label, real, fake, long: label, ...epoch });
    else
      unpaired.push({
        name: label,
        real,
        error: `no ${name}_fake counterpart${single ? '' : ` with the extension ${ext(real)}`}`,
      });
  }
  for (const fake of g.fake.filter(
    (f) => !g.real.some((r) => ext(r).toLowerCase() === ext(f).toLowerCase()),
  )) {
    const label = single ? name : name + ext(fake);
    unpaired.push({
      name: label,
      fake,
      error: `no ${name}_real counterpart${single ? '' : ` with the extension ${ext(fake)}`}`,
    });
  }
}
