import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzz } from './fuzz.js';

// A few dozen seeded cases here; `npm run fuzz` runs hundreds.
test('fuzzed PNG, 16-bit PNG, JPEG and .pth (zip and legacy) inputs: every run exits 0 or 2 cleanly', async () => {
  const findings = await fuzz(40, 7);
  assert.deepEqual(findings, []);
});
