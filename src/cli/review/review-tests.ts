import type { TestRun } from '../../io/review/experiment.js';
import type { PairRecord } from '../../model.js';

/** Our loss name for each of the values NectarGAN's Tester logs. */
export const TEST_KEYS = { L1: 'l1', SOBEL: 'sobel', LAPLACIAN: 'laplacian' } as const;
type TestKey = keyof typeof TEST_KEYS;

/**
 * How far the value from the 8-bit PNGs may be from NectarGAN's, computed on the float tensors before they
 * were written. torchvision's save_image stores round(255·(x/2 + 1/2)): each channel of the real and of the
 * fake moves by at most δ = 1/255 in [-1, 1]. So the gray value moves by at most δ; L1 (a channel mean of
 * |fake − real|) by 2δ; a Sobel component by (sum of |kernel|) 8δ, the magnitude by √(8² + 8²)δ = 8√2δ,
 * the loss (both images) by 16√2δ; the Laplacian (sum of |kernel| 8) by 16δ. Plus float32 slack. A pair
 * further apart than that is flagged: the rounding cannot explain it.
 */
const DELTA = 1 / 255;
const SLACK = 1e-5;
export const TEST_TOLERANCE: Record<TestKey, number> = {
  L1: 2 * DELTA + SLACK,
  SOBEL: 16 * Math.SQRT2 * DELTA + SLACK,
  LAPLACIAN: 16 * DELTA + SLACK,
};

export interface TestComparison {
  name: string;
  /** Our values of NectarGAN's three losses on the PNGs (range signed), keyed as NectarGAN logs them. */
  ours?: Partial<Record<TestKey, number>>;
  /** The values NectarGAN's Tester logged for this pair. */
  nectargan?: Partial<Record<TestKey, number>>;
  /** Some value differs from NectarGAN's by more than the 8-bit rounding explains (TEST_TOLERANCE). */
  disagree: boolean;
  error?: string;
  real?: string;
  fake?: string;
}

/** Each test pair with our values beside NectarGAN's (a pair only one side has is listed too). */
export function testComparison(run: TestRun, records: PairRecord[]): TestComparison[] {
  const logged = new Map((run.log ?? []).map((e) => [e.name, e.losses]));
  const ours = new Map(records.map((r) => [r.name, r]));
  const names = [...new Set([...ours.keys(), ...logged.keys()])].sort(
    (a, b) => parseInt(a, 10) - parseInt(b, 10) || (a < b ? -1 : a > b ? 1 : 0),
  );
  return names.map((name) => {
    const r = ours.get(name),
      n = logged.get(name);
    const mine = r && r.status !== 'error' ? pick(r.losses, (k) => TEST_KEYS[k]) : undefined;
    const theirs = n ? pick(n, (k) => k) : undefined;
    const disagree =
      mine !== undefined &&
      theirs !== undefined &&
      (Object.keys(TEST_KEYS) as TestKey[]).some(
        (k) =>
          mine[k] !== undefined &&
          theirs[k] !== undefined &&
          Math.abs(mine[k] - theirs[k]) > TEST_TOLERANCE[k],
      );
    return {
      name,
      ...(mine ? { ours: mine } : {}),
      ...(theirs ? { nectargan: theirs } : {}),
      disagree,
      ...(r?.error ? { error: r.error } : !r ? { error: 'no PNGs for this entry of log.json' } : {}),
      ...(r ? { real: r.real, fake: r.fake } : {}),
    };
  });
}

function pick(values: Record<string, number>, key: (k: TestKey) => string): Partial<Record<TestKey, number>> {
  return Object.fromEntries(
    (Object.keys(TEST_KEYS) as TestKey[]).filter((k) => key(k) in values).map((k) => [k, values[key(k)]!]),
  );
}
