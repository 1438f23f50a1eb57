import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIN, fixture } from '../helpers.js';
import { CHROMIUM } from '../io/browsers.js';

/**
 * The open report reloads itself on a new build: in Chromium, a mark set in the page is gone and the new
 * config shows after `change()`. Skipped (with its reason) without Chromium.
 */
async function checkReload(file: string, change: () => void): Promise<void> {
  if (!CHROMIUM) return console.log('# reload not checked: Chromium is not installed');
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    await page.evaluate(() => ((window as unknown as { mark: boolean }).mark = true));
    change();
    await page.waitForFunction(
      () =>
        !(window as unknown as { mark?: boolean }).mark &&
        document.querySelector('[data-config="train3_config.json"]') !== null,
      { timeout: 60_000, polling: 200 },
    );
  } finally {
    await browser.close();
  }
}

interface Build {
  training: Partial<Record<string, { epochs: number[] }>>;
  log: unknown;
  computed: number;
  reused: number;
}

/**
 * --watch on an experiment that grows while it runs: a first build without a log, a half-written
 * loss_log.json (retried, never an error), then the whole log and two more epochs of examples; then SIGTERM,
 * after which the report is whole and no temporary file is left.
 */
test(
  'review --watch follows a growing experiment (half-written log included) and SIGTERM leaves a whole report',
  { timeout: 180_000 },
  async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'nl-watch-'));
    const dir = path.join(root, 'facades_v1');
    cpSync(fixture('fixtures/review/facades_v1'), dir, { recursive: true });
    const log = readFileSync(path.join(dir, 'loss_log.json'));
    rmSync(path.join(dir, 'loss_log.json'));
    const later = path.join(root, 'later');
    cpSync(path.join(dir, 'examples'), later, { recursive: true });
    for (const f of readdirSync(path.join(dir, 'examples')).filter((f) => /^epoch[78]_/.test(f)))
      rmSync(path.join(dir, 'examples', f));
    const out = path.join(root, 'out');
    const child = spawn(process.execPath, [BIN, 'review', dir, '--out', out, '--watch', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const builds: Build[] = [];
    let text = '';
    child.stdout.on('data', (b: Buffer) => {
      text += b.toString();
      const lines = text.split('\n');
      text = lines.pop()!;
      for (const l of lines) if (l.trim()) builds.push(JSON.parse(l) as Build);
    });
    const until = async (what: string, ok: (b: Build) => boolean, from: number) => {
      for (const end = Date.now() + 60_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
        if (builds.slice(from).some(ok)) return builds.length;
      assert.fail(`no build ${what} (${builds.length} builds; stderr: ${stderr})`);
    };
    const html = () => readFileSync(path.join(out, 'index.html'), 'utf8');
    try {
      let n = await until('at start', (b) => b.log === null && b.computed === 16, 0);
      assert.doesNotMatch(html(), /data-chart="training"/);
      writeFileSync(path.join(dir, 'loss_log.json'), log.subarray(0, Math.floor(log.length / 2)));
      n = await until('after the half-written log', () => html().includes('data-log="pending"'), n - 1);
      assert.equal(child.exitCode, null, 'still running');
      writeFileSync(path.join(dir, 'loss_log.json'), log);
      for (const f of readdirSync(later).filter((f) => /^epoch[78]_/.test(f)))
        cpSync(path.join(later, f), path.join(dir, 'examples', f));
      await until(
        'with the log and epochs 7, 8',
        (b) => b.training.G_GAN?.epochs.join() === '5,6,7,8' && b.computed + b.reused === 20,
        n - 1,
      );
      assert.equal((html().match(/<g data-series="[^"]+" data-group/g) ?? []).length, 7, 'a curve per loss');
      assert.ok(existsSync(path.join(out, 'index-files', 'live.js')), 'live.js for the open page');
      assert.match(html(), /nectarLossLive/);
      await checkReload(path.join(out, 'index.html'), () => {
        const c = readFileSync(path.join(dir, 'train2_config.json'), 'utf8');
        writeFileSync(
          path.join(dir, 'train3_config.json'),
          c.replace('"lambda_sobel": 8.0', '"lambda_sobel": 9.0'),
        );
      });
    } finally {
      child.kill('SIGTERM');
    }
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    assert.ok(code === 143 || signal === 'SIGTERM', `exit ${code} ${signal}: ${stderr}`);
    assert.match(html(), /<\/html>\n$/, 'a whole report');
    const leftovers = readdirSync(out, { recursive: true })
      .map(String)
      .filter((f) => /\.tmp|\.nl-/.test(f));
    assert.deepEqual(leftovers, [], 'no temporary file');
  },
);

test(
  'review --watch on a missing folder: one line on stderr, exit 2, and the process ends',
  { timeout: 60_000 },
  async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'nl-watch-missing-'));
    const child = spawn(
      process.execPath,
      [BIN, 'review', '--watch', path.join(out, 'no-such'), '--out', out],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Before the fix the watcher kept the process alive until killed.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    clearTimeout(timer);
    rmSync(out, { recursive: true, force: true });
    assert.equal(signal, null, 'ended by itself, not killed after 30 s');
    assert.equal(code, 2, stderr);
    assert.equal(stdout, '');
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.match(stderr, /no-such: cannot read the experiment folder/);
  },
);
