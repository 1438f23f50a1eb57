import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIN, fixture, ROOT } from '../helpers.js';

const REAL = fixture('fixtures/images/gray8_64x48_real.png');
const FAKE = fixture('fixtures/images/gray8_64x48_fake.png');
/**
 * Node's mkdirSync(…, { recursive: true }) loops forever at full CPU on /proc/x (mkdir there is ENOENT
 * although /proc exists), and a signal cannot stop it: each run is a child killed after this long, so a
 * regression fails instead of hanging the suite.
 */
const LIMIT_MS = 60_000;
const PROC = process.platform === 'linux' && existsSync('/proc/self');
const noProc = PROC ? false : 'needs Linux /proc, where mkdir of /proc/x is ENOENT although /proc exists';

function run(args: string[], cwd = mkdtempSync(path.join(tmpdir(), 'nl-outdir-'))) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, timeout: LIMIT_MS, killSignal: 'SIGKILL' });
  return { status: r.status, signal: r.signal, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** Exit 2 (not killed by the time limit), one stderr line matching `line`, nothing on stdout. */
function refused(args: string[], line: RegExp): void {
  const r = run(args);
  assert.equal(r.signal, null, `${args.join(' ')}: still running after ${LIMIT_MS} ms (killed)`);
  assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status} ${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, line);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
}

test(
  'makeDirs: /proc/x (ENOENT under an existing parent) throws at once instead of looping',
  { skip: noProc },
  () => {
    // In a child: a regression to Node's recursive mkdir would spin this process, not the test runner.
    const url = pathToFileURL(path.join(ROOT, 'dist/src/io/write.js')).href;
    const code =
      `const { makeDirs } = await import(${JSON.stringify(url)});` +
      `try { makeDirs('/proc/x/y'); console.log('made'); } catch (e) { console.log(e.code); }`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      timeout: LIMIT_MS,
      killSignal: 'SIGKILL',
    });
    assert.equal(r.signal, null, 'makeDirs did not return');
    assert.equal(r.stdout.toString().trim(), 'ENOENT');
  },
);

test('makeDirs makes the missing levels and returns the top one made; a file on the way is ENOTDIR', async () => {
  const { makeDirs } = await import('../../src/io/write.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-outdir-'));
  assert.equal(makeDirs(path.join(dir, 'a', 'b', 'c')), path.join(dir, 'a'));
  assert.ok(statSync(path.join(dir, 'a', 'b', 'c')).isDirectory());
  assert.equal(makeDirs(path.join(dir, 'a', 'b')), undefined, 'existing: nothing made');
  writeFileSync(path.join(dir, 'f'), 'x');
  assert.throws(() => makeDirs(path.join(dir, 'f', 'g')), { code: 'ENOTDIR' });
});

test(
  'the single command with --out /proc/x or /proc/x/y: one line, exit 2, promptly',
  { skip: noProc },
  () => {
    refused(
      ['sobel', REAL, FAKE, '--out', '/proc/x'],
      /^nectar-loss: --out \/proc\/x: cannot create folder \(ENOENT\)\n$/,
    );
    refused(
      ['ssim', REAL, FAKE, '--out', '/proc/x/y'],
      /^nectar-loss: --out \/proc\/x\/y: cannot create folder \(ENOENT\)\n$/,
    );
  },
);

test(
  'batch refuses an --out, --results or --report folder that cannot be made before comparing a pair',
  { skip: noProc },
  () => {
    const dir = path.dirname(REAL);
    refused(
      ['batch', dir, dir, '--out', '/proc/x'],
      /^nectar-loss: --out \/proc\/x: cannot create folder \/proc\/x \(ENOENT\)\n$/,
    );
    refused(
      ['batch', dir, dir, '--no-maps', '--results', '/proc/x/r.ndjson'],
      /^nectar-loss: --results \/proc\/x\/r\.ndjson: cannot create folder \/proc\/x \(ENOENT\)\n$/,
    );
  },
);

test('batch: a --report under a file (ENOTDIR) is refused up front and nothing is written', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'nl-outdir-'));
  writeFileSync(path.join(cwd, 'file'), 'x');
  const dir = path.dirname(REAL);
  const r = run(['batch', dir, dir, '--out', 'out', '--report', 'file/r.html'], cwd);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `nectar-loss: --report file/r.html: cannot create folder file (ENOTDIR)\n`);
  assert.deepEqual(readdirSync(cwd), ['file'], 'no --out folder made');
});
