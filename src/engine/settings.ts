/**
 * The one resolver of a run's settings: defaults < config file < flags < call options (an option passed to
 * compareImages or a matcher). The CLI, the library and the matchers all call it, so that a setting means the
 * same thing wherever it is given.
 */
import path from 'node:path';
import picomatch from 'picomatch';
import {
  DEFAULT_SETTINGS,
  SETTING_KEYS,
  type GateInput,
  type Override,
  type SettingKey,
  type Settings,
} from '../config.js';
import type { LoadedConfig } from '../io/config.js';
import { gateMap, gatesOf, type GateMap } from './decide/grammar.js';
import type { Gate } from './decide/gates.js';

/** Where a resolved setting came from (the `config` command prints it). */
export type Source = 'default' | 'file' | 'flag' | 'option';

/** One layer of given settings, above the defaults. */
export interface Layer {
  source: Exclude<Source, 'default'>;
  values: Settings;
}

export interface Resolved {
  /** The config file read (null: none). */
  file: string | null;
  /** Every setting with a value; max and min as merged gate maps (`{ 'sobel.p99': 0.3 }`). */
  settings: Omit<Settings, 'max' | 'min'> & { max?: GateMap; min?: GateMap };
  sources: Partial<Record<SettingKey, Source>>;
  overrides: Override[];
  /** Each layer's gates, lowest first (a bare number is named only once the losses are known). */
  layers: { max: GateMap[]; min: GateMap[] };
}

/** `shiftTolerance` as the CLI spells it: `--shift-tolerance`. */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** How a layer's errors name a key: the config file's path, the flag, or the option. */
function whereOf(layer: Layer, key: string, file: string | null): string {
  if (layer.source === 'file')
    return `${file ? path.relative(process.cwd(), file) || file : 'config'}: ${key}`;
  return layer.source === 'flag' ? flagOf(key) : key;
}

/**
 * Resolves the layers in order over the defaults. Scalars and lists: the highest layer that gives one wins.
 * Gates (max, min) merge by name: `--max sobel=0.2` replaces the config's `sobel` gate and keeps its others.
 */
export function resolveSettings(config: LoadedConfig, layers: readonly Layer[]): Resolved {
  const all: Layer[] = [{ source: 'file', values: config.config }, ...layers];
  const settings = { ...DEFAULT_SETTINGS } as Resolved['settings'];
  const sources: Resolved['sources'] = {};
  const gateLayers: Resolved['layers'] = { max: [], min: [] };
  for (const k of Object.keys(DEFAULT_SETTINGS) as SettingKey[]) sources[k] = 'default';
  for (const layer of all)
    for (const key of SETTING_KEYS) {
      const v = layer.values[key];
      if (v === undefined) continue;
      if (key === 'max' || key === 'min') {
        const given = gateMap(v as GateInput, key, whereOf(layer, key, config.file));
        settings[key] = { ...settings[key], ...given };
        gateLayers[key].push(given);
      } else (settings as Record<string, unknown>)[key] = v;
      sources[key] = layer.source;
    }
  const overrides = config.config.overrides ?? [];
  overrides.forEach((o, i) => {
    const where = `${config.file ? path.relative(process.cwd(), config.file) || config.file : 'config'}: overrides.${i}`;
    gateMap(o.max, 'max', `${where}.max`);
    gateMap(o.min, 'min', `${where}.min`);
  });
  return { file: config.file, settings, sources, overrides, layers: gateLayers };
}

/** The resolved losses as a list. */
export function lossesOf(r: Resolved): string[] {
  const l = r.settings.loss ?? DEFAULT_SETTINGS.loss!;
  return typeof l === 'string' ? [l] : [...l];
}

/**
 * The gates for these losses and, with a pair's relative path, the overrides whose `files` glob matches it
 * (later overrides win, gate by gate). `bare`: what a bare number means (see gatesOf).
 */
export function gatesFor(
  r: Resolved,
  losses: readonly string[],
  name?: string,
  bare: 'only' | 'first' = 'only',
): Gate[] {
  const max = [...r.layers.max],
    min = [...r.layers.min];
  if (name !== undefined)
    for (const [i, o] of r.overrides.entries()) {
      if (!matches(o.files, name)) continue;
      max.push(gateMap(o.max, 'max', `overrides.${i}.max`));
      min.push(gateMap(o.min, 'min', `overrides.${i}.min`));
    }
  // Each layer's gates named first, so that `--max l1=0.05` replaces a config's bare `max: 0.01` for l1.
  const merged = (maps: GateMap[], bound: 'max' | 'min') =>
    maps.reduce<Record<string, Gate>>((acc, m) => {
      for (const g of gatesOf(m, bound, losses, bare)) acc[g.stat ? `${g.loss}.${g.stat}` : g.loss] = g;
      return acc;
    }, {});
  return [...Object.values(merged(max, 'max')), ...Object.values(merged(min, 'min'))];
}

/** Whether any override could change a pair's gates (batch then decides pair by pair). */
export function hasOverrides(r: Resolved): boolean {
  return r.overrides.some((o) => o.max !== undefined || o.min !== undefined);
}

const matchers = new Map<string, (s: string) => boolean>();

/** A relative path (forward slashes) against a glob or a list of globs (picomatch; `**` crosses folders). */
export function matches(globs: string | readonly string[], name: string): boolean {
  const rel = name.split('\\').join('/');
  return (typeof globs === 'string' ? [globs] : globs).some((g) => {
    let m = matchers.get(g);
    if (!m) matchers.set(g, (m = picomatch(g, { dot: true })));
    return m(rel);
  });
}
