/**
 * The shared model: the data that crosses layers (images, pairs, settings, each stage's result, the worker
 * protocol) and every default, in one place. A leaf module: it imports nothing, so the CLI's start-up and a
 * batch's main thread can use it without loading TensorFlow.js, sharp or fonts.
 */

/**
 * unit:   x = stored / max (255, or 65535 for 16-bit), the docs figures' "normalized (0, 1)".
 * signed: x = 2 * unit - 1, the [-1, 1] tensors NectarGAN trains on,
 *         so the loss equals what NectarGAN's loss module returns during training.
 */
export type Range = 'unit' | 'signed';
export const RANGES: readonly Range[] = ['unit', 'signed'];
/** Each range's data range L (max - min), as SSIM and PSNR take it. */
export const DATA_RANGE: Readonly<Record<Range, number>> = { unit: 1, signed: 2 };

/** `auto` takes the first backend that loads, in the order of engine/backend.ts's table. */
export type BackendName = 'auto' | 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

/**
 * An image as the engine takes it: RGB samples as stored (8- or 16-bit), row-major, interleaved.
 * x = sample / max is formed per strip, so a huge image never exists as float32 all at once.
 */
export interface RawImage {
  width: number;
  height: number;
  samples: Uint8Array | Uint16Array;
  /** 255 or 65535 */
  max: number;
}

/** A decoded file: its samples, and what the file held (for figures and JSON). */
export interface DecodedImage extends RawImage {
  /** Bits per stored sample: 8 or 16. */
  bitDepth: 8 | 16;
  /** Channels in the file (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA; palette images report their expansion). */
  channels: number;
  format: string;
}

/** Kinds of file written per pair and loss, as named in the JSON `files` object. */
export type FileKind = 'heatmap' | 'real' | 'fake' | 'figure' | 'raw';
/** The PNG kinds (--files); `raw` (.npy) is chosen by --raw. */
export const PNG_KINDS = ['heatmap', 'real', 'fake', 'figure'] as const satisfies readonly FileKind[];
export type PngKind = (typeof PNG_KINDS)[number];

/** What is computed: the same for every pair of a run. */
export interface ComputeSettings {
  range: Range;
  backend: BackendName;
  /** Resize fake to real's size instead of refusing a size mismatch. */
  resize: boolean;
  /** Pixel limit per image, checked from the header. */
  maxPixels: number;
  /** Weight files the losses need, located (or downloaded) by the caller before any pair runs. */
  weights: WeightFiles;
  /** --shift-tolerance k: 0 = NectarGAN-exact. */
  shift: number;
  /** --mask: an image whose gray value > 127 marks compared pixels (every pair). */
  mask?: string;
  /** --ignore: rectangles left out of every comparison. */
  ignore: Rect[];
  /** flip: pixels per degree of visual angle (--ppd, or from --monitor-distance/-width/-resolution). */
  ppd: number;
  /** Changed regions and kinds (engine/decide/); absent: none are found. */
  regions?: RegionSettings;
}

/** The kinds of difference, as records name them (docs/regions.md gives the rules). */
export const KINDS = ['identical', 'rendering', 'shift', 'moved', 'level', 'colour', 'content'] as const;
export type Kind = (typeof KINDS)[number];

/** How changed regions are found and explained. */
export interface RegionSettings {
  /** --region-threshold: a pixel is hot where the map exceeds it; absent: the loss's default. */
  threshold?: number;
  /** --min-region-area: regions with fewer hot pixels are dropped. */
  minArea: number;
  /** --max-displacement: the largest displacement searched, in px. */
  maxDisplacement: number;
}

/** A changed region of a pair: its box, hot pixel count, the map's mean and max there, and its kind. */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
  area: number;
  mean: number;
  max: number;
  /** The shift of the fake's content that explains the region: [10, 0] = drawn 10 px further right. */
  displacement: [number, number];
  kind: Kind;
}

/**
 * Pixels per degree of a display `resolution` pixels and `width` m wide seen from `distance` m, in float32
 * as FLIP's calculatePPD: distance (resolution / width) (pi / 180).
 */
export function viewingPpd(distance: number, width: number, resolution: number): number {
  const f = Math.fround;
  return f(f(f(distance) * f(f(resolution) / f(width))) * f(f(3.14159265358979) / 180));
}

/**
 * FLIP's viewing conditions by default: 0.7 m from a 0.7 m wide 3840-pixel display, 3840·π/180 = 67.020643
 * ppd (FLIP computes it in float32: DEFAULT_PPD is 67.0206451).
 */
export const DEFAULT_VIEWING = { distance: 0.7, width: 0.7, resolution: 3840 } as const;
export const DEFAULT_PPD = viewingPpd(
  DEFAULT_VIEWING.distance,
  DEFAULT_VIEWING.width,
  DEFAULT_VIEWING.resolution,
);

/** The largest --shift-tolerance k: (2k + 1)² = 49 offsets at k = 3 (here, so --help loads no tfjs). */
export const MAX_SHIFT = 3;

/** A rectangle in pixels: its top-left corner and size. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Requirement name (a loss definition's `requires`) -> the file that holds it. */
export type WeightFiles = Partial<Record<'vgg19' | 'lpips-alex' | 'lpips-vgg', string>>;

/** What is drawn for each pair and loss. A run that writes no files (--no-maps) has no DrawSettings. */
export interface DrawSettings {
  /** PNG kinds to write. */
  kinds: readonly PngKind[];
  /**
   * Heatmap level = 255 * clamp(map / scale, 0, 1); 'max' = the map's own maximum; absent (no --scale): the
   * loss's own (psnr: 0.01·L², L the data range), else 1.
   */
  scale?: number | 'max';
  /** --colormap; absent: each loss's own default (flip: magma), else gray. */
  colormap?: string;
  /** Also the float32 map as .npy. */
  raw: boolean;
  /** false (--no-region-boxes): no changed regions outlined on the heatmaps; absent: outlined when found. */
  regionBoxes?: boolean;
}

/** Every default, in one place (the CLI's option defaults read them). */
export const DEFAULTS = {
  out: 'nectar-loss-out',
  /** sharp's own limit (0x3FFF x 0x3FFF): about 268 Mpixel, ~1.6 GB as 8-bit RGB for the pair. */
  maxPixels: 268402689,
  compute: {
    range: 'unit',
    backend: 'auto',
    resize: false,
    maxPixels: 268402689,
    weights: {},
    shift: 0,
    ignore: [],
    ppd: DEFAULT_PPD,
  } as ComputeSettings,
  regions: { minArea: 1, maxDisplacement: 16 } as RegionSettings,
  draw: { kinds: PNG_KINDS, raw: false } as DrawSettings,
  /** The heatmap colour map of a loss that names none. */
  colormap: 'gray',
  losses: ['sobel'],
} as const;

/** Stage 1, compute: one loss on one pair, downloaded from the backend (no tensor survives). */
export interface LossOutput {
  /** H*W float32 loss map, row-major (empty when not asked for). */
  map: Float32Array;
  /** The loss: mean(map) accumulated in float64, so it does not depend on a backend's reduction order;
   *  for losses whose value is not the map's mean (vgg), the sum of its terms' float64 means. */
  value: number;
  /** The filtered images the figures show (sobel, laplacian), when a drawn file needs them. */
  filtered?: { real: Float32Array; fake: Float32Array };
}

/** Stage 2, the pair runner: one pair's values and the files written for it. */
export interface PairComparison {
  width: number;
  height: number;
  /** loss -> value */
  values: Record<string, number>;
  /** loss -> kind -> path written */
  files: Record<string, Partial<Record<FileKind, string>>>;
  /** Pixels left out by masks and --ignore (present when any was given). */
  ignored?: number;
  /** loss -> statistics of its per-pixel map over the compared pixels (losses with a map). */
  stats: Record<string, MapStats>;
  /** The pair's kind: its worst region's, `identical` without regions (when regions are found). */
  kind?: Kind;
  /** Changed regions, worst first (when regions are found). */
  regions?: Region[];
}

/** A per-pixel map's statistics (bright = differs): float64 mean; percentiles as numpy.percentile. */
export interface MapStats {
  mean: number;
  median: number;
  p95: number;
  p99: number;
  max: number;
}

/** Two images to compare in a batch, found by walking folders. */
export interface Pair {
  /** Relative path naming the pair (for NectarGAN layouts, the shared prefix, e.g. `epoch3_1_B`). */
  name: string;
  real: string;
  fake: string;
  /** Trainer layout only: the epoch number from `epochE_i_B_*`. */
  epoch?: number;
  /** Two-folder layout: the baseline's accepted variants (`name.variant-<n>.png`, by n), absolute. */
  variants?: string[];
  /** Where the pair's files go under --out, without `.<loss>.<kind>.png`: its name without the extension,
   *  unique per pair (io/stems.ts gives the rule). */
  stem: string;
}

/** A pair that cannot be compared before any decoding: one side is missing. */
export interface Unpaired {
  name: string;
  real?: string;
  fake?: string;
  error: string;
  /** Two-folder layout: a current (fake) image with no baseline (real) yet: status `new`, not an error. */
  new?: true;
  /** Two-folder layout: a baseline (real) with no current (fake) image: status `obsolete`, not an error. */
  obsolete?: true;
}

export interface Pairing {
  pairs: Pair[];
  unpaired: Unpaired[];
  layout: 'folders' | 'nectargan';
}

/** Stage 3, the batch: one pair as it is reported (NDJSON row, JUnit testcase, report row). */
export interface PairRecord {
  name: string;
  real?: string;
  fake?: string;
  /** loss -> value, rounded to float32's shortest decimal */
  losses: Record<string, number>;
  files: Record<string, Partial<Record<FileKind, string>>>;
  /**
   * new: a current image without a baseline; obsolete: a baseline without a current image (two-folder
   * batch; obsolete alone does not fail a run). flaky: batch --quarantine, a pair whose verdict flipped at
   * least k times in its --history window (it keeps `over` when this run's verdict failed).
   */
  status: 'ok' | 'over' | 'error' | 'new' | 'obsolete' | 'flaky';
  error?: string;
  /**
   * --update: the baseline this run wrote (new) or replaced (changed) with the current image, or removed
   * (obsolete).
   */
  updated?: 'new' | 'changed' | 'obsolete';
  /** Trainer layout: the epoch of the pair. */
  epoch?: number;
  /** Pixels left out by masks and --ignore (present when any was given). */
  ignored?: number;
  /** loss -> statistics of its map, rounded like the values. */
  stats?: Record<string, MapStats>;
  /** Thresholds exceeded, as `sobel 0.123 > 0.1`. */
  over?: string[];
  /** The pair's kind (its worst region's). */
  kind?: Kind;
  /** Changed regions, worst first. */
  regions?: Region[];
  ms?: number;
  /** The file name of the accepted variant the image passed against (the baseline itself did not). */
  variant?: string;
  /** batch --history: the pair over the kept runs, this one included (values: the first gate's, oldest first). */
  history?: PairHistory;
}

/** batch --history: runs with the pair, how many failed, verdict flips between consecutive ones, values. */
export interface PairHistory {
  runs: number;
  failed: number;
  flips: number;
  values: (number | null)[];
}

/** A batch job: one pair and where its files go. */
export interface Job {
  id: number;
  pair: Pair;
  outDir: string;
  /** File names start with this: `<stem>.<loss>.<kind>.png`. */
  stem: string;
  /** This pair's own mask (batch --masks). */
  mask?: string;
  /** A comparison with an accepted variant of the pair of job `variantOf` (pair.real is the variant). */
  variantOf?: number;
}

/** What every batch worker is started with: the run's settings, as the CLI built them. */
export interface WorkerInit {
  losses: string[];
  compute: ComputeSettings;
  draw?: DrawSettings;
}

/** Messages to a batch worker. */
export type WorkerRequest = { type: 'job'; job: Job } | { type: 'close' };

/** Messages from a batch worker. */
export type WorkerReply =
  | { type: 'ready'; backend: string }
  | { type: 'fatal'; message: string }
  | { type: 'done'; id: number; comparison: PairComparison; ms: number }
  | { type: 'failed'; id: number; error: string; ms: number };

/** What an embedding worker is started with: it loads the backend and these losses' weights at once. */
export interface EmbedInit {
  backend: BackendName;
  losses: string[];
  weights: WeightFiles;
  /**
   * Exit after this many images (the single command sends one to each thread); absent: serve until closed.
   */
  images?: number;
}

/** Messages to an embedding worker (a two-stage loss's network, run on its own thread). */
export interface EmbedRequest {
  id: number;
  loss: string;
  image: RawImage;
  range: Range;
}

/** One feature map, transferred as its bytes. */
export interface Feature {
  shape: number[];
  data: Float32Array;
}

/** Messages from an embedding worker. */
export type EmbedReply =
  | { type: 'features'; id: number; features: Feature[] }
  | { type: 'failed'; id: number; error: string; user?: { cli: string; code: string } };

/**
 * An image for the in-process API (engine/session.ts) and the test-runner matchers: a file path, encoded
 * bytes (PNG, JPEG, WebP, TIFF... whatever the CLI reads), or 8-bit pixels already decoded (RGB or RGBA,
 * row-major; alpha is dropped as the CLI drops it).
 */
export type ImageInput =
  string | Uint8Array | { data: Uint8Array; width: number; height: number; channels?: 3 | 4 };

/** A reviewer's decision on a pair in the report: take the current image as the baseline, leave the
 *  baseline, or keep the current image as another accepted variant beside the baseline. */
export type Decision = 'accept' | 'reject' | 'variant';
export const DECISIONS: readonly Decision[] = ['accept', 'reject', 'variant'];

/** One decided pair of approvals.json: the hashes are those of the files as the report showed them. */
export interface ApprovalEntry {
  /** The pair's path relative to the baseline and current folders (posix separators). */
  path: string;
  decision: Decision;
  /** SHA-256 (hex) of the baseline as the report showed it; null: there was none (a new image). */
  baseline: string | null;
  /** SHA-256 (hex) of the current image; null: there was none (an obsolete baseline). */
  current: string | null;
}

/** approvals.json, as the report's "Download approvals" writes it and `nectar-loss approve` reads it. */
export interface Approvals {
  nectarLossApprovals: 1;
  /** The id of the run whose report it came from. */
  report: string;
  baselineDir: string;
  currentDir: string;
  pairs: ApprovalEntry[];
}

/** The run a report shows, when it compared a baseline folder with a current folder (approvals). */
export interface ReportRun {
  /** A random id per run: the browser keeps decisions per id, `approve --report` checks it. */
  id: string;
  /** The folders as the run resolved them (absolute). */
  baselineDir: string;
  currentDir: string;
}

/** A pair as the report page's script reads it (the JSON in <script id="pairs">). */
export interface ReportPair {
  name: string;
  status: string;
  values: Record<string, number>;
  stats: Record<string, MapStats>;
  over?: string[];
  error?: string;
  updated?: string;
  /** batch --history: the pair over the kept runs (the report's sparkline draws `values`). */
  history?: PairHistory;
  /** The report's copies of the images it shows (relative to the page). */
  real?: string;
  fake?: string;
  heat: Record<string, string | undefined>;
  /** The accepted variant the image passed against. */
  variant?: string;
  /** Pairs the reviewer may decide on (changed, new, obsolete; not yet updated): the files' SHA-256. */
  approval?: { baseline: string | null; current: string | null };
  /** The pair's kind of difference and its changed regions (when regions were found). */
  kind?: Kind;
  regions?: Region[];
}

/**
 * The n-th accepted variant of a baseline (n >= 1): `name.png` -> `name.variant-1.png` beside it. A pair
 * passes when its image passes against the baseline or any variant.
 */
export function variantPath(baseline: string, n: number): string {
  const slash = Math.max(baseline.lastIndexOf('/'), baseline.lastIndexOf('\\'));
  const dot = baseline.lastIndexOf('.');
  const cut = dot > slash + 1 ? dot : baseline.length;
  return `${baseline.slice(0, cut)}.variant-${n}${baseline.slice(cut)}`;
}

/** Matches a variant's file name (`name.variant-3.png`): the baseline's stem and n. */
export const VARIANT = /^(.*)\.variant-([1-9][0-9]*)(\.[^./]*)?$/;

/** The distribution metrics: `--loss fid,kid` (and a config's `loss`) compares two folders as sets. */
export type SetMetric = 'fid' | 'kid';
export const SET_METRICS: readonly SetMetric[] = ['fid', 'kid'];

/** Splits a loss list into the per-pair losses and the set metrics (fid, kid). */
export function splitSetMetrics(losses: readonly string[]): { pair: string[]; sets: SetMetric[] } {
  const sets = SET_METRICS.filter((m) => losses.includes(m));
  return { pair: losses.filter((l) => !(SET_METRICS as readonly string[]).includes(l)), sets };
}

/** Why a set metric cannot be a pair's loss (`where`: the option or command that named it), else null. */
export function setMetricMisuse(loss: string, where: string): string | null {
  if (!(SET_METRICS as readonly string[]).includes(loss)) return null;
  return `${where}: ${loss} compares two sets of images, not a pair (use batch or review --loss ${loss}, or \`nectar-loss ${loss} <realDir> <fakeDir>\`)`;
}
