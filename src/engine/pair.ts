import { option, said, SizeMismatchError, UserError } from '../errors.js';
import { decodeImage } from '../io/decode.js';
import { writeAllOrNothing } from '../io/write.js';
import { keepLoaded } from '../losses/map-scan.js';
import { recycleMaps } from '../losses/wasm.js';
import { loadLoss } from '../losses/registry.js';
import type { LossDefinition } from '../losses/types.js';
import {
  DATA_RANGE,
  type ComputeSettings,
  type DecodedImage,
  type DrawSettings,
  type LossOutput,
  type PairComparison,
} from '../model.js';
import { compareMask } from '../io/mask.js';
import { sameBytes } from '../io/input.js';
import {
  compareEmbedded,
  computeLosses,
  count,
  embedImage,
  equalPairOutputs,
  type ComputeOptions,
} from './compute.js';
import type { Embedder } from './embedder.js';
import type { LossResources } from './resources.js';
import { warmRows } from './rows.js';
import { mapStats } from './stats.js';
import { describePair, regionThreshold } from './decide/describe.js';

// Figures need fonts and encoders: loaded only when files are written.
const render = () => import('../io/render.js');

/** One image as handed to runPair: its bytes (or a checked file path, which sharp reads itself without a
 *  copy of the whole file in memory) and how messages name it. */
export interface PairInput {
  /** Or pixels already decoded (the in-process API's raw RGBA input, session.ts). */
  bytes: Buffer | string | DecodedImage;
  /** `real path/to/x.png`, `fake (stdin)` */
  label: string;
  /** For the size-mismatch message, after the role (`real`/`expected`): the path, or what it is. */
  name: string;
}

/** Runs `f` when it is this caller's turn (a batch worker computes one pair at a time while others decode
 *  and encode); the single command runs it at once. */
export type Serialize = <T>(f: () => Promise<T>) => Promise<T>;

/** Everything a pair runs with: the same for every pair of a run. */
export interface PairRunner {
  losses: readonly string[];
  compute: ComputeSettings;
  /** What to draw; absent: write no files (--no-maps). */
  draw?: DrawSettings;
  resources: LossResources;
  serialize?: Serialize;
  /** Threads that embed two-stage losses (vgg); absent: they run here with the others. */
  embedder?: Embedder;
  /** false: skip each map's statistics (the single command prints them only with --json). Default true. */
  stats?: boolean;
  /** Keep the maps in the outputs even without statistics or files (the in-process API draws its diff). */
  keepMaps?: boolean;
}

/** Where a pair's files go (`<outDir>/<stem>.<loss>.<kind>`), and its own mask if it has one. */
export interface PairTarget {
  outDir: string;
  stem: string;
  mask?: string;
}

/**
 * Decodes a pair, checks sizes, computes every loss, and writes all files of the pair at once (all or
 * nothing). The active tfjs backend is used; no tensor survives. Only the computation goes through
 * `serialize`: decoding and encoding (sharp, on libuv's threads) of other pairs can overlap it.
 */
export async function runPair(
  real: PairInput,
  fake: PairInput,
  target: PairTarget,
  run: PairRunner,
): Promise<PairComparison> {
  const e = await evaluatePair(real, fake, target.mask, run);
  if (run.draw) await writeFiles(e.losses, e.outputs, e.real, e.fake, target, run, e.mask, e.comparison);
  // The files are written (synchronously, all at once) and the comparison holds no map: the maps' memory
  // serves the next pair's kernels.
  recycleMaps(e.outputs.map((o) => o.map));
  return e.comparison;
}

/** A pair computed in memory: what runPair writes, or the in-process API (session.ts) draws. */
export interface EvaluatedPair {
  losses: LossDefinition[];
  outputs: LossOutput[];
  real: DecodedImage;
  fake: DecodedImage;
  /** 1 where a pixel is compared (masks, ignore rectangles). */
  mask?: Uint8Array;
  comparison: PairComparison;
}

/** runPair without the files: decode, check, compute every loss and its map's statistics. */
export async function evaluatePair(
  real: PairInput,
  fake: PairInput,
  pairMask: string | undefined,
  run: PairRunner,
): Promise<EvaluatedPair> {
  const losses = await definitions(run.losses);
  const decoding = decodePair(real, fake, run.compute);
  warmRows(losses);
  // Weights load (once per thread) while the images decode on sharp's threads; awaited in computeAll.
  run.resources.contextFor(losses).catch(() => undefined);
  const [r, f] = await decoding;
  const mask = await maskFor(r, pairMask, run.compute);
  checkSize(losses, r);
  const outputs = await (run.serialize ?? ((g) => g()))(() => computeAll(losses, r, f, run, mask?.compared));
  const comparison: PairComparison = {
    width: r.width,
    height: r.height,
    values: {},
    files: {},
    stats: {},
    ...(mask ? { ignored: mask.ignored } : {}),
  };
  const equal = outputs.equal;
  losses.forEach((d, i) => {
    comparison.values[d.name] = outputs[i].value;
    comparison.files[d.name] = {};
  });
  // The map the regions are found on is read last by the statistics, then at once by the regions: one copy.
  const described = losses.findIndex((l) => !l.mapless);
  const statistics = (i: number) => {
    const d = losses[i]!;
    // An all-zero map's statistics, as mapStats gives them, without reading it.
    const stats =
      d.mapless || run.stats === false
        ? undefined
        : equal
          ? { mean: 0, median: 0, p95: 0, p99: 0, max: 0 }
          : mapStats(outputs[i]!.map, mask?.compared, i === described ? regionCells(d, r, run) : undefined);
    if (stats) comparison.stats[d.name] = stats;
  };
  losses.forEach((_, i) => i !== described && statistics(i));
  const last = () => {
    if (described >= 0) statistics(described);
    return describeOutputs(described, losses, outputs, r, f, mask?.compared, run.compute, comparison.stats);
  };
  Object.assign(comparison, described >= 0 && !equal ? keepLoaded(outputs[described]!.map, last) : last());
  return { losses, outputs, real: r, fake: f, mask: mask?.compared, comparison };
}

/** What the statistics' pass of the described map marks for the regions' pass: none without regions. */
function regionCells(d: LossDefinition, r: DecodedImage, run: PairRunner) {
  const s = run.compute.regions;
  if (!s) return undefined;
  return { width: r.width, threshold: regionThreshold(d.name, run.compute.range, s) };
}

/**
 * The pair's changed regions and kind, on loss i (the first with a map; -1: none) when regions are asked
 * for: none computed for equal images.
 */
function describeOutputs(
  i: number,
  losses: LossDefinition[],
  outputs: LossOutput[] & { equal?: true },
  r: DecodedImage,
  f: DecodedImage,
  mask: Uint8Array | undefined,
  s: ComputeSettings,
  stats: Partial<PairComparison['stats']>,
): Pick<PairComparison, 'kind' | 'regions'> {
  if (!s.regions || i < 0) return {};
  if (outputs.equal) return { kind: 'identical', regions: [] };
  const settings = s.regions;
  return describePair({
    loss: losses[i]!.name,
    map: outputs[i]!.map,
    real: r,
    fake: f,
    mask,
    range: s.range,
    shift: s.shift,
    settings,
    max: stats[losses[i]!.name]?.max,
  });
}

/** The pixels compared, when masks or --ignore rectangles are given; refuses a mask that leaves none. */
async function maskFor(
  r: DecodedImage,
  pairMask: string | undefined,
  s: ComputeSettings,
): Promise<{ compared: Uint8Array; ignored: number } | undefined> {
  const files = [s.mask, pairMask].filter((f): f is string => f !== undefined);
  if (!files.length && !s.ignore.length) return undefined;
  const compared = await compareMask(r.width, r.height, files, s.ignore);
  const ignored = compared.length - count(compared);
  if (ignored === compared.length)
    throw new UserError(
      said`the masks and ${IGNORE} rectangles leave no pixel of the ${r.width}x${r.height} image to compare`,
      'BAD_MASK',
    );
  return { compared, ignored };
}

/** The two images and the options named in messages, in each entry point's words. */
const REAL = option('expected', 'real');
const FAKE = option('actual', 'fake');
const RESIZE = option('resize: true', '--resize');
const IGNORE = option('ignore', '--ignore');

/** Decodes both images of a pair at once and checks (or, with --resize, fixes) their sizes. */
async function decodePair(
  real: PairInput,
  fake: PairInput,
  s: ComputeSettings,
): Promise<[DecodedImage, DecodedImage]> {
  const [a, b] = await decodeBoth(real, fake, s.maxPixels);
  // Real's error first when both fail, so the message does not depend on which decoder finished first.
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  const r = a.value;
  let f = b.value;
  if (f.width !== r.width || f.height !== r.height) {
    if (!s.resize)
      throw new SizeMismatchError(
        said`size mismatch: ${REAL} ${real.name} is ${r.width}x${r.height}, ${FAKE} ${fake.name} is ${f.width}x${f.height} (${RESIZE} resizes ${FAKE} to ${REAL}'s size)`,
      );
    if (!isBytes(fake.bytes))
      throw new SizeMismatchError(
        said`size mismatch: ${REAL} ${real.name} is ${r.width}x${r.height}, ${FAKE} ${fake.name} is ${f.width}x${f.height}`,
      );
    f = await decodeImage(fake.bytes, {
      label: fake.label,
      maxPixels: s.maxPixels,
      resizeTo: { width: r.width, height: r.height },
    });
  }
  return [r, f];
}

const isBytes = (b: PairInput['bytes']): b is Buffer | string => typeof b === 'string' || Buffer.isBuffer(b);

/** Decodes an input unless it already is pixels. */
async function decodeInput(x: PairInput, maxPixels: number): Promise<DecodedImage> {
  return isBytes(x.bytes) ? decodeImage(x.bytes, { label: x.label, maxPixels }) : x.bytes;
}

/** Both images decoded at once, each settled; a byte-identical pair is decoded once. */
async function decodeBoth(
  real: PairInput,
  fake: PairInput,
  maxPixels: number,
): Promise<PromiseSettledResult<DecodedImage>[]> {
  if (!isBytes(real.bytes) || !isBytes(fake.bytes)) {
    return Promise.allSettled([decodeInput(real, maxPixels), decodeInput(fake, maxPixels)]);
  }
  const same = await sameBytes(real.bytes, fake.bytes);
  const decode = (x: PairInput, bytes: Buffer | string) => decodeImage(bytes, { label: x.label, maxPixels });
  if (same.same) {
    const [d] = await Promise.allSettled([decode(real, same.inputs[0])]);
    return [d!, d!];
  }
  return Promise.allSettled([decode(real, same.inputs[0]), decode(fake, same.inputs[1])]);
}

/** Losses that need a minimum size (ssim's window, ms-ssim's four halvings) refuse smaller images. */
function checkSize(losses: LossDefinition[], r: DecodedImage): void {
  for (const l of losses) {
    if (l.minSide && Math.min(r.width, r.height) < l.minSide)
      throw new UserError(
        `${l.name} needs images whose shorter side is at least ${l.minSide} px (${l.minSide - 1} or less is ` +
          `refused); this pair is ${r.width}x${r.height}`,
        'IMAGE_TOO_SMALL',
      );
  }
}

async function definitions(names: readonly string[]): Promise<LossDefinition[]> {
  return Promise.all(
    names.map(async (name) => {
      const loss = await loadLoss(name);
      if (!loss) throw new UserError(`unknown loss '${name}'`, 'BAD_OPTION');
      return loss;
    }),
  );
}

/**
 * Every loss of the pair, in order: two-stage ones on the embedder's threads if there is one, the rest here;
 * for equal images, when every loss knows its map is then zero, none (`equal` set on the list).
 */
async function computeAll(
  losses: LossDefinition[],
  r: DecodedImage,
  f: DecodedImage,
  run: PairRunner,
  mask?: Uint8Array,
): Promise<LossOutput[] & { equal?: true }> {
  const filtered = run.draw !== undefined && (await render()).drawsFiltered(run.draw);
  // The map is kept when it is drawn or its statistics are reported.
  const opt: ComputeOptions = {
    map:
      run.draw !== undefined ||
      run.stats !== false ||
      run.keepMaps === true ||
      run.compute.regions !== undefined,
    filtered,
    shift: run.compute.shift,
    mask,
    ppd: run.compute.ppd,
  };
  if (samePixels(r, f)) {
    const equal = equalPairOutputs(losses, r.width, r.height, run.compute.range, opt);
    if (equal) return Object.assign(equal, { equal: true as const });
  }
  const remote = (d: LossDefinition) => run.embedder !== undefined && d.embed !== undefined;
  const here = losses.filter((d) => !remote(d));
  const local = await computeLosses(here, r, f, run.compute.range, await run.resources.contextFor(here), opt);
  return Promise.all(
    losses.map(async (d) => (remote(d) ? embedded(d, r, f, run, opt) : local[here.indexOf(d)])),
  );
}

/** Whether two decoded images hold the same samples (one memcmp; the same object when decoded once). */
function samePixels(r: DecodedImage, f: DecodedImage): boolean {
  if (r === f) return true;
  if (r.max !== f.max || r.samples.byteLength !== f.samples.byteLength) return false;
  const bytes = (x: DecodedImage) =>
    Buffer.from(x.samples.buffer, x.samples.byteOffset, x.samples.byteLength);
  return Buffer.compare(bytes(r), bytes(f)) === 0;
}

async function embedded(
  loss: LossDefinition,
  r: DecodedImage,
  f: DecodedImage,
  run: PairRunner,
  opt: ComputeOptions,
): Promise<LossOutput> {
  const range = run.compute.range;
  // Real on the embedding thread, fake here meanwhile: both cores, one tfjs start-up fewer than two threads.
  const ctx = await run.resources.contextFor([loss]);
  const remote = run.embedder!.features(loss.name, r, range);
  const ff = await embedImage(loss, f, range, ctx);
  const rf = await remote;
  return compareEmbedded(loss, rf, ff, r.height, r.width, opt);
}

/** Renders and writes every file of the pair at once, and records their paths in `comparison.files`. */
async function writeFiles(
  losses: LossDefinition[],
  outputs: LossOutput[],
  r: DecodedImage,
  f: DecodedImage,
  target: PairTarget,
  run: PairRunner,
  mask: Uint8Array | undefined,
  comparison: PairComparison,
): Promise<void> {
  // A loss without a per-pixel map (ms-ssim) draws nothing.
  const drawn = losses.flatMap((l, i) => (l.mapless ? [] : [[l, outputs[i]] as const]));
  const files = await (
    await render()
  ).renderPair(
    drawn.map((d) => d[0]),
    drawn.map((d) => d[1]),
    r,
    f,
    target.stem,
    run.draw!,
    mask,
    DATA_RANGE[run.compute.range],
    comparison.regions,
  );
  if (!files.length) return;
  const paths = writeAllOrNothing(target.outDir, files);
  files.forEach((file, i) => (comparison.files[file.loss][file.kind] = paths[i]));
}
