import { existsSync } from 'node:fs';
import path from 'node:path';
import { runPool } from '../../engine/pool.js';
import { pairKey, type CachedPair, type ReviewCache } from '../../io/review/cache.js';
import type { Job, Pair, PairRecord, WorkerInit } from '../../model.js';
import { roundFloat32 } from '../format.js';
import { roundStats } from '../records.js';

/** The review's pairs: each from the cache when it can be, else computed (and then kept there). */

/** The settings that change a pair's values or files: part of every cache key. */
export function settingsOf(init: WorkerInit, version: string): unknown {
  const { weights: _, ...compute } = init.compute;
  return { version, losses: init.losses, compute, draw: init.draw ?? null };
}

/** A job's record from a cached entry (its files under `out`, relative there). */
function recordOf(pair: Pair, c: CachedPair, out: string): PairRecord {
  const files = Object.fromEntries(
    Object.entries(c.files).map(([l, kinds]) => [
      l,
      Object.fromEntries(Object.entries(kinds).map(([k, p]) => [k, path.join(out, p!)])),
    ]),
  );
  return {
    name: pair.name,
    real: pair.real,
    fake: pair.fake,
    ...(pair.epoch !== undefined ? { epoch: pair.epoch } : {}),
    losses: Object.fromEntries(Object.entries(c.values).map(([k, v]) => [k, roundFloat32(v)])),
    stats: Object.fromEntries(Object.entries(c.stats).map(([l, s]) => [l, roundStats(s)])),
    files,
    status: 'ok',
  };
}

/** Where a group of pairs is computed and drawn. */
export interface Batch {
  pairs: Pair[];
  init: WorkerInit;
  /** Maps go under this folder (inside --out). */
  maps: string;
}

/**
 * The pairs' records: each from the cache when its key (both images' content and the settings) is there
 * and its drawn files still exist, else computed on the worker pool. A pair that fails is an error record.
 */
export async function computePairs(
  b: Batch,
  cache: ReviewCache,
  opt: { run: { out: string }; jobs: number; version: string },
  counts: { computed: number; reused: number },
): Promise<PairRecord[]> {
  const settings = settingsOf(b.init, opt.version);
  const out = opt.run.out;
  const records = new Array<PairRecord>(b.pairs.length);
  const jobs: (Job & { key: string })[] = [];
  for (const [id, pair] of b.pairs.entries()) {
    const key = pairKey(await cache.hash(pair.real), await cache.hash(pair.fake), settings);
    const hit = cache.get(key);
    if (hit && filesExist(hit, out)) {
      records[id] = recordOf(pair, hit, out);
      counts.reused++;
      continue;
    }
    const dir = path.posix.dirname(pair.stem);
    jobs.push({
      id,
      pair,
      key,
      outDir: path.join(b.maps, dir === '.' ? '' : dir),
      stem: path.posix.basename(pair.stem),
    });
  }
  if (jobs.length)
    await runPool(jobs, opt.jobs, b.init, (r) => {
      const { pair, id } = r.job;
      const key = (r.job as Job & { key: string }).key;
      counts.computed++;
      if (r.error !== undefined) {
        records[id] = {
          name: pair.name,
          real: pair.real,
          fake: pair.fake,
          losses: {},
          files: {},
          status: 'error',
          error: r.error,
        };
        return;
      }
      const files = relativeFiles(r.comparison.files, out);
      const entry = { values: r.comparison.values, stats: r.comparison.stats, files };
      cache.set(key, entry);
      records[id] = recordOf(pair, entry, out);
    });
  return records;
}

function relativeFiles(files: CachedPair['files'], out: string): CachedPair['files'] {
  return Object.fromEntries(
    Object.entries(files).map(([l, kinds]) => [
      l,
      Object.fromEntries(Object.entries(kinds).map(([k, p]) => [k, path.relative(out, p!)])),
    ]),
  );
}

function filesExist(c: CachedPair, out: string): boolean {
  return Object.values(c.files).every((kinds) =>
    Object.values(kinds).every((p) => existsSync(path.join(out, p!))),
  );
}
