import path from 'node:path';
import type { Job, PairRecord } from '../model.js';

/**
 * Accepted variants: each pair with variants also gets one job per variant (the variant as its baseline,
 * its files under `<stem>.variant-<n>`), numbered after the pairs' own jobs.
 */
export function variantJobs(jobs: Job[]): Job[] {
  let id = jobs.length;
  return jobs.flatMap((j) =>
    (j.pair.variants ?? []).map((v) => {
      const suffix = path
        .basename(v, path.extname(v))
        .slice(path.basename(j.pair.real, path.extname(j.pair.real)).length);
      return {
        ...j,
        id: id++,
        pair: { ...j.pair, real: v, variants: undefined },
        stem: `${j.stem}${suffix}`,
        variantOf: j.id,
      };
    }),
  );
}

/**
 * Collects the records of a pair's jobs (itself and its variants) and emits one when all are in: the pair's
 * own when it is not over a threshold, else the first variant (by n) it passes against, named in `variant`
 * (with `real` the variant), else its own (over).
 */
export function variantChooser(
  jobs: Job[],
  emit: (r: PairRecord) => void,
): (r: PairRecord, job: Job) => void {
  const expected = new Map<number, number>();
  for (const j of jobs)
    if (j.variantOf !== undefined) expected.set(j.variantOf, (expected.get(j.variantOf) ?? 0) + 1);
  const held = new Map<number, { own?: PairRecord; variants: { id: number; r: PairRecord }[] }>();
  return (r, job) => {
    const main = job.variantOf ?? job.id;
    const want = expected.get(main);
    if (want === undefined) return emit(r);
    const h = held.get(main) ?? { variants: [] };
    held.set(main, h);
    if (job.variantOf === undefined) h.own = r;
    else h.variants.push({ id: job.id, r });
    if (!h.own || h.variants.length < want) return;
    held.delete(main);
    if (h.own.status !== 'over') return emit(h.own);
    const pass = h.variants.sort((a, b) => a.id - b.id).find((v) => v.r.status === 'ok');
    emit(pass ? { ...pass.r, variant: path.basename(pass.r.real ?? '') } : h.own);
  };
}
