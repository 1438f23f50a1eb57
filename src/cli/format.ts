/**
 * The shortest decimal that reads back as the same float32: the loss is a float32 quantity (as PyTorch's
 * is), so digits past float32 precision would be noise. 0.36542499 -> "0.365425" when that round-trips.
 * Infinity (PSNR of identical images) prints as `inf`.
 */
export function formatFloat32(x: number): string {
  const f = Math.fround(x);
  if (!Number.isFinite(f)) return Number.isNaN(f) ? 'nan' : f > 0 ? 'inf' : '-inf';
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(f);
}

/** A value as reported: float32's shortest decimal, as a number (Infinity stays Infinity). */
export function roundFloat32(x: number): number {
  return Number.isFinite(x) ? Number(formatFloat32(x)) : x;
}

/**
 * JSON for every object the CLI prints or writes. JSON has no infinity: an infinite value (PSNR of
 * identical images) is written as the string "inf" (or "-inf"), which parseJson turns back.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v));
}

/** JSON.parse that reads "inf" / "-inf" back as numbers (for results files). */
export function parseJson(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v));
}
