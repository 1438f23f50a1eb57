/**
 * The project config's schema, its keys and their defaults: one place for every setting a comparison takes
 * (the CLI's flags camel-cased, compareImages' and the matchers' options). A leaf module: the names that live
 * in other layers (losses, colormaps) are passed in, so that the loader and the JSON Schema script build the
 * same schema. Adding a key: one line in `settingShapes` (and, if it has one, its default in DEFAULT_SETTINGS).
 */
import { z } from 'zod';
import {
  BACKEND_NAMES,
  DEFAULTS,
  KINDS,
  MAX_SHIFT,
  PNG_KINDS,
  RANGES,
  type BackendName,
  type Range,
} from './model.js';

/** The package.json key and the file names searched for, upward from the working directory, in this order. */
export const CONFIG_KEY = 'nectar-loss';
export const CONFIG_FILES = [
  'package.json',
  'nectar-loss.config.json',
  'nectar-loss.config.mjs',
  'nectar-loss.config.js',
  'nectar-loss.config.cjs',
] as const;

/**
 * Gates, in the one grammar (src/engine/decide/grammar.ts): a bare number (the only loss), `'sobel=0.1'`,
 * `'sobel.p99=0.3, l1=0.05'`, a list of those, or `{ sobel: 0.1, 'sobel.p99': 0.3 }`.
 */
const gatesShape = () =>
  z.union([
    z.number(),
    z.string(),
    z.array(z.union([z.string(), z.number()])),
    z.record(z.string(), z.number()),
  ]);

const rectShape = () =>
  z.union([
    z.string(),
    z.strictObject({ x: z.int().min(0), y: z.int().min(0), width: z.int().min(1), height: z.int().min(1) }),
  ]);

/** The names that other layers own: the loss registry's and the colormaps'. */
export interface SchemaNames {
  losses: readonly string[];
  colormaps: readonly string[];
}

/** Every setting, by key (the CLI flag `--shift-tolerance` is `shiftTolerance`). */
function settingShapes(n: SchemaNames) {
  const loss = z.enum(n.losses as [string, ...string[]]);
  const positive = z.number().positive();
  return {
    loss: z
      .union([loss, z.array(loss).min(1)])
      .describe(
        'one loss or a list (batch, calibrate, review; fid and kid, sets of images: batch and review)',
      ),
    max: gatesShape().describe('upper bounds: 0.05, "sobel=0.05", "sobel.p99=0.3", or { "sobel.p99": 0.3 }'),
    min: gatesShape().describe('lower bounds on higher-is-better metrics (ssim, ms-ssim, psnr)'),
    shiftTolerance: z.int().min(0).max(MAX_SHIFT),
    range: z.enum(RANGES as [Range, ...Range[]]),
    mask: z.string().describe('mask image (real size): only pixels brighter than 127 are compared'),
    ignore: z.array(rectShape()).describe('rectangles left out: "x,y,w,h" or { x, y, width, height }'),
    ppd: positive,
    monitorDistance: positive,
    monitorWidth: positive,
    monitorResolution: positive,
    colormap: z.enum(n.colormaps as [string, ...string[]]),
    scale: z.union([positive, z.literal('max')]),
    backend: z.enum(BACKEND_NAMES as [BackendName, ...BackendName[]]),
    weights: z.string(),
    alexnetWeights: z.string(),
    vgg16Weights: z.string(),
    download: z.boolean(),
    resize: z.boolean(),
    maxPixels: z.int().min(1),
    out: z.string(),
    maps: z.boolean(),
    raw: z.boolean(),
    files: z.array(z.enum(PNG_KINDS)),
    allow: z
      .array(z.enum(KINDS))
      .describe('pass pairs whose every changed region is of these kinds, whatever the numbers'),
    regions: z
      .boolean()
      .describe(
        'false: find no changed regions or kinds (a little faster; allow and region gates refuse it)',
      ),
    regionBoxes: z.boolean().describe('false: no outline around each changed region on the heatmaps'),
    regionThreshold: z
      .number()
      .min(0)
      .describe(
        'changed regions: a pixel differs where the first mapped loss exceeds this (default per loss)',
      ),
    minRegionArea: z.int().min(0).describe('changed regions of fewer pixels are dropped (default 1)'),
    maxDisplacement: z
      .int()
      .min(0)
      .describe("a region's displacement is searched up to this many px (default 16)"),
    jobs: z.int().min(1).max(256),
    margin: z.number().min(0),
    failOnUpdate: z
      .boolean()
      .describe('a written or updated baseline fails the run or assertion (batch, the test-runner matchers)'),
  };
}

/** What calibrate --write-config records beside the gates (read by people; batch ignores it). */
const calibratedShape = () =>
  z.strictObject({
    when: z.string(),
    baseline: z.string(),
    noise: z.string().optional(),
    history: z.string().optional(),
    changed: z.string().optional(),
    pairs: z.strictObject({ noise: z.int(), changed: z.int().optional() }),
    backend: z.string().optional(),
    margin: z.number().optional(),
    gates: z.record(
      z.string(),
      z.strictObject({
        limit: z.number(),
        ceiling: z.number().nullable(),
        nearest: z.number().nullable().optional(),
        separation: z.number().nullable().optional(),
        caught: z.int().optional(),
        changed: z.int().optional(),
      }),
    ),
  });

/** The config file's schema (strict: an unknown key is an error naming it). */
export function configSchema(n: SchemaNames) {
  const s = settingShapes(n);
  return z
    .strictObject({
      $schema: z.string().optional(),
      ...z.object(s).partial().shape,
      overrides: z
        .array(
          z.strictObject({
            files: z.union([z.string(), z.array(z.string()).min(1)]),
            max: s.max.optional(),
            min: s.min.optional(),
          }),
        )
        .optional()
        .describe("per-path gates, glob-matched on the pair's relative path (batch); later entries win"),
      calibrated: calibratedShape().optional(),
    })
    .describe(
      'nectar-loss project config (nectar-loss.config.json or the "nectar-loss" key of package.json)',
    );
}

export type ProjectConfig = z.infer<ReturnType<typeof configSchema>>;
/** Every setting key, in the schema's order. */
export type SettingKey = keyof ReturnType<typeof settingShapes>;
export type Settings = Partial<Pick<ProjectConfig, SettingKey>>;
export type GateInput = NonNullable<ProjectConfig['max']>;
export type Override = NonNullable<ProjectConfig['overrides']>[number];

/** The setting keys (the CLI option attribute of each has the same name). */
export const SETTING_KEYS = Object.keys(settingShapes({ losses: ['x'], colormaps: ['x'] })) as SettingKey[];

/** The defaults a setting takes when neither the config, a flag nor an option gives it (absent: none). */
export const DEFAULT_SETTINGS: Settings = {
  loss: [...DEFAULTS.losses],
  shiftTolerance: DEFAULTS.compute.shift,
  range: DEFAULTS.compute.range,
  ignore: [],
  ppd: DEFAULTS.compute.ppd,
  backend: DEFAULTS.compute.backend,
  download: true,
  resize: false,
  maxPixels: DEFAULTS.maxPixels,
  out: DEFAULTS.out,
  maps: true,
  raw: false,
};
