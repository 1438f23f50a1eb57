import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  rmSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { PNG } from 'pngjs';
import { BIN, fixture, REFERENCE } from '../helpers.js';

const C = REFERENCE.cases;
const img = (name: 'rgb8' | 'gray8' | 'facade256', side: 'real' | 'fake') => fixture(C[name][side]);

function put(dir: string, rel: string, from: string) {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  copyFileSync(from, path.join(dir, rel));
}

function run(args: string[], cwd: string, timeout = 60_000) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    timeout,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const ndjson = (s: string) =>
  s
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
const byName = (lines: { name: string }[]) =>
  Object.fromEntries(lines.filter((l) => !('summary' in l)).map((l) => [l.name, l])) as Record<string, any>;

function allFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? allFiles(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

test('two link cycles (and two links to one folder): the batch ends and compares each real file once', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-walk-'));
  put(root, 'shared/c.png', img('gray8', 'real'));
  for (const side of ['real', 'fake'] as const) {
    put(root, `${side}/a.png`, img('gray8', side));
    put(root, `${side}/sub/b.png`, img('rgb8', side));
    symlinkSync('..', path.join(root, side, 'sub/up')); // cycle to the root
    symlinkSync('../sub', path.join(root, side, 'sub/self')); // cycle to sub
    symlinkSync('../shared', path.join(root, side, 'x'));
    symlinkSync('../shared', path.join(root, side, 'y'));
  }
  const r = run(['batch', 'real', 'fake', '--json', '--no-maps', '--jobs', '1'], root, 30_000);
  assert.equal(r.signal, null, 'the walk did not end');
  assert.equal(r.code, 0, r.stderr);
  const lines = ndjson(r.stdout);
  assert.deepEqual(Object.keys(byName(lines)).sort(), ['a.png', 'sub/b.png', 'x/c.png']);
  assert.equal(lines.at(-1).pairs, 3);
  assert.equal(byName(lines)['x/c.png'].losses.sobel, 0);
});

test('zero pairs: exit 2, one line naming the folders and what was looked for; nothing on stdout, nothing written', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-walk-'));
  put(root, 'real/a.png', img('gray8', 'real'));
  put(root, 'fake/b.png', img('gray8', 'fake')); // nothing pairs up
  mkdirSync(path.join(root, 'empty1'));
  mkdirSync(path.join(root, 'empty2'));
  put(root, 'nectar/photo.png', img('gray8', 'real'));
  const cases: [string[], RegExp][] = [
    [
      ['batch', 'real', 'fake'],
      /^nectar-loss: no pairs in real and fake: .*\.png \.jpg .*found 1 in real, 1 in fake\)\n$/,
    ],
    [
      ['batch', 'empty1', 'empty2', '--json'],
      /^nectar-loss: no pairs in empty1 and empty2: .*found 0 in empty1, 0 in empty2\)\n$/,
    ],
    [
      ['batch', 'nectar'],
      /^nectar-loss: nectar: no NectarGAN outputs pair up \(looked for \*_B_real\.<ext> beside \*_B_fake\.<ext>, <ext> one of \.png .*found 1 images, 0 with such names\); to compare two folders, give both\n$/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = run([...args, '--out', 'out', '--junit', 'ci/junit.xml'], root);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
    assert.ok(!existsSync(path.join(root, 'out')) && !existsSync(path.join(root, 'ci')), 'files written');
  }
});

test('same name, different extensions: each pair writes its own files, and NDJSON and the report point at them', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-walk-'));
  for (const side of ['real', 'fake'] as const) {
    put(root, `${side}/a.png`, img('gray8', side)); // 64x48
    put(root, `${side}/a.jpg`, fixture(`fixtures/images/jpeg_exif6_120x88_${side}.jpg`)); // 120x88
    put(root, `${side}/sub/b.png`, img('rgb8', side)); // no collision: the old name
  }
  const r = run(
    [
      'batch',
      'real',
      'fake',
      '--loss',
      'sobel,l1',
      '--json',
      '--out',
      'maps',
      '--junit',
      'junit.xml',
      '--report',
      'report.html',
      '--jobs',
      '2',
    ],
    root,
  );
  assert.equal(r.code, 0, r.stderr);
  const by = byName(ndjson(r.stdout));
  assert.equal(by['a.png'].files.sobel.heatmap, path.join('maps', 'a.png.sobel.heatmap.png'));
  assert.equal(by['a.jpg'].files.sobel.heatmap, path.join('maps', 'a.jpg.sobel.heatmap.png'));
  assert.equal(by['sub/b.png'].files.sobel.heatmap, path.join('maps', 'sub', 'b.sobel.heatmap.png'));
  const all = Object.values(by).flatMap((p) =>
    Object.values(p.files).flatMap((k) => Object.values(k as Record<string, string>)),
  );
  assert.equal(new Set(all).size, all.length, 'two pairs share a file');
  assert.equal(allFiles(path.join(root, 'maps')).length, all.length);
  // Each heatmap has its own pair's size: neither overwrote the other.
  const size = (f: string) => {
    const png = PNG.sync.read(readFileSync(path.join(root, f)));
    return [png.width, png.height];
  };
  assert.deepEqual(size(by['a.png'].files.l1.heatmap), [64, 48]);
  assert.deepEqual(size(by['a.jpg'].files.l1.heatmap), [120, 88]);
  // The report copies each pair's own heatmap into its folder: the copies of a.png's and a.jpg's differ.
  const pairs = JSON.parse(
    /<script id="pairs" type="application\/json">(.*?)<\/script>/s.exec(
      readFileSync(path.join(root, 'report.html'), 'utf8'),
    )![1],
  ) as { name: string; heat: Record<string, string> }[];
  const heat = Object.fromEntries(pairs.map((p) => [p.name, p.heat.sobel]));
  assert.equal(new Set(Object.values(heat)).size, 3, 'each pair its own heatmap in the report');
  for (const n of ['a.png', 'a.jpg'])
    assert.deepEqual(
      readFileSync(path.join(root, heat[n])),
      readFileSync(path.join(root, by[n].files.sobel.heatmap)),
      `${n}'s heatmap in the report`,
    );
  const cases = new XMLParser({ ignoreAttributes: false }).parse(
    readFileSync(path.join(root, 'junit.xml'), 'utf8'),
  ).testsuites.testsuite.testcase;
  assert.deepEqual(cases.map((c: any) => c['@_name']).sort(), ['a.jpg', 'a.png', 'sub/b.png']);
});

test("listed but unreadable (dangling link, FIFO, device): that pair's error, the others compared, no hang", () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-walk-'));
  for (const side of ['real', 'fake'] as const) {
    put(root, `${side}/ok.png`, img('gray8', side));
    symlinkSync('nowhere.png', path.join(root, side, 'dangling.png'));
    execFileSync('mkfifo', [path.join(root, side, 'fifo.png')]);
    symlinkSync('/dev/zero', path.join(root, side, 'zero.png'));
  }
  const r = run(['batch', 'real', 'fake', '--json', '--no-maps', '--jobs', '1'], root, 30_000);
  assert.equal(r.signal, null, 'the batch hung');
  assert.equal(r.code, 2, r.stderr);
  const lines = ndjson(r.stdout);
  const by = byName(lines);
  assert.equal(by['ok.png'].status, 'ok');
  assert.equal(by['dangling.png'].status, 'error');
  assert.match(
    by['dangling.png'].error,
    /^real real\/dangling\.png: dangling symbolic link \(to nowhere\.png/,
  );
  assert.equal(by['fifo.png'].status, 'error');
  assert.match(by['fifo.png'].error, /fifo\.png: a FIFO \(named pipe\), not an image file/);
  assert.equal(by['zero.png'].status, 'error');
  assert.match(by['zero.png'].error, /zero\.png: a character device, not an image file/);
  assert.deepEqual([lines.at(-1).pairs, lines.at(-1).error], [4, 3]);
});

test("listed but not readable for lack of permission: that pair's error", (t) => {
  if (process.getuid?.() === 0)
    return t.skip('running as root: chmod 000 does not stop root from reading a file');
  const root = mkdtempSync(path.join(tmpdir(), 'nl-walk-'));
  for (const side of ['real', 'fake'] as const) {
    put(root, `${side}/ok.png`, img('gray8', side));
    put(root, `${side}/locked.png`, img('gray8', side));
  }
  chmodSync(path.join(root, 'real/locked.png'), 0);
  const r = run(['batch', 'real', 'fake', '--json', '--no-maps', '--jobs', '1'], root);
  assert.equal(r.code, 2, r.stderr);
  const by = byName(ndjson(r.stdout));
  assert.equal(by['ok.png'].status, 'ok');
  assert.match(by['locked.png'].error, /real real\/locked\.png: permission denied/);
});

test('SIGTERM during a long walk: exit 143 promptly, nothing left behind', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-walk-'));
  // 30 000 folders and no image: the walk alone takes seconds here, and if it ended the batch would exit 2.
  for (let a = 0; a < 60; a++)
    for (let b = 0; b < 50; b++)
      for (let c = 0; c < 10; c++)
        mkdirSync(path.join(root, 'real', `d${a}`, `d${b}`, `d${c}`), { recursive: true });
  symlinkSync('..', path.join(root, 'real', 'd0', 'up')); // and a cycle, as in the issue
  mkdirSync(path.join(root, 'fake'));
  const started = performance.now();
  const { code, afterSignal } = await new Promise<{ code: number | null; afterSignal: number }>((resolve) => {
    const p = spawn(
      process.execPath,
      [
        BIN,
        'batch',
        'real',
        'fake',
        '--out',
        'out/maps',
        '--junit',
        'out/junit.xml',
        '--report',
        'out/report.html',
        '--json',
      ],
      { cwd: root },
    );
    p.stdout.resume();
    p.stderr.resume();
    let sent = 0;
    setTimeout(() => {
      sent = performance.now();
      p.kill('SIGTERM');
    }, 600);
    p.on('close', (c) => resolve({ code: c, afterSignal: sent ? performance.now() - sent : -1 }));
  });
  assert.notEqual(
    code,
    2,
    `the walk ended before the signal (${(performance.now() - started).toFixed(0)} ms): make the tree bigger`,
  );
  assert.equal(code, 143);
  assert.ok(afterSignal < 1500, `exited ${afterSignal.toFixed(0)} ms after SIGTERM`);
  assert.deepEqual(allFiles(path.join(root, 'out')), [], 'files left behind');
  assert.ok(!existsSync(path.join(root, 'out')) || readdirSync(path.join(root, 'out')).length === 0);
  rmSync(root, { recursive: true, force: true }); // 30 000 folders: not left in the temporary folder
});
