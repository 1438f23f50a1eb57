import path from 'node:path';
import { lilconfig } from 'lilconfig';
import type { z } from 'zod';
import { CONFIG_FILES, CONFIG_KEY, configSchema, type ProjectConfig } from '../config.js';
import { option, said, UserError } from '../errors.js';
import { LOSS_NAMES } from '../losses/registry.js';
import { SET_METRICS } from '../model.js';
import { COLORMAPS } from './colormap.js';

/** The schema with this build's losses (and the set metrics fid, kid) and colormaps (the JSON Schema in schema/ is generated from it). */
export function projectSchema() {
  return configSchema({ losses: [...LOSS_NAMES, ...SET_METRICS], colormaps: COLORMAPS });
}

/** A loaded config: the file it came from (null: none found, or --no-config) and its validated content. */
export interface LoadedConfig {
  file: string | null;
  config: ProjectConfig;
}

/** Where to look: `file` (--config, `config` option) instead of searching; `none` (--no-config) for nothing. */
export interface ConfigQuery {
  cwd?: string;
  file?: string;
  none?: boolean;
}

type Issue = z.core.$ZodIssue;

/** A union's most telling branch issue: the one reaching deepest (`loss.1` over `loss`), else the first. */
function deepest(issue: Issue): { issue: Issue; path: PropertyKey[] } {
  if (issue.code !== 'invalid_union' || !issue.errors.length) return { issue, path: issue.path };
  const branches = issue.errors.map((e) => deepest(e[0]!));
  const best = branches.reduce((a, b) => (b.path.length > a.path.length ? b : a));
  const path = [...issue.path, ...best.path];
  const named = branches.find((b) => b.issue.code === 'invalid_value');
  if (best.path.length === 0 && named) return { issue: named.issue, path };
  if (best.path.length === 0) {
    const kinds = branches.map((b) => (b.issue.code === 'invalid_type' ? b.issue.expected : 'another value'));
    return { issue: { ...issue, message: `expected ${[...new Set(kinds)].join(' or ')}` }, path };
  }
  return { issue: best.issue, path };
}

/** The value at a key path of the content (for messages). */
function at(content: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    content,
  );
}

/** The first issue zod found, as `key: message` (the key path dotted, `overrides.0.max`). */
function issueLine(error: z.ZodError, content: unknown): string {
  const { issue, path } = deepest(error.issues[0]!);
  const key = path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') return `${key ? `${key}.` : ''}${issue.keys[0]}: unknown key`;
  if (issue.code === 'invalid_value') {
    const what = path[0] === 'loss' ? 'unknown loss' : 'unknown value';
    const names = issue.values.map(String).join(', ');
    return `${key}: ${what} ${JSON.stringify(at(content, path))} (choose from ${names})`;
  }
  return `${key || '(top level)'}: ${issue.message.replace(/^Invalid input: /, '')}`;
}

/** Validates a config's content; `where` names it in the one-line error (a file path, `gates.txt header`). */
export function validateConfig(content: unknown, where: string): ProjectConfig {
  const r = projectSchema().safeParse(content ?? {});
  if (!r.success) throw new UserError(`${where}: ${issueLine(r.error, content)}`, 'BAD_CONFIG');
  return r.data;
}

/**
 * Finds and reads the project config: `nectar-loss.config.{json,mjs,js,cjs}` or package.json's
 * "nectar-loss" key, upward from `cwd` (lilconfig), or the file given; validated against the schema.
 */
export async function loadConfig(q: ConfigQuery = {}): Promise<LoadedConfig> {
  if (q.none) return { file: null, config: {} };
  const searcher = lilconfig(CONFIG_KEY, { searchPlaces: [...CONFIG_FILES], cache: false });
  const cwd = q.cwd ?? process.cwd();
  let found: Awaited<ReturnType<typeof searcher.search>>;
  const shown = q.file ?? 'config';
  try {
    found = q.file ? await searcher.load(path.resolve(cwd, q.file)) : await searcher.search(cwd);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.message.split('\n')[0];
    const named = q.file ? said`${option('config: ', '--config ')}${shown}` : said`${shown}`;
    throw new UserError(
      said`${named}: cannot read it: ${why}`,
      e.code === 'ENOENT' ? 'ENOENT' : 'BAD_CONFIG',
    );
  }
  if (!found) return { file: null, config: {} };
  const where = path.relative(cwd, found.filepath) || found.filepath;
  return { file: found.filepath, config: validateConfig(found.config, where) };
}
