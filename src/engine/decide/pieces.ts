/**
 * The piecewise rendering rule (issue 29: full font hinting). Full hinting rounds each glyph's advance to
 * whole pixels and snaps stems to the pixel grid, so along a line of text the words move by 0, 1, 2 ... px
 * (cumulatively: up to 6 px on the evaluation set's 500 px lines) and are redrawn a little differently: the line is one region that no single displacement
 * explains. Cut into pieces at the rows and columns where nothing changed (the gaps between lines and
 * words), each piece is the rendering rule's blend of colours that were already there once the piece is
 * shifted by a few whole pixels:
 *
 * - pieces: the region's box is cut at its unchanged rows, each band at its unchanged columns, each of those
 *   at its unchanged rows again (at most MAX_PIECES pieces, else the rule does not hold);
 * - a piece is explained when a shift d of its fake pixels, |dx| <= PIECE_DX and |dy| <= PIECE_DY, makes the
 *   piece (with where its fake content comes from, and a 1-px border) pass the rendering rule (kinds.ts's isRendering: at most 2 % of the changed
 *   pixels off the colour line of the other image's 3x3 neighbourhood, both ways); shifts are tried in order
 *   of their displaced error, least first, at most MAX_SHIFTS of them and none that leaves more than no shift;
 * - the region is `rendering` when every piece is explained. The rule runs after the exact move (kinds.ts:
 *   an element moved by whole pixels leaves nothing of its difference once shifted back, so it stays
 *   `moved`; one moved by 1 px is `shift` before any of these).
 *
 * An edited word is new structure on the background: no small shift puts its pixels on the other image's
 * colour lines (on the evaluation set, 16 % or more of them stay off), so a line with an edit stays `content`.
 */
import type { RawImage } from '../../model.js';
import { displacedError, strideOf, type Box } from './displacement.js';

/**
 * A piece may be shifted by at most this many pixels across: full hinting's rounded advances, summed along a
 * line (at most 6 px on the evaluation set), and less than a 10 px move.
 */
export const PIECE_DX = 6;
/** ... and at most this many pixels up or down (a baseline or an x-height snapped to the grid). */
export const PIECE_DY = 1;
/** At most this many shifts of a piece are tried (those of least displaced error). */
export const MAX_SHIFTS = 12;
/** A region cut into more pieces than this is not tested (the rule stays bounded): not rendering. */
export const MAX_PIECES = 64;

/** Whether pixel p (y * width + x) differs between the two images. */
function differs(real: RawImage, fake: RawImage, p: number): boolean {
  const rs = real.samples,
    fs = fake.samples,
    i = 3 * p;
  return rs[i] !== fs[i] || rs[i + 1] !== fs[i + 1] || rs[i + 2] !== fs[i + 2];
}

/** The box cut at its unchanged rows (`rows`) or columns: the runs of rows (columns) where a pixel changed. */
export function cutAt(real: RawImage, fake: RawImage, box: Box, rows: boolean): Box[] {
  const w = real.width,
    n = rows ? box.height : box.width,
    across = rows ? box.width : box.height;
  const parts: Box[] = [];
  let start = -1;
  for (let t = 0; t <= n; t++) {
    let changed = false;
    for (let s = 0; t < n && s < across && !changed; s++)
      changed = rows
        ? differs(real, fake, (box.y + t) * w + box.x + s)
        : differs(real, fake, (box.y + s) * w + box.x + t);
    if (changed && start < 0) start = t;
    if (changed || start < 0) continue;
    parts.push(
      rows
        ? { x: box.x, y: box.y + start, width: box.width, height: t - start }
        : { x: box.x + start, y: box.y, width: t - start, height: box.height },
    );
    start = -1;
  }
  return parts;
}

/** The region's pieces: cut at unchanged rows, then columns, then rows; undefined past MAX_PIECES. */
export function piecesOf(real: RawImage, fake: RawImage, box: Box): Box[] | undefined {
  let parts = [box];
  for (const rows of [true, false, true]) {
    parts = parts.flatMap((b) => cutAt(real, fake, b, rows));
    if (parts.length > MAX_PIECES) return undefined;
  }
  return parts;
}

/** The fake crops' samples, reused (8-bit images; the rendering rule copies them or reads them at once). */
let scratch = new Uint8Array(0);

/** The box's pixels of `im`, shifted by (dx, dy) (clamped at the image's edges), as an image of its own. */
function crop(im: RawImage, box: Box, dx: number, dy: number, reuse = false): RawImage {
  const n = 3 * box.width * box.height;
  if (reuse && im.max === 255 && scratch.length < n) scratch = new Uint8Array(n);
  const samples = im.max !== 255 ? new Uint16Array(n) : reuse ? scratch.subarray(0, n) : new Uint8Array(n);
  for (let y = 0; y < box.height; y++) {
    const sy = Math.min(im.height - 1, Math.max(0, box.y + y + dy));
    for (let x = 0; x < box.width; x++) {
      const sx = Math.min(im.width - 1, Math.max(0, box.x + x + dx)),
        from = 3 * (sy * im.width + sx),
        to = 3 * (y * box.width + x);
      samples[to] = im.samples[from]!;
      samples[to + 1] = im.samples[from + 1]!;
      samples[to + 2] = im.samples[from + 2]!;
    }
  }
  return { width: box.width, height: box.height, samples, max: im.max };
}

/** Whether no pixel of the box differs between the two images. */
function unchanged(real: RawImage, fake: RawImage, box: Box): boolean {
  for (let y = box.y; y < box.y + box.height; y++)
    for (let p = y * real.width + box.x; p < y * real.width + box.x + box.width; p++)
      if (differs(real, fake, p)) return false;
  return true;
}

/** The box widened by mx px across and my px up and down, inside the image. */
function widenXY(b: Box, mx: number, my: number, im: RawImage): Box {
  const x = Math.max(0, b.x - mx),
    y = Math.max(0, b.y - my);
  return {
    x,
    y,
    width: Math.min(im.width, b.x + b.width + mx) - x,
    height: Math.min(im.height, b.y + b.height + my) - y,
  };
}

/** The rendering rule on a box (kinds.ts's isRendering, passed in: kinds.ts calls this module). */
export type RenderingTest = (real: RawImage, fake: RawImage, box: Box) => boolean;

/**
 * The same test of one shift on the images themselves, the fake read d px away (box, its 1-px border and
 * both shifted by d inside the image): whether nothing differs so or the rendering rule holds; undefined
 * where it does not apply (then the test runs on crops).
 */
export type ShiftedTest = (
  real: RawImage,
  fake: RawImage,
  box: Box,
  dx: number,
  dy: number,
) => boolean | undefined;

/**
 * How one piece is explained: the first shift, in order of displaced error (least first; at most MAX_SHIFTS
 * of them, none that leaves more than the unshifted error), that leaves the piece unchanged or makes it pass
 * the rendering rule; undefined when none does.
 */
export function explainPiece(
  real: RawImage,
  fake: RawImage,
  piece: Box,
  rendering: RenderingTest,
  shifted?: ShiftedTest,
): [number, number] | undefined {
  const stride = strideOf(piece);
  const e0 = displacedError(real, fake, piece, 0, 0, stride);
  const shifts: { dx: number; dy: number; e: number }[] = [];
  // A shift that leaves more than no shift does explains nothing (its error stops counting past e0); the
  // MAX_SHIFTS least are tried.
  for (let dy = -PIECE_DY; dy <= PIECE_DY; dy++)
    for (let dx = -PIECE_DX; dx <= PIECE_DX; dx++)
      shifts.push({ dx, dy, e: displacedError(real, fake, piece, dx, dy, stride, e0) });
  const tried = shifts
    .filter((s) => s.e <= e0)
    .sort((a, b) => a.e - b.e)
    .slice(0, MAX_SHIFTS);
  // The window holds the piece, where its fake pixels come from (the piece shifted by d) and a 1-px border.
  const win = widenXY(piece, PIECE_DX + 1, PIECE_DY + 1, real);
  // Not cut by the image's edges, and shifted by d inside the image: the test needs no crop.
  const uncut =
    win.width === piece.width + 2 * PIECE_DX + 2 && win.height === piece.height + 2 * PIECE_DY + 2;
  let r: RawImage | undefined;
  for (const s of tried) {
    // The piece and where its fake content lies once shifted (the piece moved by -d), in the window (which
    // the image's edges may cut).
    const x = Math.max(0, piece.x - win.x - Math.max(0, s.dx)),
      y = Math.max(0, piece.y - win.y - Math.max(0, s.dy));
    const both = {
      x,
      y,
      width: Math.min(win.width, piece.x - win.x + piece.width + Math.max(0, -s.dx)) - x,
      height: Math.min(win.height, piece.y - win.y + piece.height + Math.max(0, -s.dy)) - y,
    };
    const inside =
      uncut &&
      win.x + s.dx >= 0 &&
      win.y + s.dy >= 0 &&
      win.x + win.width + s.dx <= real.width &&
      win.y + win.height + s.dy <= real.height;
    const there = { ...both, x: win.x + both.x, y: win.y + both.y };
    const held = inside ? shifted?.(real, fake, there, s.dx, s.dy) : undefined;
    if (held !== undefined) {
      if (held) return [s.dx, s.dy];
      continue;
    }
    r ??= crop(real, win, 0, 0);
    const f = crop(fake, win, s.dx, s.dy, true);
    if (unchanged(r, f, both) || rendering(r, f, both)) return [s.dx, s.dy];
  }
  return undefined;
}

/** The rule: every piece explained by a small whole-pixel shift and the rendering rule. */
export function isPiecewiseRendering(
  real: RawImage,
  fake: RawImage,
  box: Box,
  rendering: RenderingTest,
  shifted?: ShiftedTest,
): boolean {
  const pieces = piecesOf(real, fake, box);
  return !!pieces?.length && pieces.every((piece) => explainPiece(real, fake, piece, rendering, shifted));
}
