import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { UserError } from '../errors.js';
import { variantPath, type ApprovalEntry, type Decision } from '../model.js';
import { checkHashes, insideRoot, RefusedError } from './approvals.js';
import { tempPath } from './temp.js';
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

const posix = (p: string) => p.split(path.sep).join('/');

/** The steps of the decisions, every check done first (hash, path): nothing is changed here. */
export function planApprovals(entries: readonly ApprovalEntry[], dirs: ApproveDirs): Step[] {
  for (const [d, what] of [
    [dirs.baselineDir, 'baseline'],
    [dirs.currentDir, 'current'],
  ] as const)
    if (!existsSync(d)) throw new UserError(`the ${what} folder ${d} does not exist`);
  const taken = new Set<string>();
  return entries.map((e) => {
    const dest = insideRoot(dirs.baselineDir, e.path, 'baseline');
    const from = insideRoot(dirs.currentDir, e.path, 'current');
    if (e.decision === 'reject')
      return { path: e.path, decision: e.decision, action: 'left', file: e.path, dest };
    checkHashes(e, dest, from);
    if (e.decision === 'variant') {
      if (e.baseline === null || e.current === null)
        throw new RefusedError(`${e.path}: only a changed pair (baseline and current image) takes a variant`);
      let n = 1;
      while (existsSync(variantPath(dest, n)) || taken.has(variantPath(dest, n))) n++;
      taken.add(variantPath(dest, n));
      const v = variantPath(dest, n);
      return {
        path: e.path,
        decision: e.decision,
        action: 'variant',
        file: posix(path.relative(dirs.baselineDir, v)),
        dest: v,
        from,
      };
    }
    const action = e.current === null ? 'removed' : e.baseline === null ? 'written' : 'replaced';
    return {
      path: e.path,
      decision: e.decision,
      action,
      file: e.path,
      dest,
      ...(e.current === null ? {} : { from }),
    };
  });
}

/**
 * Applies the steps all or nothing, synchronously (no signal handler runs in between): every new file is
 * first copied to a temporary name beside its destination, every baseline replaced or removed is moved into a
 * stash folder in the baseline folder, then the copies are renamed into place. If any step fails, the
 * copies and the renamed files are removed and the stashed baselines put back.
 */
export function applySteps(steps: readonly Step[], baselineDir: string): Change[] {
  const stash = path.join(
    baselineDir,
    `.nectar-loss-approve.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const staged: { tmp: string; dest: string }[] = [];
  const stashed: { from: string; to: string }[] = [];
  const placed: string[] = [];
  const made: string[] = [];
  const live = steps.filter((s) => s.action !== 'left');
  try {
    if (live.some((s) => s.action === 'replaced' || s.action === 'removed')) mkdirSync(stash);
    for (const s of live.filter((x) => x.from !== undefined)) {
      const top = mkdirSync(path.dirname(s.dest), { recursive: true });
      if (top) made.push(path.dirname(s.dest));
      const tmp = tempPath(path.dirname(s.dest), path.basename(s.dest));
      staged.push({ tmp, dest: s.dest });
      copyFileSync(s.from!, tmp);
    }
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
    for (const s of staged) rmSync(s.tmp, { force: true });
    for (const p of placed) rmSync(p, { force: true });
    for (const m of stashed.reverse()) renameSync(m.to, m.from);
    rmSync(stash, { recursive: true, force: true });
    for (const d of made) removeEmptyBelow(d, baselineDir);
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UserError(`cannot apply the approvals (${why}); nothing was changed`);
  }
  rmSync(stash, { recursive: true, force: true });
  for (const s of live) if (s.action === 'removed') removeEmptyBelow(path.dirname(s.dest), baselineDir);
  return steps.map(({ path: p, decision, action, file }) => ({ path: p, decision, action, file }));
}

/** Checks then applies (or, dryRun, only checks) the decisions; what changed (or would). */
export function approve(entries: readonly ApprovalEntry[], dirs: ApproveDirs, dryRun = false): Change[] {
  const steps = planApprovals(entries, dirs);
  return dryRun
    ? steps.map(({ path: p, decision, action, file }) => ({ path: p, decision, action, file }))
    : applySteps(steps, dirs.baselineDir);
}
