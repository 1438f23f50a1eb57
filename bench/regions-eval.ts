/**
 * Issue 29's evaluation: a rendered screenshot set with known changes (fixtures/regions/render.mjs; by
 * default 13 pages x 8 variants = 104 pairs of 1280x720, rendered into a temporary folder), split by page:
 * even pages are the calibration half, odd pages the evaluation half. nectar-loss: `batch --loss l1` on the
 * calibration half, the allow-list recommended from the kinds its noise and changed pairs show
 * (recommendAllow), then `batch --allow <that>` on the evaluation half. Peers: the best single threshold
 * of pixelmatch's differing-pixel count and of ssim.js's mean SSIM, chosen on the calibration half and
 * applied to the evaluation half. Errors: a noise pair that fails or a real change that passes.
 *   node dist/bench/regions-eval.js [set folder]   (renders the set when the folder has no truth.json)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import { recommendAllow } from '../src/engine/decide/recommend.js';
import type { Kind } from '../src/model.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const set = process.argv[2] ?? path.join(tmpdir(), 'nl-regions-1280');
if (!existsSync(path.join(set, 'truth.json'))) {
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, 'fixtures/regions/render.mjs'), set, '13', '1280', '720'],
    {
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) throw new Error('rendering the set failed (Debian chromium at /usr/bin/chromium?)');
}
const truth = JSON.parse(readFileSync(path.join(set, 'truth.json'), 'utf8')) as Record<
  string,
  { kind: Kind }
>;
const REAL: readonly Kind[] = ['content', 'colour', 'moved'];
const isChange = (n: string) => REAL.includes(truth[n]!.kind);
const pageOf = (n: string) => Number(/^p(\d+)-/.exec(n)![1]);
const halves = [0, 1].map((h) => Object.keys(truth).filter((n) => pageOf(n) % 2 === h));

/** A half as its own two folders (links to the set's files). */
function folders(names: string[], tag: string): { real: string; fake: string } {
  const dir = path.join(tmpdir(), `nl-regions-${tag}-${process.pid}`);
  for (const side of ['real', 'fake']) {
    mkdirSync(path.join(dir, side), { recursive: true });
    for (const n of names) symlinkSync(path.join(set, side, `${n}.png`), path.join(dir, side, `${n}.png`));
  }
  return { real: path.join(dir, 'real'), fake: path.join(dir, 'fake') };
}

function batch(
  f: { real: string; fake: string },
  loss: string,
  flags: string[],
): { name: string; status: string; kind: Kind }[] {
  const r = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'bin/nectar-loss.js'),
      'batch',
      f.real,
      f.fake,
      '--loss',
      loss,
      '--no-maps',
      '--json',
      ...flags,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  if (r.status !== 0 && r.status !== 1) throw new Error(r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { name: string; status: string; kind: Kind; summary?: true })
    .filter((x) => !x.summary)
    .map((x) => ({ ...x, name: x.name.replace(/\.png$/, '') }));
}

const read = (n: string, side: string) => PNG.sync.read(readFileSync(path.join(set, side, `${n}.png`)));

/** Per pair: pixelmatch's count of differing pixels (its default threshold 0.1) and ssim.js's mean SSIM. */
async function peerScores(names: string[]): Promise<Map<string, { pm: number; ssim: number }>> {
  const { ssim } = (await import('ssim.js')) as unknown as {
    ssim: (a: unknown, b: unknown) => { mssim: number };
  };
  const out = new Map<string, { pm: number; ssim: number }>();
  for (const n of names) {
    const a = read(n, 'real'),
      b = read(n, 'fake');
    const pm = pixelmatch(a.data, b.data, undefined, a.width, a.height, { threshold: 0.1 });
    const s = ssim(
      { data: new Uint8ClampedArray(a.data), width: a.width, height: a.height },
      { data: new Uint8ClampedArray(b.data), width: b.width, height: b.height },
    ).mssim;
    out.set(n, { pm, ssim: 1 - s });
  }
  return out;
}

/** odiff-bin 4.5.0's differing-pixel count per pair (its defaults: threshold 0.1), when .bench-peers has it. */
async function odiffScores(names: string[]): Promise<Map<string, number> | undefined> {
  type Server = {
    compare(a: string, b: string, d: string): Promise<{ match: boolean; diffCount?: number }>;
    stop(): void;
  };
  let server: Server;
  try {
    const req = createRequire(path.join(ROOT, '.bench-peers/package.json'));
    server = new (req('odiff-bin') as { ODiffServer: new () => Server }).ODiffServer();
  } catch {
    console.log('odiff-bin not installed (scripts/install-bench-peers.sh): its row is left out');
    return undefined;
  }
  const out = new Map<string, number>();
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-regions-odiff-'));
  try {
    for (const n of names) {
      const r = await server.compare(
        path.join(set, 'real', `${n}.png`),
        path.join(set, 'fake', `${n}.png`),
        path.join(dir, `${n}.png`),
      );
      out.set(n, r.match ? 0 : (r.diffCount ?? 1));
    }
  } finally {
    server.stop();
  }
  return out;
}

/** The threshold t (fail when score > t) of fewest errors on `names`, from the scores seen. */
function bestThreshold(names: string[], score: (n: string) => number): number {
  const candidates = [-1, ...names.map(score)];
  const errors = (t: number) => names.filter((n) => score(n) > t !== isChange(n)).length;
  return candidates.reduce((b, t) => (errors(t) < errors(b) ? t : b), candidates[0]!);
}

const [cal, ev] = halves as [string[], string[]];
const calFolders = folders(cal, 'cal'),
  evFolders = folders(ev, 'ev');
/** Calibrate on one half (the allow-list from the kinds it shows), batch on the other: the errors there. */
function ours(loss: string) {
  const calRows = batch(calFolders, loss, []);
  const allow = recommendAllow(
    calRows.filter((r) => !isChange(r.name)).map((r) => r.kind),
    calRows.filter((r) => isChange(r.name)).map((r) => r.kind),
  );
  const evRows = batch(evFolders, loss, allow.length ? ['--allow', allow.join(',')] : []);
  return { allow, errors: evRows.filter((r) => (r.status === 'over') !== isChange(r.name)) };
}
const rows = ['l1', 'sobel'].map((l) => ({ loss: l, ...ours(l) }));
const scores = await peerScores([...cal, ...ev]);
const peer = (key: 'pm' | 'ssim') => {
  const t = bestThreshold(cal, (n) => scores.get(n)![key]);
  return { t, errors: ev.filter((n) => scores.get(n)![key] > t !== isChange(n)) };
};
const pm = peer('pm'),
  ss = peer('ssim');
const od = await odiffScores([...cal, ...ev]);
const odRow = od && {
  t: bestThreshold(cal, (n) => od.get(n)!),
  errors: [] as string[],
};
if (od && odRow) odRow.errors = ev.filter((n) => od.get(n)! > odRow.t !== isChange(n));
const line = (tool: string, rule: string, errors: string[]) =>
  `| ${tool} | ${rule} | ${errors.length} / ${ev.length} | ${errors.join(', ') || '–'} |`;
console.log(
  [
    `${Object.keys(truth).length} pairs (${set}); calibration half ${cal.length}, evaluation half ${ev.length}`,
    '',
    '| tool | rule (from the calibration half) | errors on the evaluation half | pairs wrong |',
    '| --- | --- | --- | --- |',
    ...rows.map((o) =>
      line(
        `nectar-loss batch --loss ${o.loss}`,
        `--allow ${o.allow.join(',')}`,
        o.errors.map((r) => `${r.name} (${r.kind})`),
      ),
    ),
    line('pixelmatch 7.2.0 (threshold 0.1)', `fail above ${pm.t} differing pixels`, pm.errors),
    ...(odRow
      ? [line('odiff-bin 4.5.0 (threshold 0.1)', `fail above ${odRow.t} differing pixels`, odRow.errors)]
      : []),
    line('ssim.js 3.5.0', `fail below mean SSIM ${(1 - ss.t).toPrecision(6)}`, ss.errors),
  ].join('\n'),
);
