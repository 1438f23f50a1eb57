import { z } from 'zod';
import { projectSchema } from './config.js';

/** Where the package publishes the config's JSON Schema (package.json `files`; editors read it via `$schema`). */
export const SCHEMA_FILE = 'schema/nectar-loss.config.schema.json';

/** The JSON Schema of the config, generated from the zod schema (a test fails when the published one is stale). */
export function configJsonSchema(): string {
  const schema = z.toJSONSchema(projectSchema(), { target: 'draft-2020-12' });
  return JSON.stringify({ ...schema, title: 'nectar-loss config' }, null, 2) + '\n';
}
