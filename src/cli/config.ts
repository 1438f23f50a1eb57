import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SETTING_KEYS, type SettingKey, type Settings } from '../config.js';
import type { Gate } from '../engine/decide/gates.js';
import type { Layer, Resolved } from '../engine/settings.js';
import { UserError } from '../errors.js';
import type { Rect } from '../model.js';

/** What a command's config resolution leaves for its action. */
export interface CommandConfig {
  resolved: Resolved;
  /** The settings given as flags on this command line. */
  flags: Settings;
  /** --gates FILE's gates (batch). */
  fileGates: Gate[];
}

const contexts = new WeakMap<Command, CommandConfig>();

/** `--config <file>` and `--no-config`, on every command. */
export function addConfigOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'settings from this file instead of the nectar-loss.config.* found upward')
    .option('--no-config', 'read no config file (nectar-loss.config.*, package.json "nectar-loss")');
}

/** The action's config (resolved before it ran by the preAction hook). */
export function configOf(cmd: Command): CommandConfig {
  const c = contexts.get(cmd);
  if (!c) throw new Error('config not resolved before the action');
  return c;
}

/** A flag's value as the config spells it (--loss a,b is ['a','b']; --max tokens stay a list). */
function flagValue(key: SettingKey, v: unknown): unknown {
  if (key === 'loss' && typeof v === 'string')
    return v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if ((key === 'max' || key === 'min') && Array.isArray(v) && !v.length) return undefined;
  return v;
}

/** The settings this command line gives as flags (commander's source 'cli' or 'env'). */
function flagsOf(cmd: Command): Settings {
  const out: Record<string, unknown> = {};
  const o = cmd.opts();
  for (const k of SETTING_KEYS) {
    const src = cmd.getOptionValueSource(k);
    if (src !== 'cli' && src !== 'env') continue;
    const v = flagValue(k, o[k]);
    if (v !== undefined) out[k] = v;
  }
  return out as Settings;
}

/** A config value as the command's option holds it (--loss a comma list, --ignore rectangles). */
function optionValue(key: SettingKey, v: unknown): unknown {
  if (key === 'loss') return Array.isArray(v) ? v.join(',') : v;
  if (key === 'ignore') return (v as (string | Rect)[]).map(rectOf);
  return v;
}

function rectOf(r: string | Rect): Rect {
  if (typeof r !== 'string') return r;
  const n = r.split(',').map((s) => Number(s.trim()));
  if (n.length !== 4 || n.some((x) => !Number.isSafeInteger(x) || x < 0) || n[2]! < 1 || n[3]! < 1)
    throw new UserError(
      `ignore: expected x,y,w,h in whole pixels (w, h at least 1), e.g. 0,0,120,40 (got '${r}')`,
    );
  return { x: n[0]!, y: n[1]!, width: n[2]!, height: n[3]! };
}

/** --gates FILE: its gates and its header's settings (checked against the flags given). */
async function gatesFileLayer(file: string, flags: Settings): Promise<{ gates: Gate[]; layer: Layer }> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(
      `--gates ${file}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  const { parseGatesFile, checkHeader } = await import('../engine/decide/gates-file.js');
  const { validateConfig } = await import('../io/config.js');
  const { flagOf } = await import('../engine/settings.js');
  const { gates, header } = parseGatesFile(text, file);
  // The calibrated losses are recorded; batch computes the losses its gates name (as before headers).
  delete header.loss;
  const settings = validateConfig(header, `--gates ${file}: header`) as Settings;
  checkHeader(settings, flags, file, flagOf);
  return { gates, layer: { source: 'flag', values: settings } };
}

/**
 * The preAction hook: finds and validates the config, resolves defaults < config < (gates file header) <
 * flags, and sets each option the command has and the command line left out to the config's value.
 */
export async function applyConfig(cmd: Command, extra: Settings = {}): Promise<void> {
  const o = cmd.opts();
  const [{ loadConfig }, { resolveSettings }] = await Promise.all([
    import('../io/config.js'),
    import('../engine/settings.js'),
  ]);
  const loaded = await loadConfig({
    file: typeof o.config === 'string' ? o.config : undefined,
    none: o.config === false,
  });
  const flags = { ...flagsOf(cmd), ...extra };
  const fromFile = typeof o.gates === 'string' ? await gatesFileLayer(o.gates, flags) : undefined;
  const layers: Layer[] = [...(fromFile ? [fromFile.layer] : []), { source: 'flag', values: flags }];
  const resolved = resolveSettings(loaded, layers);
  contexts.set(cmd, { resolved, flags, fileGates: fromFile?.gates ?? [] });
  const has = new Set(cmd.options.map((x) => x.attributeName()));
  for (const k of SETTING_KEYS) {
    if (k === 'max' || k === 'min' || !has.has(k)) continue;
    const src = resolved.sources[k];
    if (src === undefined || src === 'default' || cmd.getOptionValueSource(k) === 'cli') continue;
    cmd.setOptionValueWithSource(k, optionValue(k, resolved.settings[k]), 'config');
  }
}

/** `nectar-loss config [--json]`: the resolved settings and where each came from. */
export function printConfig(cmd: Command, json: boolean, out: (s: string) => void): void {
  const { resolved } = configOf(cmd);
  const settings: Record<string, unknown> = { ...resolved.settings };
  const sources: Record<string, string> = { ...resolved.sources };
  if (resolved.overrides.length) {
    settings.overrides = resolved.overrides;
    sources.overrides = 'file';
  }
  if (json) {
    out(JSON.stringify({ file: resolved.file, settings, sources }) + '\n');
    return;
  }
  const w = Math.max(...Object.keys(settings).map((k) => k.length));
  out(`config file: ${resolved.file ?? 'none'}\n`);
  for (const [k, v] of Object.entries(settings))
    out(`${k.padEnd(w)}  ${typeof v === 'string' ? v : JSON.stringify(v)}  (${sources[k]})\n`);
}
