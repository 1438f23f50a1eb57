/**
 * The library's and the matchers' way into the resolver: compareImages' options over the project config
 * (found upward from the working directory, or the file named by the `config` option; `config: false` reads
 * none). An option passed in the call wins over the config; gates merge by name.
 */
import { SETTING_KEYS, type Settings } from '../config.js';
import { loadConfig, type LoadedConfig } from '../io/config.js';
import { mapOfGates } from './decide/grammar.js';
import { gatesFor, lossesOf, resolveSettings } from './settings.js';

/** Where the config comes from: a file, false for none, absent to search upward from the working directory. */
export interface ConfigChoice {
  config?: string | false;
}

/** Loaded configs by working directory and file: a test process reads its config once. */
const cache = new Map<string, Promise<LoadedConfig>>();

function loadOnce(file: string | undefined): Promise<LoadedConfig> {
  const key = `${process.cwd()}\0${file ?? ''}`;
  let p = cache.get(key);
  if (!p) {
    p = loadConfig({ file });
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** Forgets the configs read so far (a test that writes a config, or a long-lived process that edits one). */
export function clearConfigCache(): void {
  cache.clear();
}

/**
 * The options with the config's settings filled in where the call gave none, and `config: false` (so that a
 * second pass reads nothing). The config's `max`/`min` and the call's merge by name (the call's win).
 */
export async function withConfig<T extends ConfigChoice>(options: T): Promise<T> {
  if (options.config === false) return options;
  const loaded = await loadOnce(options.config);
  if (loaded.file === null) return { ...options, config: false };
  const o = options as T & Record<string, unknown>;
  const given: Record<string, unknown> = {};
  for (const k of SETTING_KEYS) if (o[k] !== undefined) given[k] = o[k];
  const r = resolveSettings(loaded, [{ source: 'option', values: given as Settings }]);
  const out: Record<string, unknown> = { ...(o as Record<string, unknown>), config: false };
  for (const k of SETTING_KEYS) if (r.sources[k] === 'file') out[k] = r.settings[k];
  // Gates named per layer (a bare number: the first loss), then merged by name.
  const gates = gatesFor(r, lossesOf(r), undefined, 'first');
  for (const bound of ['max', 'min'] as const) {
    const mine = gates.filter((g) => g.bound === bound);
    // None given anywhere stays absent: the matchers' default gate (any difference fails) applies then.
    if (mine.length) out[bound] = mapOfGates(mine);
    else delete out[bound];
  }
  return out as T;
}
