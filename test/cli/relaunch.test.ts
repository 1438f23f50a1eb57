import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MALLOC_TUNABLES } from '../../src/cli/relaunch.js';
import { BIN, fixture, REFERENCE } from '../helpers.js';

/**
 * Each Node process of a run (through NODE_OPTIONS --import) writes the GLIBC_TUNABLES it started with on
 * stderr: which processes ran, and with what allocator settings.
 */
function run(args: string[], env: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-relaunch-'));
  const probe = path.join(dir, 'probe.mjs');
  writeFileSync(
    probe,
    'process.stderr.write(`TUNABLES=${process.pid} ${process.env.GLIBC_TUNABLES ?? "-"}\\n`);\n',
  );
  for (const side of ['real', 'fake'] as const) {
    mkdirSync(path.join(dir, side));
    copyFileSync(fixture(REFERENCE.cases.rgb8[side]), path.join(dir, side, 'a.png'));
  }
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GLIBC_TUNABLES: undefined, ...env, NODE_OPTIONS: `--import ${probe}` },
  });
  // One line per process (worker threads repeat their process's line).
  const seen = [...new Set(r.stderr.split('\n').filter((l) => l.startsWith('TUNABLES=')))].map((l) =>
    l.replace(/^TUNABLES=\d+ /, ''),
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, seen };
}

test('batch on Linux runs once more with the allocator tunables; its exit code and output come through', (t) => {
  if (process.platform !== 'linux') return t.skip('the relaunch is for glibc on Linux only');
  const ok = run(['batch', 'real', 'fake', '--loss', 'l1', '--no-maps', '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(ok.seen, ['-', MALLOC_TUNABLES], 'parent, then the child');
  assert.equal(JSON.parse(ok.stdout.trim().split('\n')[0]!).name, 'a.png');
  const bad = run(['batch', 'real', 'missing']);
  assert.equal(bad.code, 2, 'a usage error keeps exit 2');
  assert.equal(bad.stdout, '');
  assert.equal(bad.stderr.split('\n').filter((l) => l && !l.startsWith('TUNABLES=')).length, 1);
});

test("the user's own GLIBC_TUNABLES, and commands other than batch, run in one process", () => {
  const own = run(['batch', 'real', 'fake', '--loss', 'l1', '--no-maps'], {
    GLIBC_TUNABLES: 'glibc.malloc.check=0',
  });
  assert.equal(own.code, 0, own.stderr);
  assert.deepEqual(own.seen, ['glibc.malloc.check=0']);
  const single = run(['l1', 'real/a.png', 'fake/a.png']);
  assert.equal(single.code, 0, single.stderr);
  assert.deepEqual(single.seen, ['-']);
});
