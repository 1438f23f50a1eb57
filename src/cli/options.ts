import { Command, InvalidArgumentError, Option } from 'commander';
import { COLORMAPS } from '../io/colormap.js';
import { ENV_NO_DOWNLOAD, ENV_WEIGHTS } from '../io/weights/env.js';
import { BACKEND_NAMES, DEFAULTS, PNG_KINDS, RANGES, type BackendName, type ComputeSettings, type DrawSettings, type PngKind, type Range } from '../model.js';

/** The options every comparison takes, as commander hands them over (defaults from model.ts's DEFAULTS). */
export interface PairOptionValues {
  out: string;
  maps: boolean;
  raw?: boolean;
  files?: PngKind[];
  range: Range;
  backend: BackendName;
  scale: number | 'max';
  colormap: string;
  resize?: boolean;
  weights?: string;
  download: boolean;
  maxPixels?: number;
}

/** A run's settings, split by what they control; weights are located once the losses are known. */
export interface RunSettings {
  out: string;
  compute: Omit<ComputeSettings, 'weights'>;
  /** Absent with --no-maps. */
  draw?: DrawSettings;
  weights: { file?: string; download: boolean };
}

/** Builds the settings once, from the parsed options. */
export function runSettings(o: PairOptionValues): RunSettings {
  return {
    out: o.out,
    compute: { range: o.range, backend: o.backend, resize: Boolean(o.resize), maxPixels: o.maxPixels ?? DEFAULTS.maxPixels },
    draw: o.maps ? { kinds: o.files ?? DEFAULTS.draw.kinds, scale: o.scale, colormap: o.colormap, raw: Boolean(o.raw) } : undefined,
    weights: { file: o.weights, download: o.download !== false },
  };
}

function parseScale(v: string): number | 'max' {
  if (v === 'max') return 'max';
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number or "max".');
  return n;
}

function parseKinds(v: string): PngKind[] {
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.find((k) => !(PNG_KINDS as readonly string[]).includes(k));
  if (bad !== undefined || !list.length) throw new InvalidArgumentError(`expected a comma-separated list of ${PNG_KINDS.join(', ')}.`);
  return list as PngKind[];
}

function parseMaxPixels(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of pixels.');
  return n;
}

/** The options every comparison takes, in the single and the batch command alike. */
export function addPairOptions(cmd: Command): Command {
  const { draw, compute } = DEFAULTS;
  return cmd
    .option('-o, --out <dir>', 'folder for heatmap, filtered maps, figure (created if missing)', DEFAULTS.out)
    .option('--no-maps', 'write no files, only print the mean')
    .option('--raw', 'also write the float32 loss map as NumPy .npy (H x W, <f4)')
    .option('--files <kinds>', `PNG files to write, comma-separated: ${PNG_KINDS.join(', ')} (default: all)`, parseKinds)
    .addOption(new Option('--range <range>', 'unit: x = v/max in [0,1]; signed: 2*unit-1, NectarGAN training tensors').choices(RANGES).default(compute.range))
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(BACKEND_NAMES).default(compute.backend))
    .option('--scale <number|max>', 'heatmap level = 255*clamp(map/scale, 0, 1); max = the map maximum', parseScale, draw.scale)
    .addOption(new Option('--colormap <name>', 'heatmap colours (gray writes a 1-channel PNG)').choices(COLORMAPS).default(draw.colormap))
    .option('--resize', "resize fake to real's size instead of refusing a size mismatch")
    .option('--weights <file>', `vgg: VGG19 weights (.pth of any torch version, or .safetensors); default $${ENV_WEIGHTS}, else torch.hub's cache`)
    .option('--no-download', `vgg: never download missing weights (also: $${ENV_NO_DOWNLOAD}=1)`)
    .option('--max-pixels <n>', `refuse images with more pixels than this (default ${DEFAULTS.maxPixels}, sharp's limit)`, parseMaxPixels);
}
