import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { MapStats, PairComparison } from '../../model.js';

/**
 * The review's results kept beside its report (`<out>/review-cache.json`), so a rerun computes only new or
 * changed pairs. A pair's entry is keyed by the SHA-256 of both its images' bytes and every setting that
 * changes a value (losses, range, backend, drawing, nectar-loss's version): any change misses the key and
 * recomputes exactly the pairs it touches. A file's hash is kept with its size, mtime and inode: a file
 * whose stat is unchanged is not read again (the run lists the files it did read).
 */
export interface CachedPair {
  values: Record<string, number>;
  stats: Record<string, MapStats>;
  files: PairComparison['files'];
}

interface FileEntry {
  size: number;
  mtimeMs: number;
  ino: number;
  sha256: string;
}

interface CacheData {
  nectarLossReviewCache: 1;
  files: Partial<Record<string, FileEntry>>;
  pairs: Partial<Record<string, CachedPair>>;
}

export const CACHE_FILE = 'review-cache.json';

export class ReviewCache {
  /** Input files whose bytes this run read to hash them (absolute paths). */
  readonly read: string[] = [];
  private readonly usedFiles = new Map<string, FileEntry>();
  private readonly usedPairs = new Map<string, CachedPair>();

  private constructor(private readonly data: CacheData) {}

  /** An empty cache (--no-cache: every pair computed; the file is written afresh). */
  static empty(): ReviewCache {
    return new ReviewCache({ nectarLossReviewCache: 1, files: {}, pairs: {} });
  }

  /** The cache in `out`, or an empty one when there is none (or it is unreadable: then all is computed). */
  static async open(out: string): Promise<ReviewCache> {
    try {
      const d = JSON.parse(await readFile(path.join(out, CACHE_FILE), 'utf8')) as Partial<CacheData> | null;
      if (d?.nectarLossReviewCache === 1 && d.files && d.pairs)
        return new ReviewCache({ nectarLossReviewCache: 1, files: d.files, pairs: d.pairs });
    } catch {
      /* no cache yet */
    }
    return new ReviewCache({ nectarLossReviewCache: 1, files: {}, pairs: {} });
  }

  /** A file's SHA-256: read and hashed unless its size, mtime and inode are those it had when last hashed. */
  async hash(file: string): Promise<string> {
    const abs = path.resolve(file);
    const s = await stat(abs);
    const known = this.usedFiles.get(abs) ?? this.data.files[abs];
    if (known && known.size === s.size && known.mtimeMs === s.mtimeMs && known.ino === s.ino) {
      this.usedFiles.set(abs, known);
      return known.sha256;
    }
    const h = createHash('sha256');
    for await (const chunk of createReadStream(abs)) h.update(chunk as Buffer);
    const entry = { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, sha256: h.digest('hex') };
    this.read.push(abs);
    this.usedFiles.set(abs, entry);
    return entry.sha256;
  }

  get(key: string): CachedPair | undefined {
    const hit = this.usedPairs.get(key) ?? this.data.pairs[key];
    if (hit) this.usedPairs.set(key, hit);
    return hit;
  }

  set(key: string, value: CachedPair): void {
    this.usedPairs.set(key, value);
  }

  /** What to write back: only what this run used, so the cache does not grow with deleted inputs. */
  bytes(): Buffer {
    const data: CacheData = {
      nectarLossReviewCache: 1,
      files: Object.fromEntries(this.usedFiles),
      pairs: Object.fromEntries(this.usedPairs),
    };
    return Buffer.from(JSON.stringify(data));
  }
}

/** A pair's key: both images' content and the settings that change its values. */
export function pairKey(realHash: string, fakeHash: string, settings: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([realHash, fakeHash, settings]))
    .digest('hex');
}
