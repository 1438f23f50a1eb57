/**
 * The generated CLI reference is current: docs/cli.md equals what scripts/docs.ts makes from the commander
 * definitions now; when stale the message says to run `npm run docs`. (docs/api/, TypeDoc's output, is
 * checked by `npm run docs:check`, part of `npm run lint`: TypeDoc is too slow for npm test on a shared
 * machine.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cliMarkdown } from '../../scripts/docs.js';
import { ROOT } from './markdown.js';

test('docs/cli.md is what the commander definitions give now', () => {
  const committed = readFileSync(path.join(ROOT, 'docs/cli.md'), 'utf8');
  const now = cliMarkdown();
  for (const part of ['## The single command', '## nectar-loss batch', '`--max-pixels <n>`', '| 130 / 143 |'])
    assert.ok(now.includes(part), `the generator lost ${part}`);
  assert.ok(committed === now, 'docs/cli.md is stale: run `npm run docs` and commit the result');
});

test('docs/cli.md has no machine-dependent text', () => {
  const text = cliMarkdown();
  assert.ok(!text.includes(ROOT), 'an absolute path of this checkout');
  assert.doesNotMatch(text, /\b20\d\d-\d\d-\d\d[T ]\d\d:\d\d/, 'a time stamp'); // file names may hold dates
  assert.match(text, /`-j, --jobs <n>` \| [^|]*\| the number of cores \|/);
});
