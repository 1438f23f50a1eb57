import { Command, InvalidArgumentError, Option } from 'commander';
import { UserError } from '../errors.js';
import { COLORMAPS } from '../io/colormap.js';
import { ALEXNET_HUB, ENV_NO_DOWNLOAD, ENV_WEIGHTS, VGG16_HUB } from '../io/weights/env.js';
import { checkLossTraits } from '../engine/checks.js';
import { refuseRegionJudges } from '../engine/decide/gates.js';
import {
  BACKEND_NAMES,
  DEFAULTS,
  DEFAULT_VIEWING,
  KINDS,
  viewingPpd,
  MAX_SHIFT,
  PNG_KINDS,
  RANGES,
  type BackendName,
  type ComputeSettings,
  type DrawSettings,
  type Kind,
  type RegionSettings,
  type PngKind,
  type Range,
  type Rect,
} from '../model.js';

/** The options every comparison takes, as commander hands them over (defaults from model.ts's DEFAULTS). */
export interface PairOptionValues {
  out: string;
  maps: boolean;
  raw?: boolean;
  files?: PngKind[];
  range: Range;
  backend: BackendName;
  /** Absent: each loss's own (psnr: 0.01·L²), else 1. */
  scale?: number | 'max';
  colormap?: string;
  resize?: boolean;
  weights?: string;
  alexnetWeights?: string;
  vgg16Weights?: string;
  download: boolean;
  maxPixels?: number;
  shiftTolerance: number;
  mask?: string;
  ignore: Rect[];
  ppd?: number;
  monitorDistance?: number;
  monitorWidth?: number;
  monitorResolution?: number;
  regionThreshold?: number;
  minRegionArea: number;
  maxDisplacement: number;
  allow?: Kind[];
  /** true with --regions, false with --no-regions (or the config's regions: false), else undefined. */
  regions?: boolean;
  /** false with --no-region-boxes: heatmaps without the regions' outlines. */
  regionBoxes?: boolean;
}

/** A run's settings, split by what they control; weights are located once the losses are known. */
export interface RunSettings {
  out: string;
  compute: Omit<ComputeSettings, 'weights'>;
  /** Absent with --no-maps. */
  draw?: DrawSettings;
  weights: { file?: string; alexnet?: string; vgg16?: string; download: boolean };
  /** --allow: pairs whose every changed region is of one of these kinds pass, whatever the numbers. */
  allow?: Kind[];
}

/** Builds the settings once, from the parsed options. */
export function runSettings(o: PairOptionValues): RunSettings {
  return {
    out: o.out,
    compute: {
      range: o.range,
      backend: o.backend,
      resize: Boolean(o.resize),
      maxPixels: o.maxPixels ?? DEFAULTS.maxPixels,
      shift: o.shiftTolerance,
      mask: o.mask,
      ignore: o.ignore,
      ppd: ppdOf(o),
      regions: regionSettings(o),
    },
    ...(o.allow ? { allow: o.allow } : {}),
    draw: o.maps
      ? {
          kinds: o.files ?? DEFAULTS.draw.kinds,
          scale: o.scale,
          colormap: o.colormap,
          raw: Boolean(o.raw),
          ...(o.regionBoxes === false ? { regionBoxes: false } : {}),
        }
      : undefined,
    weights: {
      file: o.weights,
      alexnet: o.alexnetWeights,
      vgg16: o.vgg16Weights,
      download: o.download !== false,
    },
  };
}

/** How a command line without regions that needs them is mended (the refusals' words). */
export const NO_REGIONS_FIX = 'drop --no-regions (or regions: false in the config)';

/** The region settings; undefined with --no-regions. */
function regionSettings(o: PairOptionValues): RegionSettings | undefined {
  if (o.regions === false) {
    refuseRegionJudges([], o.allow, '--allow', NO_REGIONS_FIX);
    return undefined;
  }
  return {
    ...(o.regionThreshold !== undefined ? { threshold: o.regionThreshold } : {}),
    minArea: o.minRegionArea,
    maxDisplacement: o.maxDisplacement,
  };
}

/** --ppd, or the viewing conditions (each defaulting to FLIP's), as FLIP's tool takes them. */
function ppdOf(o: PairOptionValues): number {
  const viewing = [o.monitorDistance, o.monitorWidth, o.monitorResolution];
  if (o.ppd !== undefined && viewing.some((v) => v !== undefined))
    throw new UserError('give --ppd or --monitor-distance/--monitor-width/--monitor-resolution, not both');
  if (o.ppd !== undefined) return o.ppd;
  if (viewing.every((v) => v === undefined)) return DEFAULTS.compute.ppd;
  const d = DEFAULT_VIEWING;
  return viewingPpd(
    o.monitorDistance ?? d.distance,
    o.monitorWidth ?? d.width,
    o.monitorResolution ?? d.resolution,
  );
}

function parsePositive(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('expected a positive number.');
  return n;
}

function parseScale(v: string): number | 'max' {
  if (v === 'max') return 'max';
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('expected a positive number or "max".');
  return n;
}

function parseKinds(v: string): PngKind[] {
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.find((k) => !(PNG_KINDS as readonly string[]).includes(k));
  if (bad !== undefined || !list.length)
    throw new InvalidArgumentError(`expected a comma-separated list of ${PNG_KINDS.join(', ')}.`);
  return list as PngKind[];
}

function parseMaxPixels(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of pixels.');
  return n;
}

/** A comma-separated list of kinds (--allow). */
export function parseAllow(v: string): Kind[] {
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.find((k) => !(KINDS as readonly string[]).includes(k));
  if (bad !== undefined || !list.length)
    throw new InvalidArgumentError(`expected a comma-separated list of ${KINDS.join(', ')}.`);
  return list as Kind[];
}

function parseWhole(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a whole number, 0 or more.');
  return n;
}

function parseNonNegative(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('expected a number, 0 or more.');
  return n;
}

function parseShift(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > MAX_SHIFT)
    throw new InvalidArgumentError(`expected a whole number of pixels from 0 to ${MAX_SHIFT}.`);
  return n;
}

/** `--ignore x,y,w,h`, repeatable. */
function parseRect(v: string, prev: Rect[]): Rect[] {
  const n = v.split(',').map((s) => Number(s.trim()));
  if (n.length !== 4 || n.some((x) => !Number.isSafeInteger(x) || x < 0) || n[2] < 1 || n[3] < 1)
    throw new InvalidArgumentError('expected x,y,w,h in whole pixels (w, h at least 1), e.g. 0,0,120,40.');
  return [...prev, { x: n[0], y: n[1], width: n[2], height: n[3] }];
}

/**
 * Options that only some losses take, checked before any work: a mask restricts the mean of a per-pixel
 * map, so losses whose value is not one (vgg) refuse it; shift tolerance exists for sobel, laplacian, l1, l2.
 */
export function checkLossOptions(losses: readonly string[], run: RunSettings, masksDir?: string): void {
  const masked = run.compute.mask !== undefined || run.compute.ignore.length > 0 || masksDir !== undefined;
  checkLossTraits(losses, masked, run.compute.shift);
}

/** Options that only shape the files written, by attribute name (calibrate, writing none, leaves them out). */
const DRAW_ONLY = new Set(['out', 'maps', 'raw', 'files', 'scale', 'colormap', 'regionBoxes']);

/**
 * The options every comparison takes, in the single and the batch command alike; `draw: false` leaves out
 * those that only shape the files written.
 */
export function addPairOptions(cmd: Command, { draw = true } = {}): Command {
  const all = [
    ...fileOptions(),
    ...backendOptions(),
    ...heatmapOptions(),
    ...weightOptions(),
    ...limitOptions(),
    ...viewingOptions(),
  ];
  for (const o of all) if (draw || !DRAW_ONLY.has(o.attributeName())) cmd.addOption(o);
  return cmd;
}

const opt = (flags: string, description: string) => new Option(flags, description);

/** flip's viewing conditions, named as FLIP's tool names them in its help (its --viewing-conditions takes all three). */
/** The default ppd in float64 (what --help prints; FLIP itself rounds each step to float32: 67.0206451). */
function exactPpd(): number {
  const v = DEFAULT_VIEWING;
  return (v.distance * v.resolution * Math.PI) / (v.width * 180);
}

function viewingOptions(): Option[] {
  const v = DEFAULT_VIEWING;
  return [
    opt(
      '--ppd <n>',
      `flip: pixels per degree of visual angle (default ${exactPpd().toFixed(6)} = 3840·π/180: ` +
        `0.7 m from a 0.7 m wide 3840-px display)`,
    ).argParser(parsePositive),
    opt('--monitor-distance <m>', `flip: viewing distance in metres (default ${v.distance})`).argParser(
      parsePositive,
    ),
    opt('--monitor-width <m>', `flip: display width in metres (default ${v.width})`).argParser(parsePositive),
    opt('--monitor-resolution <px>', `flip: display width in pixels (default ${v.resolution})`).argParser(
      parsePositive,
    ),
  ];
}

function fileOptions(): Option[] {
  return [
    opt('-o, --out <dir>', 'folder for heatmap, filtered maps, figure (created if missing)').default(
      DEFAULTS.out,
    ),
    opt('--no-maps', 'write no files, only print the mean'),
    opt('--raw', 'also write the float32 loss map as NumPy .npy (H x W, <f4)'),
    opt(
      '--files <kinds>',
      `PNG files to write, comma-separated: ${PNG_KINDS.join(', ')} (default: all)`,
    ).argParser(parseKinds),
  ];
}

function backendOptions(): Option[] {
  const { compute } = DEFAULTS;
  return [
    opt('--range <range>', 'unit: x = v/max in [0,1]; signed: 2*unit-1, NectarGAN training tensors')
      .choices(RANGES)
      .default(compute.range),
    opt('--backend <name>', 'TensorFlow.js backend').choices(BACKEND_NAMES).default(compute.backend),
  ];
}

function heatmapOptions(): Option[] {
  return [
    opt('--scale <number|max>', 'heatmap level = 255*clamp(map/scale, 0, 1); max = the map maximum')
      .argParser(parseScale)
      .default(undefined, '1; psnr: 0.01·L², L the data range: white at a tenth of it'),
    opt('--colormap <name>', 'heatmap colours (gray writes a 1-channel PNG)')
      .choices(COLORMAPS)
      .default(undefined, `${DEFAULTS.colormap}; flip: magma, as FLIP's tool`),
  ];
}

function weightOptions(): Option[] {
  return [
    opt('--resize', "resize fake to real's size instead of refusing a size mismatch"),
    opt(
      '--weights <file>',
      `vgg: VGG19 weights (.pth of any torch version, or .safetensors); default $${ENV_WEIGHTS}, else ` +
        `torch.hub's cache`,
    ),
    opt(
      '--alexnet-weights <file>',
      `lpips: torchvision's AlexNet weights (alexnet-owt-7be5be79.pth); default $${ALEXNET_HUB.envWeights}, ` +
        `else torch.hub's cache`,
    ),
    opt(
      '--vgg16-weights <file>',
      `lpips-vgg: torchvision's VGG16 weights (vgg16-397923af.pth); default $${VGG16_HUB.envWeights}, else ` +
        `torch.hub's cache`,
    ),
    opt('--no-download', `vgg, lpips: never download missing weights (also: $${ENV_NO_DOWNLOAD}=1)`),
  ];
}

function limitOptions(): Option[] {
  return [
    opt(
      '--max-pixels <n>',
      `refuse images with more pixels than this (default ${DEFAULTS.maxPixels}, sharp's limit)`,
    ).argParser(parseMaxPixels),
    opt(
      '--mask <png>',
      "compare only where this image (real's size) is brighter than 127; the rest is hatched on heatmaps",
    ),
    opt('--ignore <x,y,w,h>', 'leave this rectangle out of the comparison (repeatable)')
      .argParser(parseRect)
      .default([]),
    opt(
      '--shift-tolerance <k>',
      `sobel, laplacian, l1, l2: per pixel, the smallest difference over shifts of fake up to k px ` +
        `(0-${MAX_SHIFT}; not NectarGAN's training loss)`,
    )
      .argParser(parseShift)
      .default(DEFAULTS.compute.shift),
    ...regionOptions(),
  ];
}

/** Changed regions and kinds (docs/regions.md). */
function regionOptions(): Option[] {
  return [
    opt(
      '--region-threshold <t>',
      'changed regions: a pixel differs where the first mapped loss exceeds t (default per loss: sobel and ' +
        'laplacian 0.1, l1 0.001, l2 4e-6, ssim 0.05, flip 0.05; doubled in the signed range)',
    ).argParser(parseNonNegative),
    opt('--min-region-area <n>', 'drop changed regions of fewer pixels')
      .argParser(parseWhole)
      .default(DEFAULTS.regions.minArea),
    opt('--max-displacement <px>', "search a region's displacement up to this many px")
      .argParser(parseWhole)
      .default(DEFAULTS.regions.maxDisplacement),
    opt('--regions', "find changed regions and each one's kind (the default)"),
    opt(
      '--no-regions',
      'find no changed regions or kinds (records have no kind and regions; a little faster)',
    ),
    opt('--no-region-boxes', 'draw no outline around each changed region on the heatmaps (cyan, 1 px)'),
    opt(
      '--allow <kinds>',
      `pass pairs whose every changed region is of these kinds (${KINDS.join(', ')}), whatever the numbers`,
    ).argParser(parseAllow),
  ];
}
