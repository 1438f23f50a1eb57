/**
 * The approval bench (issue 28's budgets): a report of 2,000 changed pairs opened in Debian's chromium,
 * "accept all shown" clicked, ms until every row is marked decided and the next frame is drawn (budget 1 s,
 * after load); then `nectar-loss approve` of the downloaded approvals.json replacing 2,000 baselines, whole
 * process wall ms (budget 5 s), on a fresh copy of the baselines each round. Rows go to bench/results.md
 * (its "Approvals" section, replaced); `node dist/bench/approve-bench.js` runs this part alone.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/nectar-loss.js');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
const PAIRS = Number(process.env.BENCH_APPROVE_PAIRS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const HEADING = '## Approvals';
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

/** PAIRS changed pairs of 16×16 PNGs (one pixel differs), in dir/base and dir/cur, and the batch report. */
async function makeRun(dir: string): Promise<void> {
  for (const side of ['base', 'cur']) mkdirSync(path.join(dir, side, 'sub'), { recursive: true });
  for (let i = 0; i < PAIRS; i++) {
    const px = Buffer.alloc(16 * 16 * 3, i % 251);
    const rel = `${i % 2 ? 'sub/' : ''}p${i}.png`;
    await sharp(px, { raw: { width: 16, height: 16, channels: 3 } })
      .png()
      .toFile(path.join(dir, 'base', rel));
    px[i % px.length] ^= 0xff;
    await sharp(px, { raw: { width: 16, height: 16, channels: 3 } })
      .png()
      .toFile(path.join(dir, 'cur', rel));
  }
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      'batch',
      'base',
      'cur',
      '--loss',
      'l1',
      '--max',
      'l1=0',
      '--no-maps',
      '--report',
      'out/report.html',
    ],
    { cwd: dir, encoding: 'utf8' },
  );
  if (r.status !== 1) throw new Error(`batch: exit ${r.status}: ${r.stderr}`);
}

/** Chromium: load ms, then ms from the click on "accept all shown" to the next frame; the approvals file. */
async function acceptAll(dir: string): Promise<{ load: number; accept: number; approvals: string }> {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`file://${path.join(dir, 'out/report.html')}`, { waitUntil: 'load', timeout: 300_000 });
    const load = await page.evaluate(() => performance.getEntriesByType('navigation')[0]!.duration);
    const accept = await page.evaluate(async () => {
      const t0 = performance.now();
      document.getElementById('accept-shown')!.click();
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      const n = document.querySelectorAll('tr[data-decided="accept"]').length;
      return n === document.querySelectorAll('tr[data-pair]').length ? performance.now() - t0 : -1;
    });
    if (accept < 0) throw new Error('not every row was accepted');
    const dl = mkdtempSync(path.join(tmpdir(), 'nl-bench-dl-'));
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dl });
    await page.click('[data-action="approvals"]');
    const file = path.join(dl, 'approvals.json');
    for (const end = Date.now() + 20_000; !existsSync(file) && Date.now() < end;)
      await new Promise((r) => setTimeout(r, 50));
    return { load, accept, approvals: file };
  } finally {
    await browser.close();
  }
}

/**
 * `approve` of every pair, on a fresh copy of the baselines per round: whole-process wall ms; beside it the
 * wall ms of that copy (cpSync of the 2,000 baselines), the floor of any tool that writes as many files on
 * this file system under this load, as a reference.
 */
function approveMs(dir: string, approvals: string): { approve: number; copy: number } {
  const times: number[] = [];
  const copies: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const base = path.join(dir, `base-${r}`);
    const c = process.hrtime.bigint();
    cpSync(path.join(dir, 'base'), base, { recursive: true });
    copies.push(Number(process.hrtime.bigint() - c) / 1e6);
    const t = process.hrtime.bigint();
    const p = spawnSync(process.execPath, [BIN, 'approve', approvals, '--baselines', base], {
      encoding: 'utf8',
    });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (p.status !== 0) throw new Error(`approve: ${p.stderr}`);
    rmSync(base, { recursive: true });
  }
  return { approve: median(times), copy: median(copies) };
}

/** The section of bench/results.md. */
export async function approvalSection(): Promise<string> {
  if (!CHROMIUM) return `\n${HEADING}\n\nSkipped: no chromium.\n`;
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-bench-approve-'));
  await makeRun(dir);
  const b = await acceptAll(dir);
  const a = JSON.parse(readFileSync(b.approvals, 'utf8')) as { pairs: unknown[] };
  const ms = approveMs(dir, b.approvals);
  rmSync(dir, { recursive: true, force: true });
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  return (
    `\n${HEADING}\n\n${PAIRS} changed pairs (16×16 PNGs), Debian's chromium headless; approve: whole process, ` +
    `${ROUNDS} rounds on fresh copies, median. Machine: ${machine}. ${new Date().toISOString().slice(0, 10)}.\n\n` +
    `| step | ms | budget ms | ratio to budget |\n|---|---|---|---|\n` +
    `| report load (navigation to load event) | ${b.load.toFixed(0)} | – | – |\n` +
    `| accept all shown (click to next frame, ${PAIRS} rows) | ${b.accept.toFixed(0)} | 1000 | ${(b.accept / 1000).toFixed(2)} |\n` +
    `| approve (${a.pairs.length} baselines replaced) | ${ms.approve.toFixed(0)} | 5000 | ${(ms.approve / 5000).toFixed(2)} |\n` +
    `| reference: cpSync of the ${PAIRS} baselines (same rounds) | ${ms.copy.toFixed(0)} | – | approve / copy ${(ms.approve / ms.copy).toFixed(2)} |\n` +
    `\nLoad average when measured: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(', ')} on ${cpus().length} cores.\n`
  );
}

/** Replaces (or appends) the Approvals section of bench/results.md. */
export async function writeApprovalSection(): Promise<void> {
  const file = path.join(ROOT, 'bench/results.md');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const at = old.indexOf(`\n${HEADING}`);
  // The section ends at the next heading of any level (a ### after it belongs to another bench).
  const rest = at < 0 ? -1 : old.slice(at + 1).search(/\n#{1,3} /);
  const next = rest < 0 ? -1 : at + 1 + rest;
  const section = await approvalSection();
  console.log(section);
  writeFileSync(file, (at < 0 ? old : old.slice(0, at)) + section + (next < 0 ? '' : old.slice(next)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await writeApprovalSection();
