import { readdirSync } from 'node:fs';
import path from 'node:path';
import { VARIANT } from '../model.js';

/**
 * The accepted variants beside a baseline (`name.variant-<n>.png` of `name.png`), by n, as batch pairs
 * them: absolute paths; none when the folder cannot be read.
 */
export function variantsBeside(baseline: string): string[] {
  const dir = path.dirname(path.resolve(baseline));
  const own = path.basename(baseline);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const found: { n: number; file: string }[] = [];
  for (const f of names) {
    const m = VARIANT.exec(f);
    if (m && `${m[1]}${(m[3] as string | undefined) ?? ''}` === own)
      found.push({ n: Number(m[2]), file: path.join(dir, f) });
  }
  return found.sort((a, b) => a.n - b.n).map((v) => v.file);
}

/** Whether `file` is an accepted variant of a baseline in `baselines` (absolute paths). */
export function isVariantOfAny(file: string, baselines: ReadonlySet<string>): boolean {
  const m = VARIANT.exec(path.basename(file));
  return Boolean(
    m && baselines.has(path.join(path.dirname(file), `${m[1]}${(m[3] as string | undefined) ?? ''}`)),
  );
}
