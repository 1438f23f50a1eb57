/**
 * Issue 29's evaluation: a rendered screenshot set with known changes (fixtures/regions/render.mjs with its
 * extra noise; by default 25 pages x 10 variants = 250 pairs of 1280x720, rendered into a temporary folder),
 * split by page: even pages are the calibration half, odd pages the evaluation half. nectar-loss, as a user
 * runs it: `calibrate <base> <noise> --changed <changed> --write-gates gates.txt` on the calibration half,
 * then `batch --gates gates.txt` on the evaluation half, no other flag. Peers: the best single threshold
 * of pixelmatch's and odiff's differing-pixel counts and of ssim.js's mean SSIM, chosen on the calibration
 * half and applied to the evaluation half. Errors: a noise pair that fails or a real change that passes.
 *   node dist/bench/regions-eval.js [set folder] [variants to leave out, e.g. hinting]
 * (renders the set when the folder has no truth.json); also prints each tool's errors by variant.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import type { Kind } from '../src/model.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const set = process.argv[2] ?? path.join(tmpdir(), 'nl-regions-1280-extra');
if (!existsSync(path.join(set, 'truth.json'))) {
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, 'fixtures/regions/render.mjs'), set, '25', '1280', '720', '29', 'extra'],
    {
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) throw new Error('rendering the set failed (Debian chromium at /usr/bin/chromium?)');
}
const leftOut = (process.argv[3] ?? '').split(',').filter(Boolean);
const variantOf = (n: string) => n.replace(/^p\d+-/, '');
const truth = Object.fromEntries(
  Object.entries(
    JSON.parse(readFileSync(path.join(set, 'truth.json'), 'utf8')) as Record<string, { kind: Kind }>,
  ).filter(([n]) => !leftOut.includes(variantOf(n))),
);
const REAL: readonly Kind[] = ['content', 'colour', 'moved'];
const isChange = (n: string) => REAL.includes(truth[n]!.kind);
const pageOf = (n: string) => Number(/^p(\d+)-/.exec(n)![1]);
const halves = [0, 1].map((h) => Object.keys(truth).filter((n) => pageOf(n) % 2 === h));

const work = mkdtempSync(path.join(tmpdir(), 'nl-regions-eval-'));
/** Folders of links to the set's files: `side` images of `names`, in work/<dir>. */
function linked(dir: string, side: string, names: string[]): string {
  mkdirSync(path.join(work, dir), { recursive: true });
  for (const n of names) symlinkSync(path.join(set, side, `${n}.png`), path.join(work, dir, `${n}.png`));
  return path.join(work, dir);
}

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/nectar-loss.js'), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0 && r.status !== 1) throw new Error(r.stderr);
  return r;
}

function batch(real: string, fake: string, flags: string[]): { name: string; status: string; kind: Kind }[] {
  const r = cli(['batch', real, fake, '--no-maps', '--json', ...flags]);
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
const base = linked('base', 'real', cal),
  noise = linked(
    'noise',
    'fake',
    cal.filter((n) => !isChange(n)),
  ),
  changed = linked('changed', 'fake', cal.filter(isChange)),
  evReal = linked('ev-real', 'real', ev),
  evFake = linked('ev-fake', 'fake', ev);
/**
 * The user's path: calibrate --write-gates on the calibration half, batch --gates on the evaluation half;
 * the rule is the gates file's lines (allow-list, region and numeric gates).
 */
function ours(loss: string) {
  const gates = path.join(work, `gates-${loss}.txt`);
  cli(['calibrate', base, noise, '--changed', changed, '--loss', loss, '--write-gates', gates]);
  const rule = readFileSync(gates, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .join(' ');
  const evRows = batch(evReal, evFake, ['--gates', gates]);
  return { rule, errors: evRows.filter((r) => (r.status === 'over') !== isChange(r.name)) };
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
/** A tool's errors counted by variant: `hinting 12, subpixel 1`. */
const byVariant = (errors: string[]) => {
  const counts = new Map<string, number>();
  for (const e of errors)
    counts.set(variantOf(e.split(' ')[0]!), (counts.get(variantOf(e.split(' ')[0]!)) ?? 0) + 1);
  return [...counts].map(([v, c]) => `${v} ${c}`).join(', ') || '–';
};
const line = (tool: string, rule: string, errors: string[]) =>
  `| ${tool} | ${rule} | ${errors.length} / ${ev.length} | ${byVariant(errors)} | ${errors.join(', ') || '–'} |`;
console.log(
  [
    `${Object.keys(truth).length} pairs (${set}${leftOut.length ? `, without ${leftOut.join(', ')}` : ''}); ` +
      `calibration half ${cal.length}, evaluation half ${ev.length}`,
    '',
    '| tool | rule (from the calibration half) | errors on the evaluation half | errors by variant | pairs wrong |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((o) =>
      line(
        `nectar-loss calibrate --loss ${o.loss} --write-gates, batch --gates`,
        `\`${o.rule}\``,
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
