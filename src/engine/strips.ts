/** Pixels per strip for local losses: whole images up to ~1 Mpixel, then ~1 Mpixel strips. */
export const STRIP_PIXELS = 2 ** 20;

/** One strip: its own rows [y0, y1) and the window [t0, t1) computed for them (own rows plus the halo). */
export interface Strip {
  y0: number;
  y1: number;
  t0: number;
  t1: number;
}

/**
 * Horizontal strips of an H x W image for losses that read `halo` pixels around each output pixel: strips
 * overlap by the halo, so a strip's border rows see their true neighbours, the true image border still sees
 * the loss's own padding, and only the strip's own rows are kept: tiled and untiled give the same numbers.
 * `halo` undefined (non-local losses): one strip, the whole image.
 */
export function planStrips(H: number, W: number, halo: number | undefined, tileRows?: number): Strip[] {
  if (halo === undefined) return [{ y0: 0, y1: H, t0: 0, t1: H }];
  const rows = Math.max(1, tileRows ?? Math.floor(STRIP_PIXELS / W));
  const out: Strip[] = [];
  for (let y0 = 0; y0 < H; y0 += rows) {
    const y1 = Math.min(H, y0 + rows);
    out.push({ y0, y1, t0: Math.max(0, y0 - halo), t1: Math.min(H, y1 + halo) });
  }
  return out;
}
