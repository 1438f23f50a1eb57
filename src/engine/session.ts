import { UserError } from '../errors.js';
import { COLORMAPS } from '../io/colormap.js';
import { fromPixels } from '../io/decode.js';
import { locateWeights } from '../io/weights/locate.js';
import { LOSS_NAMES, lossTraits } from '../losses/registry.js';
import { recycleMaps } from '../losses/wasm.js';
import {
  BACKEND_NAMES,
  DEFAULTS,
  MAX_SHIFT,
  RANGES,
  type BackendName,
  type DecodedImage,
  type ImageInput,
  type MapStats,
  type Range,
  type Rect,
  KINDS,
  type Kind,
  type Region,
  type RegionSettings,
  setMetricMisuse,
} from '../model.js';
import { checkLossTraits } from './checks.js';
import type { GateInput } from '../config.js';
import {
  better,
  checkGates,
  failedGates,
  failedVerdict,
  gateValue,
  refuseRegionJudges,
  type Gate,
  type RegionStat,
  type Stat,
} from './decide/gates.js';
import { gateMap, gatesOf } from './decide/grammar.js';
import { withConfig } from './with-config.js';
import { changeText } from './decide/describe.js';
import { LossResources } from './resources.js';

export type { ImageInput } from '../model.js';

/**
 * Bounds, in the gate grammar of --max/--min: a number for the first loss's value, `'sobel.p99=0.3'`
 * (comma- or space-separated), a list of those, or `{ sobel: 0.1, 'sobel.p99': 0.3 }`.
 */
export type Bounds = number | string | readonly (string | number)[] | Readonly<Record<string, number>>;

/** compareImages' options: the CLI's flag names, camel-cased (`--shift-tolerance` is `shiftTolerance`). */
export interface CompareImagesOptions {
  /** One loss or several (default sobel); the first is the one a plain `max`/`min` number bounds. */
  loss?: string | readonly string[];
  max?: Bounds;
  min?: Bounds;
  /** A mask image (expected's size): only pixels brighter than 127 are compared. */
  mask?: string;
  /** Rectangles left out: `{ x, y, width, height }` or `'x,y,w,h'`. */
  ignore?: readonly (Rect | string)[];
  shiftTolerance?: number;
  /** flip: pixels per degree of visual angle (default FLIP's 3840·π/180 = 67.020643, as --ppd). */
  ppd?: number;
  range?: Range;
  /** TensorFlow.js backend: the first call's choice is loaded once per process (default auto). */
  backend?: BackendName;
  /** Resize actual to expected's size instead of refusing a size mismatch (encoded inputs only). */
  resize?: boolean;
  maxPixels?: number;
  /** vgg: VGG19 weights; lpips: AlexNet / VGG16 trunks (default: as the CLI locates them). */
  weights?: string;
  alexnetWeights?: string;
  vgg16Weights?: string;
  /** false: never download missing weights. */
  download?: boolean;
  /**
   * false: skip the maps' statistics (about 2 ms per loss at 1280x720) unless a gate bounds one; the
   * matchers pass false. Default true.
   */
  stats?: boolean;
  /** When to encode the diff (the first mapped loss's heatmap): always (default), on failure, never. */
  diff?: 'always' | 'failure' | 'never';
  /** Heatmap level = 255 * clamp(map / scale, 0, 1); default 'max' (the map's own maximum). */
  scale?: number | 'max';
  /** Heatmap colours (the CLI's --colormap names); default the loss's own (flip: magma), else inferno. */
  colormap?: string;
  /** Pass when every changed region is of these kinds, whatever the numbers (the CLI's --allow). */
  allow?: readonly Kind[];
  /**
   * false: find no changed regions or kinds (results have no `kind`, `regions` or `change`; a little
   * faster). `allow` and region gates (`regions`, `region.area`...) judge regions, so they refuse it.
   * Default true.
   */
  regions?: boolean;
  /** Changed regions: the first mapped loss's per-pixel threshold (default per loss, docs/regions.md). */
  regionThreshold?: number;
  /** Changed regions of fewer pixels are dropped (default 1). */
  minRegionArea?: number;
  /** A region's displacement is searched up to this many px (default 16). */
  maxDisplacement?: number;
  /**
   * The project config (nectar-loss.config.*, package.json "nectar-loss"): absent, the one found upward from
   * the working directory; a path, that file; false, none. An option given here overrides the config.
   */
  config?: string | false;
}

/** One gate's outcome: `name` as written (`sobel`, `sobel.p99`), the value it read and the limit. */
export interface GateVerdict {
  name: string;
  loss: string;
  stat?: Stat | RegionStat;
  bound: 'max' | 'min';
  limit: number;
  value: number;
  pass: boolean;
}

/** What compareImages returns. */
export interface ImageComparison {
  /** Every gate passed (true when none was given). */
  pass: boolean;
  width: number;
  height: number;
  /** The loss's value (its map's mean, or the metric) per loss. */
  values: Record<string, number>;
  /** mean, median, p95, p99, max of each per-pixel map (compared pixels only). */
  stats: Record<string, MapStats>;
  /** Which way each value points. */
  better: Record<string, 'lower' | 'higher'>;
  gates: GateVerdict[];
  /** Failed gates as the CLI prints them: `sobel p99 0.41 > 0.3`. */
  failures: string[];
  /** The kind of difference: the worst changed region's (`identical` without one). */
  kind?: Kind;
  /** Changed regions, worst first. */
  regions?: Region[];
  /** The change in words: `content changed in 1 region, 84×18 at (412,96)` (absent without regions). */
  change?: string;
  /** Pixels left out by mask / ignore, when either was given. */
  ignored?: number;
  /** The TensorFlow.js backend that computed it. */
  backend: string;
  /** The diff: a PNG heatmap of the first loss that has a per-pixel map (bright = differs). */
  diff?: Buffer;
  /** The loss the diff shows. */
  diffLoss?: string;
}

interface Settings {
  losses: string[];
  gates: Gate[];
  compute: {
    range: Range;
    backend: BackendName;
    resize: boolean;
    maxPixels: number;
    shift: number;
    mask?: string;
    ignore: Rect[];
    ppd: number;
    /** Undefined with `regions: false`. */
    regions?: RegionSettings;
  };
  weights: { file?: string; alexnet?: string; vgg16?: string; download: boolean };
  allow?: Kind[];
  stats: boolean;
  diff: 'always' | 'failure' | 'never';
  draw: { scale: number | 'max'; colormap?: string };
}

/**
 * The process's engine: the backend loaded once, weights and kernels kept between calls, computations one at
 * a time. Each worker process or thread of a test runner has its own (nothing is shared on disk).
 */
interface Engine {
  backend?: { requested: BackendName; active: string };
  /** One set of loaded weights per set of weight files. */
  resources: Map<string, LossResources>;
  queue: Promise<unknown>;
}

let engine: Engine | undefined;

/** Runs `f` after every computation queued before it (tfjs has one active backend per thread). */
function serial<T>(e: Engine, f: () => Promise<T>): Promise<T> {
  const run = e.queue.then(f, f);
  e.queue = run.catch(() => undefined);
  return run;
}

/**
 * Compares `actual` with `expected` in this process (no process spawned, no TensorFlow.js start-up after
 * the first call) and returns every loss's value, its map's statistics, the gates' verdicts and a diff PNG.
 * Calls may overlap: decoding runs concurrently, computations one at a time. disposeEngine() frees it all.
 */
export async function compareImages(
  expected: ImageInput,
  actual: ImageInput,
  options: CompareImagesOptions = {},
): Promise<ImageComparison> {
  const s = settingsOf(await withConfig(options));
  const e = (engine ??= { resources: new Map<string, LossResources>(), queue: Promise.resolve() });
  const weights = await locateWeights(
    s.losses.map((l) => lossTraits(l).requires),
    s.weights,
  );
  const key = JSON.stringify(weights);
  let resources = e.resources.get(key);
  if (!resources) e.resources.set(key, (resources = new LossResources(weights)));
  let backend = '';
  const { evaluatePair } = await import('./pair.js');
  const evaluated = await evaluatePair(inputOf('expected', expected), inputOf('actual', actual), undefined, {
    losses: s.losses,
    compute: { ...s.compute, weights },
    resources,
    stats: s.stats,
    keepMaps: s.diff !== 'never',
    serialize: (g) =>
      serial(e, async () => {
        backend = await activate(e, s.compute.backend);
        return g();
      }),
  });
  const result = await resultOf(evaluated, s, backend);
  // The result holds no map (its diff is PNG bytes): the maps' memory serves the next comparison's kernels.
  recycleMaps(evaluated.outputs.map((o) => o.map));
  return result;
}

/** Frees what the engine holds (weights, kernels); the next compareImages starts a new one. */
export async function disposeEngine(): Promise<void> {
  const e = engine;
  if (!e) return;
  engine = undefined;
  await e.queue;
  for (const r of e.resources.values()) r.dispose();
  (await import('../losses/kernels.js')).releaseKernels();
}

/** Loads the backend asked for, once (a later call asking for another one switches to it). */
async function activate(e: Engine, requested: BackendName): Promise<string> {
  if (e.backend && (e.backend.requested === requested || requested === 'auto')) return e.backend.active;
  const { useBackend } = await import('./backend.js');
  const active = await useBackend(requested).catch((err: Error) => {
    throw new UserError(err.message, 'BACKEND_UNAVAILABLE');
  });
  e.backend = { requested, active };
  return active;
}

function inputOf(role: 'expected' | 'actual', x: ImageInput) {
  if (typeof x === 'string') return { bytes: x, label: `${role} ${x}`, name: x };
  if (x instanceof Uint8Array)
    return { bytes: Buffer.from(x.buffer, x.byteOffset, x.byteLength), label: role, name: '(encoded image)' };
  const pixels: DecodedImage = fromPixels(x.data, x.width, x.height, x.channels ?? 4);
  return { bytes: pixels, label: role, name: '(pixels)' };
}

type Evaluated = Awaited<ReturnType<(typeof import('./pair.js'))['evaluatePair']>>;

/** The values, statistics and verdicts, and the diff when it is wanted. */
async function resultOf(ev: Evaluated, s: Settings, backend: string): Promise<ImageComparison> {
  const c = ev.comparison;
  const gates = s.gates.map((g) => verdict(g, c.values, c.stats, c.regions));
  const failures = failedVerdict(s.gates, s.allow, c.values, c.stats, c.regions, show);
  const pass = failures.length === 0;
  const out: ImageComparison = {
    pass,
    width: c.width,
    height: c.height,
    values: c.values,
    stats: c.stats,
    better: Object.fromEntries(s.losses.map((l) => [l, better(l)])),
    gates,
    failures,
    ...(c.kind !== undefined ? { kind: c.kind } : {}),
    ...(c.regions !== undefined ? { regions: c.regions } : {}),
    ...(c.regions?.length ? { change: changeText(c.regions) } : {}),
    ...(c.ignored !== undefined ? { ignored: c.ignored } : {}),
    backend,
  };
  const i = ev.losses.findIndex((l) => !l.mapless);
  if (i < 0 || s.diff === 'never' || (s.diff === 'failure' && pass)) return out;
  const { renderPair } = await import('../io/render.js');
  const loss = ev.losses[i]!;
  const [file] = await renderPair([loss], [ev.outputs[i]!], ev.real, ev.fake, 'diff', {
    kinds: ['heatmap'],
    raw: false,
    scale: s.draw.scale,
    colormap: s.draw.colormap ?? loss.colormap ?? 'inferno',
  });
  return { ...out, diff: file!.bytes, diffLoss: loss.name };
}

/** A value as the messages write it: the shortest decimal that reads back as the same float32. */
function show(v: number): string {
  const f = Math.fround(v);
  for (let p = 1; p <= 9 && Number.isFinite(f); p++) {
    const t = f.toPrecision(p);
    if (Math.fround(Number(t)) === f) return String(Number(t));
  }
  return String(f);
}

function verdict(
  g: Gate,
  values: Record<string, number>,
  stats: Record<string, MapStats>,
  regions: Region[] | undefined,
): GateVerdict {
  const value = gateValue(g, values, stats, regions) ?? NaN;
  return {
    name: g.stat ? `${g.loss}.${g.stat}` : g.loss,
    loss: g.loss,
    ...(g.stat ? { stat: g.stat } : {}),
    bound: g.bound,
    limit: g.limit,
    value,
    pass: failedGates([g], values, stats, undefined, regions).length === 0,
  };
}

/** Checks every option as the CLI does, with the CLI's messages (a UserError names what is wrong). */
/** ppd: a positive number, FLIP's default when absent. */
function ppdOption(ppd: number | undefined): number {
  if (ppd === undefined) return DEFAULTS.compute.ppd;
  if (!Number.isFinite(ppd) || ppd <= 0)
    throw new UserError('ppd: expected a positive number of pixels per degree', 'BAD_OPTION');
  return ppd;
}

function settingsOf(o: CompareImagesOptions): Settings {
  const losses =
    o.loss === undefined ? [...DEFAULTS.losses] : typeof o.loss === 'string' ? [o.loss] : [...o.loss];
  if (!losses.length) throw new UserError('loss: name at least one loss', 'BAD_OPTION');
  for (const l of losses) {
    const misuse = setMetricMisuse(l, 'loss');
    if (misuse) throw new UserError(misuse, 'BAD_OPTION');
    if (!(LOSS_NAMES as readonly string[]).includes(l))
      throw new UserError(`unknown loss '${l}' (choose from ${LOSS_NAMES.join(', ')})`, 'BAD_OPTION');
  }
  const gates = [
    ...gatesOf(gateMap(o.max as GateInput, 'max', 'max'), 'max', losses, 'first'),
    ...gatesOf(gateMap(o.min as GateInput, 'min', 'min'), 'min', losses, 'first'),
  ];
  checkGates(gates, losses);
  const shift = o.shiftTolerance ?? 0;
  if (!Number.isInteger(shift) || shift < 0 || shift > MAX_SHIFT)
    throw new UserError(
      `shiftTolerance: expected a whole number of pixels from 0 to ${MAX_SHIFT}`,
      'BAD_OPTION',
    );
  const ignore = (o.ignore ?? []).map(rectOf);
  checkLossTraits(losses, o.mask !== undefined || ignore.length > 0, shift);
  const range = o.range ?? DEFAULTS.compute.range;
  if (!RANGES.includes(range)) throw new UserError(`range: choose from ${RANGES.join(', ')}`, 'BAD_OPTION');
  const backend = o.backend ?? DEFAULTS.compute.backend;
  if (!BACKEND_NAMES.includes(backend))
    throw new UserError(`backend: choose from ${BACKEND_NAMES.join(', ')}`, 'BAD_OPTION');
  const colormap = o.colormap;
  if (colormap !== undefined && !COLORMAPS.includes(colormap))
    throw new UserError(`colormap: choose from ${COLORMAPS.join(', ')}`, 'BAD_OPTION');
  return {
    losses,
    gates,
    compute: {
      range,
      backend,
      resize: Boolean(o.resize),
      maxPixels: o.maxPixels ?? DEFAULTS.maxPixels,
      shift,
      ...(o.mask !== undefined ? { mask: o.mask } : {}),
      ignore,
      ppd: ppdOption(o.ppd),
      regions: regionSettings(o, gates),
    },
    ...(o.allow !== undefined ? { allow: allowOption(o.allow) } : {}),
    weights: {
      file: o.weights,
      alexnet: o.alexnetWeights,
      vgg16: o.vgg16Weights,
      download: o.download !== false,
    },
    stats: o.stats !== false || gates.some((g) => g.stat !== undefined),
    diff: o.diff ?? 'always',
    draw: { scale: o.scale ?? 'max', ...(colormap !== undefined ? { colormap } : {}) },
  };
}

/** The region options, checked: whole numbers of pixels, a threshold of 0 or more; none with `regions: false`. */
function regionSettings(o: CompareImagesOptions, gates: readonly Gate[]): RegionSettings | undefined {
  if (o.regions !== undefined && typeof o.regions !== 'boolean')
    throw new UserError('regions: expected true or false', 'BAD_OPTION');
  if (o.regions === false) {
    refuseRegionJudges(gates, o.allow, 'allow', 'drop regions: false');
    return undefined;
  }
  const whole = (v: number | undefined, name: string, d: number) => {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0))
      throw new UserError(`${name}: expected a whole number, 0 or more`, 'BAD_OPTION');
    return v ?? d;
  };
  const t = o.regionThreshold;
  if (t !== undefined && !(Number.isFinite(t) && t >= 0))
    throw new UserError('regionThreshold: expected a number, 0 or more', 'BAD_OPTION');
  return {
    ...(t !== undefined ? { threshold: t } : {}),
    minArea: whole(o.minRegionArea, 'minRegionArea', DEFAULTS.regions.minArea),
    maxDisplacement: whole(o.maxDisplacement, 'maxDisplacement', DEFAULTS.regions.maxDisplacement),
  };
}

function allowOption(allow: readonly Kind[]): Kind[] {
  const bad = allow.find((k) => !(KINDS as readonly string[]).includes(k));
  if (bad !== undefined)
    throw new UserError(`allow: unknown kind '${bad}' (choose from ${KINDS.join(', ')})`, 'BAD_OPTION');
  return [...allow];
}

function rectOf(r: Rect | string): Rect {
  const n = typeof r === 'string' ? r.split(',').map((s) => Number(s.trim())) : [r.x, r.y, r.width, r.height];
  if (n.length !== 4 || n.some((x) => !Number.isSafeInteger(x) || x < 0) || n[2]! < 1 || n[3]! < 1)
    throw new UserError(
      `ignore: expected x,y,w,h in whole pixels (w, h at least 1), e.g. 0,0,120,40`,
      'BAD_OPTION',
    );
  return { x: n[0]!, y: n[1]!, width: n[2]!, height: n[3]! };
}
