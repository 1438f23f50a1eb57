import { readFile } from 'node:fs/promises';

/**
 * NectarGAN's Tester log, `test/test_NN/log.json`: `{"experiment": {...}, "test": {"version", "path",
 * "results": [{"iteration", "test_data_path", "output": {"x", "y", "y_fake"}, "losses": {"L1", "SOBEL",
 * "LAPLACIAN"}}]}}`, the losses computed on the float tensors (range [-1, 1]) before the PNGs
 * `<iteration>_{A_real,B_real,B_fake}.png` were written.
 */
export interface TestEntry {
  iteration: number;
  /** The pair's name as batch names it: `<iteration>_B`. */
  name: string;
  /** The dataset image it was made from, as NectarGAN logged it. */
  source?: string;
  losses: Record<string, number>;
}

/** The log's entries; undefined while the Tester is rewriting it (not JSON yet). */
export async function readTestLog(file: string): Promise<TestEntry[] | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
  const results = (raw as { test?: { results?: unknown } } | null)?.test?.results;
  if (!Array.isArray(results)) return [];
  return results.flatMap((r: unknown) => {
    const e = r as { iteration?: unknown; test_data_path?: unknown; losses?: Record<string, unknown> };
    if (typeof e.iteration !== 'number' || typeof e.losses !== 'object') return [];
    const losses = Object.fromEntries(
      Object.entries(e.losses ?? {}).filter((x): x is [string, number] => typeof x[1] === 'number'),
    );
    return [
      {
        iteration: e.iteration,
        name: `${e.iteration}_B`,
        ...(typeof e.test_data_path === 'string' ? { source: e.test_data_path } : {}),
        losses,
      },
    ];
  });
}
