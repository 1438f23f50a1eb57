import path from 'node:path';
import type { Experiment } from '../../io/review/experiment.js';
import type { TrainingLog } from '../../io/review/log.js';
import type { Progress } from '../progress.js';
import type { SetDistances, SetGroup, SetOptions } from '../fid/sets.js';

/**
 * `review --loss fid,kid`: FID and KID between sets of an experiment's images: each test run's real and fake
 * images (test/test_NN/*_B_real, *_B_fake) and each example epoch's (examples/epochN_*_B_real, _fake). Each
 * row carries NectarGAN's own values where its logs have them: a test run's mean of the per-pair values the
 * Tester logged (L1, SOBEL, LAPLACIAN), an epoch's means of loss_log.json's losses. NectarGAN records no FID
 * or KID itself; a log value named FID or KID would be shown there too.
 * The features are cached beside review-cache.json, in `<out>/features/` (one `.npy` per image).
 */
export interface SetRow extends SetDistances {
  nectargan: Record<string, number> | null;
}

export interface ReviewSets {
  tests: Record<string, SetRow>;
  epochs: Record<string, SetRow>;
  /** Images whose Inception features this build computed, and those read from the feature cache. */
  features: { computed: number; reused: number; cache: string | null };
}

/** The folder of the review's feature cache, beside its review-cache.json. */
export const featureCacheDir = (out: string) => path.join(out, 'features');

function testMeans(entries: NonNullable<Experiment['tests'][number]['log']>): Record<string, number> | null {
  const sums = new Map<string, { s: number; n: number }>();
  for (const e of entries)
    for (const [k, v] of Object.entries(e.losses)) {
      const a = sums.get(k) ?? { s: 0, n: 0 };
      sums.set(k, { s: a.s + v, n: a.n + 1 });
    }
  return sums.size ? Object.fromEntries([...sums].map(([k, a]) => [k, a.s / a.n])) : null;
}

function epochMeans(log: TrainingLog | undefined, epoch: number): Record<string, number> | null {
  const out: Record<string, number> = {};
  for (const s of log?.losses ?? []) {
    const i = s.epochs.indexOf(epoch);
    if (i >= 0) out[s.name] = s.mean[i];
  }
  return Object.keys(out).length ? out : null;
}

function epochGroups(exp: Experiment): SetGroup[] {
  const by = new Map<number, SetGroup>();
  for (const p of exp.examples) {
    const e = p.epoch!;
    if (!by.has(e)) by.set(e, { label: String(e), real: [], fake: [] });
    by.get(e)!.real.push(p.real);
    by.get(e)!.fake.push(p.fake);
  }
  return [...by.keys()].sort((a, b) => a - b).map((e) => by.get(e)!);
}

/** FID and KID per test run and per example epoch, with NectarGAN's values beside them. */
export async function reviewSets(
  exp: Experiment,
  o: SetOptions,
  log: TrainingLog | undefined,
  progress: Progress,
): Promise<ReviewSets> {
  const { setDistances } = await import('../fid/sets.js');
  const tests: SetGroup[] = exp.tests.map((t) => ({
    label: t.run,
    real: t.pairs.map((p) => p.real),
    fake: t.pairs.map((p) => p.fake),
  }));
  const epochs = epochGroups(exp);
  progress.step(`FID/KID of ${tests.length} test runs and ${epochs.length} epochs`);
  const r = await setDistances([...tests, ...epochs], o, progress);
  const row = (i: number, nectargan: Record<string, number> | null): SetRow => ({
    ...r.groups[i],
    nectargan,
  });
  return {
    tests: Object.fromEntries(exp.tests.map((t, i) => [t.run, row(i, t.log ? testMeans(t.log) : null)])),
    epochs: Object.fromEntries(
      epochs.map((g, i) => [g.label, row(tests.length + i, epochMeans(log, Number(g.label)))]),
    ),
    features: { ...r.features, cache: o.cache ? (o.cacheDir ?? null) : null },
  };
}
