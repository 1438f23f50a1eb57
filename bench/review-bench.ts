import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeBigExperiment } from './review-log.js';

/** One review run under the RSS probe: wall ms, CPU ms, peak RSS MB. */
function runReview(bin: string, rss: string, args: string[]) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', rss, bin, ...args], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(r.stderr);
  const num = (k: string) => Number(new RegExp(`__${k}__ ([0-9.]+)`).exec(r.stderr)?.[1] ?? NaN);
  return { ms, cpu: num('CPU_MS'), mb: num('RSS_KB') / 1024 };
}

function folderBytes(dir: string): number {
  return readdirSync(dir, { recursive: true })
    .map((f) => path.join(dir, String(f)))
    .filter((f) => statSync(f).isFile())
    .reduce((n, f) => n + statSync(f).size, 0);
}

/** Chromium: ms from navigation start to the first drawn training curve (a polyline with a width). */
async function firstCurveMs(chromium: string, file: string): Promise<number> {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`file://${file}`, { waitUntil: 'domcontentloaded' });
    const h = await page.waitForFunction(
      () => {
        const p = document.querySelector('svg[data-chart="training"] polyline[data-mean]');
        return p instanceof SVGGraphicsElement && p.getBBox().width > 0 ? performance.now() : false;
      },
      { polling: 'raf' },
    );
    return (await h.jsonValue()) as number;
  } finally {
    await browser.close();
  }
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

/**
 * `review` on a generated 200-epoch log (9.6 M values, 121 MB): time, CPU and peak memory to build the
 * report, beside json.load + numpy over the same log (bench/review_ref.py), interleaved; the report's size;
 * and the time to open it in Chromium to the first drawn curve.
 */
export async function reviewRows(
  dir: string,
  o: { bin: string; rss: string; py?: string; rounds: number },
): Promise<{ rows: string[]; notes: string[] }> {
  const exp = path.join(dir, 'review-exp');
  const log = writeBigExperiment(exp);
  const ours: ReturnType<typeof runReview>[] = [],
    ref: { ms: number; mb: number }[] = [];
  const out = path.join(dir, 'review-out');
  for (let i = 0; i < o.rounds; i++) {
    ours.push(runReview(o.bin, o.rss, ['review', exp, '--out', out, '--json']));
    if (o.py) {
      const t = process.hrtime.bigint();
      const r = spawnSync(o.py, [path.join(path.dirname(o.rss), '../../bench/review_ref.py'), log, '1'], {
        encoding: 'utf8',
      });
      if (r.status === 0)
        ref.push({
          ms: Number(process.hrtime.bigint() - t) / 1e6,
          mb: (JSON.parse(r.stdout) as { maxrss_kb: number }).maxrss_kb / 1024,
        });
    }
  }
  const wall = median(ours.map((x) => x.ms)),
    cpu = median(ours.map((x) => x.cpu)),
    mb = median(ours.map((x) => x.mb));
  const refWall = ref.length ? median(ref.map((x) => x.ms)) : NaN,
    refMb = ref.length ? median(ref.map((x) => x.mb)) : NaN;
  const size = folderBytes(out) / 2 ** 20;
  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
  const opens: number[] = [];
  for (let i = 0; chromium && i < 3; i++)
    opens.push(await firstCurveMs(chromium, path.join(out, 'index.html')));
  const open = opens.length ? median(opens) : NaN;
  const logMb = statSync(log).size / 2 ** 20;
  const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  const ratio = ref.length ? (wall / refWall).toFixed(2) : '–';
  const rows = [
    `| review: loss log of 9.6 M values (${f(logMb)} MB), 200 epochs | – | wasm (auto) | – | ${f(wall)} | ` +
      `${f(mb)} | – | ${f(refWall)} | ${f(refMb)} | ${ratio} |`,
  ];
  const notes = [
    `Review of the 9.6 M-value log: ${f(wall)} ms wall, ${f(cpu)} ms CPU (all threads), ${f(mb)} MB peak ` +
      `RSS (goals: 10 s, 500 MB); report ${f(size, 2)} MB (goal 5 MB); Chromium opens it to the first ` +
      `drawn curve in ${f(open)} ms (goal 1 s, median of 3). Reference: Python json.load + numpy per-epoch ` +
      `statistics of the same log, ${f(refWall)} ms, ${f(refMb)} MB.`,
  ];
  return { rows, notes };
}
