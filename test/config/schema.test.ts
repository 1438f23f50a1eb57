import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { configJsonSchema, SCHEMA_FILE } from '../../src/io/config-schema-json.js';
import { fixture } from '../helpers.js';

const published = readFileSync(fixture(SCHEMA_FILE), 'utf8');

test('the published JSON Schema is the one the zod schema generates (npm run schema rewrites it)', () => {
  assert.equal(published, configJsonSchema(), `${SCHEMA_FILE} is stale: run npm run schema`);
  const pkg = JSON.parse(readFileSync(fixture('package.json'), 'utf8')) as { files: string[] };
  assert.ok(pkg.files.includes('schema'), 'package.json files lists schema/');
});

test('the JSON Schema, read by an independent validator (ajv), accepts a config and refuses what zod refuses', () => {
  const validate = new Ajv2020({ strict: false }).compile(JSON.parse(published) as object);
  const good = {
    $schema: './node_modules/nectar-loss/schema/nectar-loss.config.schema.json',
    loss: ['sobel', 'l1'],
    max: { 'sobel.p99': 0.3, l1: 0.05 },
    min: 'ssim=0.9',
    shiftTolerance: 1,
    ignore: ['0,0,10,10', { x: 1, y: 2, width: 3, height: 4 }],
    overrides: [{ files: 'checkout/**', max: { 'sobel.p99': 0.5 } }],
  };
  assert.ok(validate(good), JSON.stringify(validate.errors));
  for (const bad of [{ shiftTolerence: 1 }, { shiftTolerance: 9 }, { loss: 'nope' }, { range: 'both' }])
    assert.ok(!validate(bad), JSON.stringify(bad));
});
