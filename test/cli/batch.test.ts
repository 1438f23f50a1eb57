import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { PNG } from 'pngjs';
import { BIN, fixture, REFERENCE, relErr } from '../helpers.js';

const C = REFERENCE.cases;
const img = (name: 'rgb8' | 'gray8' | 'facade256', side: 'real' | 'fake') => fixture(C[name][side]);

function put(dir: string, rel: string, from: string) {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  copyFileSync(from, path.join(dir, rel));
}

/** Two folders: a.png (gray8), sub/b.png (rgb8), only.png with no fake, bad.png not an image. */
function folders() {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-batch-'));
  const real = path.join(root, 'real'),
    fake = path.join(root, 'fake');
  put(real, 'a.png', img('gray8', 'real'));
  put(fake, 'a.png', img('gray8', 'fake'));
  put(real, 'sub/b.png', img('rgb8', 'real'));
  put(fake, 'sub/b.png', img('rgb8', 'fake'));
  put(real, 'only.png', img('gray8', 'real'));
  writeFileSync(path.join(real, 'bad.png'), 'not an image');
  writeFileSync(path.join(fake, 'bad.png'), 'not an image');
  return { root, real, fake };
}

function run(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const ndjson = (s: string) =>
  s
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));

test('folders: NDJSON per pair then a summary; obsolete baseline and undecodable pair reported, the rest compared; exit 2 wins', () => {
  const { root } = folders();
  const r = run(
    [
      'batch',
      'real',
      'fake',
      '--loss',
      'sobel,l1',
      '--json',
      '--max',
      'sobel=0.1',
      '--out',
      'maps',
      '--junit',
      'ci/junit.xml',
      '--jobs',
      '2',
    ],
    root,
  );
  assert.equal(r.code, 2, r.stderr);
  const lines = ndjson(r.stdout);
  const summary = lines.pop();
  assert.equal(summary.summary, true);
  assert.deepEqual(
    [summary.pairs, summary.ok, summary.over, summary.error, summary.obsolete, summary.exit],
    [4, 1, 1, 1, 1, 2],
  );
  const by = Object.fromEntries(lines.map((l) => [l.name, l]));
  assert.deepEqual(Object.keys(by).sort(), ['a.png', 'bad.png', 'only.png', 'sub/b.png']);
  assert.equal(by['only.png'].status, 'obsolete', 'a baseline with no current image');
  assert.equal(by['only.png'].error, undefined);
  assert.equal(by['bad.png'].status, 'error');
  assert.match(by['bad.png'].error, /bad\.png: cannot decode/);
  assert.equal(by['a.png'].status, 'over', 'gray8 sobel is above 0.1');
  assert.equal(by['sub/b.png'].status, 'ok');
  assert.ok(relErr(by['a.png'].losses.sobel, C.gray8.losses.sobel.unit.mean) <= 1e-5);
  assert.ok(relErr(by['sub/b.png'].losses.l1, C.rgb8.losses.l1.unit.mean) <= 1e-5);
  // Files mirror the pair's relative path under --out, never in the input folders.
  assert.ok(existsSync(path.join(root, by['sub/b.png'].files.sobel.heatmap)));
  assert.equal(by['sub/b.png'].files.sobel.heatmap, path.join('maps', 'sub', 'b.sobel.heatmap.png'));
  assert.deepEqual(readdirSync(path.join(root, 'real', 'sub')), ['b.png']);
  assert.deepEqual(
    summary.worst.sobel.map((w: { name: string }) => w.name),
    ['a.png', 'sub/b.png'],
  );
  // JUnit: one testcase per pair, failures for over, errors for could-not-compare, skipped for obsolete.
  const x = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
    readFileSync(path.join(root, 'ci/junit.xml'), 'utf8'),
  );
  const suite = x.testsuites.testsuite;
  assert.deepEqual([suite.tests, suite.failures, suite.errors, suite.skipped], ['4', '1', '1', '1']);
  const cases = suite.testcase as { name: string; failure?: unknown; error?: unknown }[];
  assert.equal(cases.length, 4);
  assert.ok(cases.find((c) => c.name === 'a.png')!.failure);
  assert.equal(cases.find((c) => c.name === 'only.png')!.error, undefined);
  assert.match(
    (cases.find((c) => c.name === 'only.png') as { skipped?: { message: string } }).skipped!.message,
    /obsolete baseline/,
  );
  assert.ok(cases.find((c) => c.name === 'bad.png')!.error);
  assert.equal(cases.find((c) => c.name === 'sub/b.png')!.failure, undefined);
});

test('exit 1 when a pair is over a threshold and none failed; 0 when none is over; --jobs 1 gives the same numbers', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-batch-'));
  put(path.join(root, 'r'), 'x.png', img('rgb8', 'real'));
  put(path.join(root, 'f'), 'x.png', img('rgb8', 'fake'));
  put(path.join(root, 'r'), 'y.png', img('facade256', 'real'));
  put(path.join(root, 'f'), 'y.png', img('facade256', 'fake'));
  const over = run(['batch', 'r', 'f', '--max', 'sobel=0.09', '--no-maps', '--json'], root);
  assert.equal(over.code, 1, over.stderr);
  const ok = run(['batch', 'r', 'f', '--max', 'sobel=1', '--no-maps', '--json', '--jobs', '1'], root);
  assert.equal(ok.code, 0, ok.stderr);
  const val = (s: string) =>
    Object.fromEntries(
      ndjson(s)
        .filter((l) => !l.summary)
        .map((l) => [l.name, l.losses.sobel]),
    );
  assert.deepEqual(val(over.stdout), val(ok.stdout));
  assert.equal(existsSync(path.join(root, 'nectar-loss-out')), false, '--no-maps writes nothing');
  const table = run(['batch', 'r', 'f', '--no-maps'], root);
  assert.equal(table.code, 0);
  // Issue 27 item 4 changed the headers: each says which way is better.
  assert.match(table.stdout, /^pair\s+sobel ↓\s+sobel\.p99 ↓\s+status$/m);
  assert.match(table.stdout, /2 pairs: 2 ok, 0 over a threshold, 0 errors/);
});

test('NectarGAN tester layout: N_B_real / N_B_fake paired, N_A_real ignored', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-batch-'));
  const d = path.join(root, 'test');
  for (const n of [1, 2]) {
    put(d, `${n}_A_real.png`, img('gray8', 'fake'));
    put(d, `${n}_B_real.png`, img('gray8', 'real'));
    put(d, `${n}_B_fake.png`, img('gray8', 'fake'));
  }
  put(d, '3_B_fake.png', img('gray8', 'fake'));
  const r = run(['batch', 'test', '--json', '--loss', 'laplacian', '--out', 'o'], root);
  assert.equal(r.code, 2, r.stderr);
  const lines = ndjson(r.stdout);
  const pairs = lines.filter((l) => !l.summary);
  assert.deepEqual(pairs.map((l) => l.name).sort(), ['1_B', '2_B', '3_B']);
  for (const p of pairs.filter((l) => l.status === 'ok'))
    assert.ok(relErr(p.losses.laplacian, C.gray8.losses.laplacian.unit.mean) <= 1e-5);
  assert.match(pairs.find((l) => l.name === '3_B').error, /no 3_B_real counterpart/);
  assert.ok(existsSync(path.join(root, 'o', '1_B.laplacian.heatmap.png')));
});

test('trainer layout: best epoch per loss in the summary and the table; --plot draws each loss per epoch', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-batch-'));
  const d = path.join(root, 'examples');
  for (const e of [1, 2, 3, 4])
    for (const i of [1, 2]) {
      put(d, `epoch${e}_${i}_A_real.png`, img('gray8', 'real'));
      put(d, `epoch${e}_${i}_B_real.png`, img(e % 2 ? 'gray8' : 'gray8', 'real'));
      put(d, `epoch${e}_${i}_B_fake.png`, img('gray8', e === 4 ? 'real' : 'fake'));
    }
  const r = run(
    ['batch', 'examples', '--loss', 'sobel,l2,ssim', '--plot', 'plots/epochs.png', '--no-maps', '--json'],
    root,
  );
  assert.equal(r.code, 0, r.stderr);
  const summary = ndjson(r.stdout).pop();
  assert.equal(summary.pairs, 8);
  // Epoch 4 compares real with real: the best epoch for a loss (lowest) and for ssim (highest, 1).
  assert.deepEqual(summary.best, {
    sobel: { epoch: 4, value: 0 },
    l2: { epoch: 4, value: 0 },
    ssim: { epoch: 4, value: 1 },
  });
  const table = run(['batch', 'examples', '--loss', 'sobel,ssim', '--no-maps'], root);
  assert.match(table.stdout, /\nbest epoch: sobel 4 \(0\), ssim 4 \(1\)\n$/);
  const png = PNG.sync.read(readFileSync(path.join(root, 'plots/epochs.png')));
  assert.deepEqual([png.width, png.height], [960, 540]);
  const colours = new Set<number>();
  for (let i = 0; i < png.data.length; i += 4)
    colours.add((png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2]);
  assert.ok(colours.size > 20, 'lines, text and axes drawn');
  const notTrainer = run(['batch', 'examples', 'examples', '--plot', 'x.png', '--no-maps'], root);
  assert.equal(notTrainer.code, 2);
  assert.match(notTrainer.stderr, /--plot needs NectarGAN trainer outputs/);
});

test('batch usage errors exit 2 with one line and nothing on stdout', () => {
  const { root } = folders();
  const cases: [string[], RegExp][] = [
    [['batch', 'real', 'fake', '--out', 'real/maps'], /--out real\/maps is inside the input folder real/],
    [['batch', 'real', 'fake', '--loss', 'sobel,nope'], /unknown loss 'nope'/],
    [['batch', 'real', 'fake', '--max', 'sobel'], /--max.*sobel=0\.1/],
    [['batch', 'real', 'fake', '--max', 'l1=0.1'], /l1 is not among --loss sobel/],
    [['batch', 'real', 'fake', '--jobs', '0'], /--jobs/],
    [['batch', 'missing', 'fake'], /missing: no such folder/],
    [['batch', 'real'], /no NectarGAN outputs/],
  ];
  for (const [args, re] of cases) {
    const r = run(args, root);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1);
  }
  assert.equal(existsSync(path.join(root, 'real', 'maps')), false);
});

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
const CHROME_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
];

function chromium(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(CHROMIUM!, [
      ...CHROME_FLAGS,
      `--user-data-dir=${mkdtempSync(path.join(tmpdir(), 'nl-chrome-'))}`,
      ...args,
    ]);
    let out = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.stdout.on('data', (d) => (out += d));
    p.on(
      'close',
      (code) => (
        clearTimeout(timer),
        code === 0 ? resolve(out) : reject(new Error(`chromium exited ${code}`))
      ),
    );
  });
}

test('HTML report opens from disk in headless Chromium with every image loaded', async (t) => {
  if (!CHROMIUM) {
    t.skip("Chromium is not installed (.ci/run installs Debian's chromium package)");
    return;
  }
  const { root } = folders();
  const r = run(
    [
      'batch',
      'real',
      'fake',
      '--loss',
      'sobel,laplacian',
      '--report',
      'out/report.html',
      '--out',
      'out/maps',
    ],
    root,
  );
  assert.equal(r.code, 2, r.stderr);
  const html = readFileSync(path.join(root, 'out/report.html'), 'utf8');
  const at = (n: string) => html.indexOf(`data-pair="${n}"`);
  assert.ok(at('bad.png') < at('only.png') && at('only.png') < at('a.png'), 'errors, obsolete, then ok');
  const url = `file://${path.join(root, 'out/report.html')}`;
  const dom = await chromium([
    '--allow-file-access-from-files',
    '--virtual-time-budget=10000',
    '--dump-dom',
    url,
  ]);
  const loaded = /data-images="(\d+)\/(\d+)"/.exec(dom);
  assert.ok(loaded, 'the page ran its load script');
  // Two compared pairs x (real, fake, two heatmaps), and the obsolete baseline.
  assert.deepEqual([loaded[1], loaded[2]], ['9', '9']);
  const shot = path.join(root, 'shot.png');
  await chromium(['--window-size=1200,900', `--screenshot=${shot}`, url]);
  const png = PNG.sync.read(readFileSync(shot));
  assert.deepEqual([png.width, png.height], [1200, 900]);
  let dark = 0;
  for (let i = 0; i < png.data.length; i += 4) if (png.data[i] < 100) dark++;
  assert.ok(dark > 0.02 * png.width * png.height, `screenshot shows text and images (${dark} dark pixels)`);
});
