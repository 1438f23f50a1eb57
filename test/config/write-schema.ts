// Writes schema/nectar-loss.config.schema.json from the zod schema: `node dist/test/config/write-schema.js`
// (npm run schema). test/config/schema.test.ts fails when the committed file differs.
import { writeFileSync } from 'node:fs';
import { configJsonSchema, SCHEMA_FILE } from '../../src/io/config-schema-json.js';

writeFileSync(new URL(`../../../${SCHEMA_FILE}`, import.meta.url), configJsonSchema());
