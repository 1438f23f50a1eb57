import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFile,
  renameSync,
  rmSync,
  unlinkSync,
  writeFile,
} from 'node:fs';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { UserError } from '../errors.js';
import { variantPath, type ApprovalEntry, type Decision } from '../model.js';
import { checkHashes, compareHashes, rootGuard, RefusedError, type SideHashes } from './approvals.js';
import { mapLimit } from './parallel.js';
import { tempPath, watchFolder } from './temp.js';
import { removeEmptyBelow } from './write.js';

/** What applying one decision does to the baseline folder. */
export interface Change {
  path: string;
  decision: Decision;
  /** replaced / written (a new baseline) / removed (obsolete) / variant (another accepted baseline) / left. */
  action: 'replaced' | 'written' | 'removed' | 'variant' | 'left';
  /** The baseline file changed, relative to the baseline folder (posix); the pair's path when left. */
  file: string;
}

interface Step extends Change {
  /** Absolute: the baseline written or removed; the current image copied from. */
  dest: string;
  from?: string;
}

export interface ApproveDirs {
  baselineDir: string;
  currentDir: string;
}

/** An entry with its two files, both inside their folders. */
interface Located {
  e: ApprovalEntry;
  dest: string;
  from: string;
}

/** A staged copy: the temporary file beside its destination. */
interface Staged {
  tmp: string;
  dest: string;
}

/** Files hashed, copies made at once: parallel reads on the thread pool, few open files. */
const PARALLEL = 16;

const posix = (p: string) => p.split(path.sep).join('/');
const strip = ({ path: p, decision, action, file }: Change): Change => ({ path: p, decision, action, file });

/** Every entry's files, each path checked against its folder (nothing is read or changed here). */
function locate(entries: readonly ApprovalEntry[], dirs: ApproveDirs): Located[] {
  for (const [d, what] of [
    [dirs.baselineDir, 'baseline'],
    [dirs.currentDir, 'current'],
  ] as const)
    if (!existsSync(d)) throw new UserError(`the ${what} folder ${d} does not exist`);
  const base = rootGuard(dirs.baselineDir, 'baseline');
  const cur = rootGuard(dirs.currentDir, 'current');
  return entries.map((e) => ({ e, dest: base(e.path), from: cur(e.path) }));
}

/** The step of one located entry whose hashes were checked; `taken` holds the variant names planned. */
function stepOf({ e, dest, from }: Located, taken: Set<string>, baselineDir: string): Step {
  if (e.decision === 'reject')
    return { path: e.path, decision: e.decision, action: 'left', file: e.path, dest };
  if (e.decision === 'variant') {
    if (e.baseline === null || e.current === null)
      throw new RefusedError(`${e.path}: only a changed pair (baseline and current image) takes a variant`);
    let n = 1;
    while (existsSync(variantPath(dest, n)) || taken.has(variantPath(dest, n))) n++;
    const v = variantPath(dest, n);
    taken.add(v);
    const file = posix(path.relative(baselineDir, v));
    return { path: e.path, decision: e.decision, action: 'variant', file, dest: v, from };
  }
  const action = e.current === null ? 'removed' : e.baseline === null ? 'written' : 'replaced';
  return { path: e.path, decision: e.decision, action, file: e.path, dest, ...(e.current ? { from } : {}) };
}

/** The steps of located entries, every hash checked first (`hashes`: found already, else read here). */
function plan(located: readonly Located[], baselineDir: string, hashes?: readonly SideHashes[]): Step[] {
  for (const [i, l] of located.entries())
    if (l.e.decision !== 'reject')
      if (hashes) compareHashes(l.e, hashes[i]!);
      else checkHashes(l.e, l.dest, l.from);
  const taken = new Set<string>();
  return located.map((l) => stepOf(l, taken, baselineDir));
}

/** The steps of the decisions, every check done first (hash, path): nothing is changed here. */
export function planApprovals(entries: readonly ApprovalEntry[], dirs: ApproveDirs): Step[] {
  return plan(locate(entries, dirs), dirs.baselineDir);
}

/** The temporary names of the steps that copy an image, their folders made; `made`: the folders made. */
function stagePaths(live: readonly Step[], made: string[]): (Staged & { from: string })[] {
  const seed = randomBytes(4).readUInt32BE() & 0x7fffffff;
  const dirs = new Set<string>();
  return live
    .filter((s) => s.from !== undefined)
    .map((s, i) => {
      const dir = path.dirname(s.dest);
      if (!dirs.has(dir)) {
        dirs.add(dir);
        if (mkdirSync(dir, { recursive: true })) made.push(dir);
      }
      const tag = (seed + i).toString(16).padStart(8, '0');
      return { tmp: tempPath(dir, path.basename(s.dest), tag), dest: s.dest, from: s.from! };
    });
}

/** Undoes staging: the temporary copies and the folders made for them. */
function unstage(staged: readonly Staged[], made: readonly string[], baselineDir: string): void {
  for (const s of staged) rmSync(s.tmp, { force: true });
  for (const d of made) removeEmptyBelow(d, baselineDir);
}

const failure = (err: unknown) =>
  new UserError(
    `cannot apply the approvals (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing was changed`,
  );

/**
 * Moves the staged copies into place, all or nothing, synchronously (no signal handler runs in between):
 * every baseline replaced or removed is moved into a stash folder in the baseline folder, then the copies
 * are renamed into place. If any rename fails, the placed files are removed, the stashed baselines put
 * back and the copies removed.
 */
function commit(
  live: readonly Step[],
  staged: readonly Staged[],
  made: readonly string[],
  baselineDir: string,
) {
  const stash = path.join(
    baselineDir,
    `.nectar-loss-approve.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const stashed: { from: string; to: string }[] = [];
  const placed: string[] = [];
  try {
    if (live.some((s) => s.action === 'replaced' || s.action === 'removed')) mkdirSync(stash);
    for (const [i, s] of live.entries())
      if (s.action === 'replaced' || s.action === 'removed') {
        renameSync(s.dest, path.join(stash, String(i)));
        stashed.push({ from: s.dest, to: path.join(stash, String(i)) });
      }
    for (const s of staged) {
      renameSync(s.tmp, s.dest);
      placed.push(s.dest);
    }
  } catch (err) {
    for (const p of placed) rmSync(p, { force: true });
    for (const m of stashed.reverse()) renameSync(m.to, m.from);
    rmSync(stash, { recursive: true, force: true });
    unstage(staged, made, baselineDir);
    throw failure(err);
  }
  // The old baselines: one unlink each (no walk of the stash), then the empty stash.
  for (const m of stashed)
    try {
      unlinkSync(m.to);
    } catch {
      // Left in the stash, removed with it below.
    }
  if (stashed.length) rmSync(stash, { recursive: true, force: true });
  for (const s of live) if (s.action === 'removed') removeEmptyBelow(path.dirname(s.dest), baselineDir);
}

/**
 * Applies the steps all or nothing, synchronously: every new file is first copied to a temporary name
 * beside its destination, then committed (above). If any step fails, nothing is changed.
 */
export function applySteps(steps: readonly Step[], baselineDir: string): Change[] {
  const live = steps.filter((s) => s.action !== 'left');
  const made: string[] = [];
  const staged: Staged[] = [];
  try {
    for (const s of stagePaths(live, made)) {
      staged.push(s);
      copyFileSync(s.from, s.tmp);
    }
  } catch (err) {
    unstage(staged, made, baselineDir);
    throw failure(err);
  }
  commit(live, staged, made, baselineDir);
  return steps.map(strip);
}

// The callback API, promisified: far less overhead per small file than node:fs/promises' FileHandle.
const read = promisify(readFile);
const write = promisify(writeFile);

/** A file's bytes and their SHA-256; null when it does not exist. */
async function readHashed(file: string): Promise<{ bytes: Buffer; hash: string } | null> {
  let bytes: Buffer;
  try {
    bytes = await read(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new UserError(`cannot read ${file} (${code ?? (err as Error).message})`);
  }
  return { bytes, hash: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * Every located entry's two files read and hashed, at most PARALLEL at a time; unless `dryRun`, each
 * current image that an accept or variant will place is written at once, from the bytes just hashed, to a
 * temporary name beside its baseline (`staged`; its folder made, in `made`): what is placed is byte for
 * byte what the check saw, and each file is read once.
 */
async function readAll(located: readonly Located[], dryRun: boolean, staged: Staged[], made: string[]) {
  const seed = randomBytes(4).readUInt32BE() & 0x7fffffff;
  const dirs = new Set<string>();
  return mapLimit(located, PARALLEL, async ({ e, dest, from }, i): Promise<SideHashes & { tmp?: string }> => {
    if (e.decision === 'reject') return { baseline: null, current: null };
    const [b, c] = await Promise.all([readHashed(dest), readHashed(from)]);
    const found = { baseline: b?.hash ?? null, current: c?.hash ?? null };
    if (dryRun || !c || found.current !== e.current || found.baseline !== e.baseline) return found;
    const dir = path.dirname(dest);
    if (!dirs.has(dir)) {
      dirs.add(dir);
      const top = mkdirSync(dir, { recursive: true });
      if (top) made.push(dir);
    }
    const tmp = tempPath(dir, path.basename(dest), ((seed + i) % 0xffffffff).toString(16).padStart(8, '0'));
    staged.push({ tmp, dest });
    await write(tmp, c.bytes, { flag: 'wx' });
    return { ...found, tmp };
  });
}

/**
 * Checks then applies (or, dryRun, only checks) many decisions: the files read, hashed and (the current
 * images to place) written to temporary names in parallel, the hashes checked, then every change made in
 * one synchronous pass of renames (commit). A refusal or a failure removes the temporary files; a signal
 * meanwhile does too (the baseline folder is watched, io/temp.ts).
 */
export async function approveAll(
  entries: readonly ApprovalEntry[],
  dirs: ApproveDirs,
  dryRun = false,
): Promise<Change[]> {
  const located = locate(entries, dirs);
  const staged: Staged[] = [];
  const made: string[] = [];
  if (!dryRun) watchFolder(dirs.baselineDir);
  let steps: Step[];
  let live: Step[];
  const placed: Staged[] = [];
  try {
    const found = await readAll(located, dryRun, staged, made);
    steps = plan(located, dirs.baselineDir, found);
    live = steps.filter((s) => s.action !== 'left');
    // Each step that copies, its staged file (renamed to a variant's name where it adds one).
    for (const [i, s] of steps.entries())
      if (found[i]!.tmp) placed.push({ tmp: found[i]!.tmp!, dest: s.dest });
  } catch (err) {
    unstage(staged, made, dirs.baselineDir);
    throw err instanceof UserError ? err : failure(err);
  }
  if (dryRun) return steps.map(strip);
  commit(live, placed, made, dirs.baselineDir);
  return steps.map(strip);
}
/** Checks then applies (or, dryRun, only checks) the decisions, synchronously; what changed (or would). */
export function approve(entries: readonly ApprovalEntry[], dirs: ApproveDirs, dryRun = false): Change[] {
  const steps = planApprovals(entries, dirs);
  return dryRun ? steps.map(strip) : applySteps(steps, dirs.baselineDir);
}
