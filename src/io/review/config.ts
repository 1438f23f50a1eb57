import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * NectarGAN's train configs: `train1_config.json`, `train2_config.json`, … (ConfigManager.export_config
 * writes one per training started in the experiment folder, `{"config": {...}}`); a continued train has
 * `config.train.load.continue_train` and starts at `load_epoch + 1`.
 */
export interface TrainConfig {
  file: string;
  /** N of trainN_config.json. */
  index: number;
  /** The parsed `config` object (or the whole file when it has none). */
  config: Record<string, unknown>;
  batchSize: number;
  continueTrain: boolean;
  loadEpoch: number;
  /** The first epoch this training ran: load_epoch + 1 when continuing, else 1. */
  startEpoch: number;
  /** Epochs it was set to run (generator learning-rate epochs + epochs_decay), when given. */
  epochs?: number;
  /** Save intervals (save.model_save_rate, save.example_save_rate), when given. */
  modelSaveRate?: number;
  /** What changed from the previous config, as dotted keys (empty for the first). */
  changes: ConfigChange[];
}

export interface ConfigChange {
  key: string;
  before?: unknown;
  after?: unknown;
}

const CONFIG = /^train(\d+)_config\.json$/;

/** The dotted leaves of a JSON object: `{a: {b: 1}}` → `a.b = 1` (arrays are leaves). */
export function flatten(v: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, v);
  return out;
}

/** The keys whose values differ between two configs, in the later one's order (then removed keys). */
export function configChanges(a: Record<string, unknown>, b: Record<string, unknown>): ConfigChange[] {
  const fa = flatten(a),
    fb = flatten(b);
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  const out: ConfigChange[] = [];
  for (const [k, v] of fb)
    if (!fa.has(k)) out.push({ key: k, after: v });
    else if (!same(fa.get(k), v)) out.push({ key: k, before: fa.get(k), after: v });
  for (const [k, v] of fa) if (!fb.has(k)) out.push({ key: k, before: v });
  return out;
}

const at = (o: Map<string, unknown>, k: string) => o.get(k);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** One config file, parsed; undefined while it is being written (not yet JSON). */
async function readConfig(dir: string, file: string, index: number): Promise<TrainConfig | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path.join(dir, file), 'utf8'));
  } catch {
    return undefined;
  }
  const obj = (raw as { config?: unknown } | null)?.config ?? raw;
  const config = (obj !== null && typeof obj === 'object' ? obj : {}) as Record<string, unknown>;
  const f = flatten(config);
  const continueTrain = at(f, 'train.load.continue_train') === true;
  const loadEpoch = num(at(f, 'train.load.load_epoch')) ?? 0;
  const lr = ['epochs', 'epochs_decay'].map((k) => num(at(f, `train.generator.learning_rate.${k}`)));
  return {
    file,
    index,
    config,
    batchSize: Math.max(1, num(at(f, 'dataloader.batch_size')) ?? 1),
    continueTrain,
    loadEpoch,
    startEpoch: continueTrain ? loadEpoch + 1 : 1,
    ...(lr[0] !== undefined && lr[1] !== undefined ? { epochs: lr[0] + lr[1] } : {}),
    ...(num(at(f, 'save.model_save_rate')) !== undefined
      ? { modelSaveRate: num(at(f, 'save.model_save_rate')) }
      : {}),
    changes: [],
  };
}

/** Every `train<N>_config.json` in the folder, by N, each with its changes from the one before. */
export async function readConfigs(dir: string, names?: string[]): Promise<TrainConfig[]> {
  const files = (names ?? (await readdir(dir)))
    .map((f) => ({ f, m: CONFIG.exec(f) }))
    .filter((x) => x.m)
    .map((x) => ({ f: x.f, n: Number(x.m![1]) }))
    .sort((a, b) => a.n - b.n);
  const read = await Promise.all(files.map((x) => readConfig(dir, x.f, x.n)));
  const configs = read.filter((c): c is TrainConfig => c !== undefined);
  for (let i = 1; i < configs.length; i++)
    configs[i]!.changes = configChanges(configs[i - 1]!.config, configs[i]!.config);
  return configs;
}
