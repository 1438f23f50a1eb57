import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIN, fixture, ROOT } from '../helpers.js';

const DOC = readFileSync(fixture('docs/results-format.md'), 'utf8');
const EXAMPLE = 'docs/calibrate-example';

/** The `key` names the page's tables list (first column). */
const documented = new Set(
  DOC.split('\n')
    .filter((l) => l.startsWith('| `'))
    .flatMap((l) => [...l.split('|')[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)),
);

test('docs/results-format.md documents every field a --results file holds (header, records, summary)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-resdoc-'));
  const file = path.join(dir, 'results.ndjson');
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      'batch',
      `${EXAMPLE}/base`,
      `${EXAMPLE}/changed`,
      '--loss',
      'sobel,ssim',
      '--max',
      'sobel.p99=0.3',
      '--min',
      'ssim=0.9',
      '--shard',
      '1/1',
      '--ignore',
      '0,0,4,4',
      '--files',
      'heatmap',
      '--out',
      path.join(dir, 'maps'),
      '--results',
      file,
    ],
    { cwd: ROOT },
  );
  assert.equal(r.status, 1, r.stderr.toString());
  const lines = readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const [head, ...rest] = lines;
  assert.equal(head!.nectarLossResults, 1, 'the first line is the header');
  assert.equal(rest.at(-1)!.summary, true, 'the last line is the summary');
  const keys = new Set<string>();
  for (const l of lines) for (const k of Object.keys(l)) keys.add(k);
  for (const rec of rest.slice(0, -1))
    for (const s of Object.values(rec.stats as Record<string, object>))
      for (const k of Object.keys(s)) keys.add(k);
  for (const g of head!.gates as object[]) for (const k of Object.keys(g)) keys.add(k);
  // Gate fields and map statistics are named in their rows' text rather than the first column.
  const undocumented = [...keys].filter((k) => !documented.has(k) && !DOC.includes(`\`${k}\``));
  assert.deepEqual(undocumented, []);
  assert.ok(documented.has('nectarLossResults') && documented.has('summary') && documented.has('shard'));
});

test("the page's example lines are what batch writes: same fields in the same order", () => {
  const blocks = [...DOC.matchAll(/```json\n(.*)\n```/g)].map((m) => JSON.parse(m[1]!) as object);
  assert.equal(blocks.length, 3);
  assert.deepEqual(Object.keys(blocks[0]!), [
    'nectarLossResults',
    'dirs',
    'losses',
    'range',
    'backend',
    'seconds',
    'gates',
  ]);
  assert.equal((blocks[2] as { summary: boolean }).summary, true);
});
