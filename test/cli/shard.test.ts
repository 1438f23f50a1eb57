import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { BIN, fixture } from '../helpers.js';

const ndjson = (s: string) =>
  s
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

function proc(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd });
    let stdout = '',
      stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d));
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('three shards as separate processes, their folders moved, then merged = one unsharded run', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-shard-'));
  for (const d of ['real', 'fake', 'real/sub', 'fake/sub']) mkdirSync(path.join(root, d));
  const imgs = ['rgb8_301x217', 'gray8_64x48', 'palette_70x50', 'rgb16_96x80'];
  for (const [i, name] of imgs.entries()) {
    for (const side of ['real', 'fake'] as const) {
      copyFileSync(fixture(`fixtures/images/${name}_${side}.png`), path.join(root, side, `${name}.png`));
      copyFileSync(
        fixture(`fixtures/images/${name}_${i % 2 ? 'real' : side}.png`),
        path.join(root, side, 'sub', `${name}.png`),
      );
    }
  }
  copyFileSync(fixture('fixtures/images/gray8_64x48_real.png'), path.join(root, 'real', 'only-real.png'));
  const common = ['--loss', 'sobel,l1', '--max', 'sobel=0.1', '--files', 'heatmap'];
  const full = spawnSync(
    process.execPath,
    [BIN, 'batch', 'real', 'fake', ...common, '--json', '--out', 'full', '--junit', 'full.xml'],
    { cwd: root, encoding: 'utf8' },
  );
  const shards = await Promise.all(
    [1, 2, 3].map((i) =>
      proc(
        [
          'batch',
          'real',
          'fake',
          ...common,
          '--shard',
          `${i}/3`,
          '--results',
          `s${i}/results.ndjson`,
          '--out',
          `s${i}/maps`,
        ],
        root,
      ),
    ),
  );
  const sizes = shards.map(
    (_, i) => ndjson(readFileSync(path.join(root, `s${i + 1}/results.ndjson`), 'utf8')).length - 2,
  );
  assert.deepEqual(
    sizes.reduce((a, b) => a + b, 0),
    9,
    `shards hold every pair once: ${sizes}`,
  );
  assert.ok(
    sizes.every((n) => n >= 2),
    `shards are balanced: ${sizes}`,
  );
  // Downloaded elsewhere: move the shard folders.
  for (const i of [1, 2, 3]) {
    cpSync(path.join(root, `s${i}`), path.join(root, 'artifacts', `shard-${i}`), { recursive: true });
    rmSync(path.join(root, `s${i}`), { recursive: true });
  }
  const merged = spawnSync(
    process.execPath,
    [
      BIN,
      'merge',
      ...[1, 2, 3].map((i) => `artifacts/shard-${i}/results.ndjson`),
      '--json',
      '--junit',
      'merged.xml',
    ],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(merged.status, full.status, merged.stderr);
  assert.equal(full.status, 1, 'only-real.png is obsolete, which does not fail; pairs over sobel=0.1 do');
  const strip = (r: Record<string, unknown>) => {
    const { ms, seconds, files, backend, ...rest } = r;
    return JSON.stringify(rest);
  };
  assert.deepEqual(ndjson(merged.stdout).map(strip).sort(), ndjson(full.stdout).map(strip).sort());
  // Each merged row points at its own heatmap, which exists under the moved folders.
  for (const r of ndjson(merged.stdout).filter(
    (x) => x.status !== 'error' && x.status !== 'obsolete' && !x.summary,
  )) {
    const heat = (r.files as Record<string, Record<string, string>>).sobel.heatmap;
    assert.match(heat, /^artifacts\/shard-\d\/maps\//);
    assert.ok(readFileSync(path.join(root, heat)).length > 0);
  }
  const cases = (f: string) =>
    (
      new XMLParser({ ignoreAttributes: false }).parse(readFileSync(path.join(root, f), 'utf8')).testsuites
        .testsuite.testcase as { '@_name': string }[]
    )
      .map((c) => c['@_name'])
      .sort();
  assert.deepEqual(cases('merged.xml'), cases('full.xml'));
  const missing = spawnSync(process.execPath, [BIN, 'merge', 'artifacts/shard-1/results.ndjson'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /shards 2\/3, 3\/3 missing/);
});

test('--shard splits the same way whatever order the pairs are found in, and checks i/n', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-shard-'));
  for (const d of ['a', 'b']) mkdirSync(path.join(root, d));
  for (const n of ['z', 'm', 'a', 'q', 'c'])
    for (const d of ['a', 'b'])
      copyFileSync(fixture('fixtures/images/gray8_64x48_real.png'), path.join(root, d, `${n}.png`));
  const names = (i: number) =>
    ndjson(
      spawnSync(process.execPath, [BIN, 'batch', 'a', 'b', '--no-maps', '--json', '--shard', `${i}/2`], {
        cwd: root,
        encoding: 'utf8',
      }).stdout,
    )
      .filter((r) => !r.summary)
      .map((r) => r.name)
      .sort();
  assert.deepEqual(names(1), ['a.png', 'm.png', 'z.png']);
  assert.deepEqual(names(2), ['c.png', 'q.png']);
  for (const bad of ['0/2', '3/2', '1/0', 'x']) {
    const r = spawnSync(process.execPath, [BIN, 'batch', 'a', 'b', '--shard', bad], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--shard.*i\/n/);
  }
});
