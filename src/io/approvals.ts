import { existsSync, lstatSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.js';
import type { ApprovalEntry, Approvals } from '../model.js';
import { sha256FileSync } from './hash.js';

/** A file changed since the report showed it (`serve` answers 409). */
export class MovedOnError extends UserError {
  override name = 'MovedOnError';
}

/** A path that leaves the baseline or current folder, or approvals of another report (`serve`: 403). */
export class RefusedError extends UserError {
  override name = 'RefusedError';
}

const sha = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'a SHA-256 in lowercase hex')
  .nullable();

/** One entry of `pairs` (also the body of `serve`'s POST /approve). */
export const ApprovalEntrySchema = z.object({
  path: z.string().min(1),
  decision: z.enum(['accept', 'reject', 'variant']),
  baseline: sha,
  current: sha,
});

export const ApprovalsSchema = z.object({
  nectarLossApprovals: z.literal(1),
  report: z.string().min(1),
  baselineDir: z.string().min(1),
  currentDir: z.string().min(1),
  pairs: z.array(ApprovalEntrySchema),
});

/** The first problem zod found, as one line: `pairs.2.decision: …`. */
export function schemaProblem(err: z.ZodError): string {
  const i = err.issues.at(0);
  return i ? `${i.path.join('.') || '(top)'}: ${i.message}` : 'invalid';
}

/** Reads and checks approvals.json. */
export function readApprovals(file: string): Approvals {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UserError(`${file}: cannot read approvals (${why})`);
  }
  const r = ApprovalsSchema.safeParse(raw);
  if (!r.success)
    throw new UserError(`${file}: not approvals.json of a nectar-loss report (${schemaProblem(r.error)})`);
  const seen = new Set<string>();
  for (const p of r.data.pairs) {
    if (seen.has(p.path)) throw new UserError(`${file}: pair ${p.path} is decided twice`);
    seen.add(p.path);
  }
  return r.data;
}

/** The run id a report page carries (<script id="run">), for `approve --report` and `serve`. */
export function reportId(html: string, file: string): string {
  const m = /<script id="run" type="application\/json">(.*?)<\/script>/s.exec(html);
  const id = m ? (JSON.parse(m[1]!) as { id?: unknown }).id : undefined;
  if (typeof id !== 'string')
    throw new UserError(`${file}: not a report of a run with a baseline and a current folder (no run id)`);
  return id;
}

/** Whether `child` is `root` or inside it (both absolute, resolved). */
const within = (child: string, root: string) => {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/**
 * A checker of paths under `root`: `rel` resolved under it, refused (RefusedError) when it leaves it:
 * absolute, a `..` segment, a NUL, or a symlink (of the file or any folder on the way) that resolves
 * outside the root's real path. The real paths of folders are looked up once per checker.
 */
export function rootGuard(root: string, what: string): (rel: string) => string {
  const realRoot = realpathSync(root);
  const real = new Map<string, string>();
  const realDir = (d: string) => {
    if (!real.has(d))
      try {
        real.set(d, realpathSync(d));
      } catch {
        real.set(d, ''); // a dangling symlink: refused below
      }
    return real.get(d)!;
  };
  return (rel) => {
    const parts = rel.split(/[\\/]/);
    if (path.isAbsolute(rel) || path.win32.isAbsolute(rel) || rel.includes('\0') || parts.includes('..'))
      throw new RefusedError(`${rel}: leaves the ${what} folder`);
    const full = path.resolve(root, rel);
    if (!within(full, path.resolve(root))) throw new RefusedError(`${rel}: leaves the ${what} folder`);
    // The deepest part that exists, resolved: a symlinked folder or file may point out. A file that is no
    // symlink resolves where its folder does.
    const kind = lstatKind(full);
    let probe = kind === 'none' ? path.dirname(full) : full;
    while (lstatKind(probe) === 'none' && probe !== path.dirname(probe)) probe = path.dirname(probe);
    const dir = realDir(kind === 'file' ? path.dirname(full) : probe);
    const resolved = kind === 'file' && dir ? path.join(dir, path.basename(full)) : dir;
    if (!resolved || !within(resolved, realRoot))
      throw new RefusedError(`${rel}: leaves the ${what} folder (symlink)`);
    return full;
  };
}

/** `rel` under `root`, refused (RefusedError) when it leaves it (see rootGuard). */
export function insideRoot(root: string, rel: string, what: string): string {
  return rootGuard(root, what)(rel);
}

/** What is at a path, without following a last symlink: none, a plain file, or something else. */
function lstatKind(p: string): 'none' | 'file' | 'other' {
  try {
    return lstatSync(p).isFile() ? 'file' : 'other';
  } catch {
    return 'none';
  }
}

/** Both sides' hashes as a check sees them: null where the file does not exist. */
export interface SideHashes {
  baseline: string | null;
  current: string | null;
}

/** A file's hash as the approvals state it: null when it does not exist. */
function hashOf(file: string): string | null {
  return existsSync(file) ? sha256FileSync(file) : null;
}

/** Refuses (MovedOnError) when a side's file is not what the report showed. */
export function checkHashes(e: ApprovalEntry, baseline: string, current: string): void {
  compareHashes(e, { baseline: hashOf(baseline), current: hashOf(current) });
}

/** Refuses (MovedOnError) when a side's hash (as found) is not what the report showed. */
export function compareHashes(e: ApprovalEntry, found: SideHashes): void {
  const base = found.baseline;
  if (base !== e.baseline)
    throw new MovedOnError(
      `${e.path}: the baseline ${base === null ? 'is gone' : e.baseline === null ? 'exists now' : 'changed'} since the report (run the comparison again)`,
    );
  const cur = found.current;
  if (cur !== e.current)
    throw new MovedOnError(
      `${e.path}: the current image ${cur === null ? 'is gone' : e.current === null ? 'exists now' : 'changed'} since the report (run the comparison again)`,
    );
}
