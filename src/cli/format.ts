/**
 * The shortest decimal that reads back as the same float32: the loss is a float32 quantity (as PyTorch's
 * is), so digits past float32 precision would be noise. 0.36542499 -> "0.365425" when that round-trips.
 */
export function formatFloat32(x: number): string {
  const f = Math.fround(x);
  if (!Number.isFinite(f)) return String(f);
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(f);
}
