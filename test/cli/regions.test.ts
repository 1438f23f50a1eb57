import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { BIN, calibrateArgs, fixture } from '../helpers.js';

/** The committed rendered set (fixtures/regions/render.mjs): 6 pages x 8 variants, truth.json per pair. */
const SET = fixture('fixtures/regions/set');
const TRUTH = JSON.parse(readFileSync(`${SET}/truth.json`, 'utf8')) as Record<string, { kind: string }>;
const isChange = (n: string) => ['content', 'colour', 'moved'].includes(TRUTH[n]!.kind);

function cli(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Calibration sets from pages 0-2 (base, noise and changed folders, as `calibrate` takes them) and an
 * evaluation pair of folders from pages 3-5.
 */
const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

function sets(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-regions-'));
  made.push(root);
  for (const n of Object.keys(TRUTH)) {
    const page = Number(/^p(\d)/.exec(n)![1]);
    const into = (dir: string, side: string) => {
      mkdirSync(path.join(root, dir), { recursive: true });
      copyFileSync(path.join(SET, side, `${n}.png`), path.join(root, dir, `${n}.png`));
    };
    if (page >= 3) {
      into('eval-real', 'real');
      into('eval-fake', 'fake');
    } else if (isChange(n)) {
      into('base', 'real');
      into('changed', 'fake');
    } else {
      into('base', 'real');
      into('noise', 'fake');
    }
  }
  return root;
}

const ndjson = (s: string) =>
  s
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { name?: string; status?: string; summary?: true; over?: string[] });

test('calibrate recommends the noise kinds as allow= in --write-gates, and batch --gates applies it alone', () => {
  const root = sets();
  const c = cli(root, calibrateArgs('l1', '--write-gates', 'g.txt'));
  assert.equal(c.code, 0, c.stderr);
  const file = readFileSync(path.join(root, 'g.txt'), 'utf8');
  assert.match(file, /^allow=rendering,level,shift {2}# /m);
  assert.match(c.stdout, /allow \(regions' kinds\):\n {2}allow=rendering,level,shift/);
  const b = cli(root, ['batch', 'eval-real', 'eval-fake', '--gates', 'g.txt', '--no-maps', '--json']);
  assert.equal(b.code, 1, b.stderr);
  const over = ndjson(b.stdout)
    .filter((r) => r.status === 'over')
    .map((r) => r.name!.replace('.png', ''));
  assert.deepEqual(
    over.sort(),
    Object.keys(TRUTH)
      .filter((n) => Number(n[1]) >= 3 && isChange(n))
      .sort(),
  );
});

test('calibrate records --region-threshold and --min-region-area; batch --gates and the written config find the regions the flags find', () => {
  const root = sets();
  const region = ['--region-threshold', '0.05', '--min-region-area', '20'];
  const c = cli(root, calibrateArgs('l1', ...region, '--write-gates', 'g.txt', '--write-config', 'c.json'));
  assert.equal(c.code === 0 || c.code === 1, true, c.stderr);
  const file = readFileSync(path.join(root, 'g.txt'), 'utf8');
  assert.match(file, /^#! regionThreshold=0\.05$/m);
  assert.match(file, /^#! minRegionArea=20$/m);
  assert.doesNotMatch(file, /maxDisplacement/, 'the default is not recorded');
  const config = JSON.parse(readFileSync(path.join(root, 'c.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual([config.regionThreshold, config.minRegionArea], [0.05, 20]);
  const regions = (...args: string[]) => {
    const b = cli(root, [
      'batch',
      'eval-real',
      'eval-fake',
      '--loss',
      'l1',
      '--regions',
      '--no-maps',
      '--json',
      ...args,
    ]);
    assert.ok(b.code === 0 || b.code === 1, b.stderr);
    return ndjson(b.stdout)
      .filter((r) => !r.summary)
      .map((r) =>
        JSON.stringify([r.name, (r as { kind?: string }).kind, (r as { regions?: unknown }).regions]),
      )
      .sort();
  };
  const flags = regions(...region);
  assert.deepEqual(regions('--gates', 'g.txt'), flags, 'batch --gates: the same regions as the flags');
  assert.deepEqual(regions('--config', 'c.json'), flags, 'the config: the same regions as the flags');
  assert.notDeepEqual(regions(), flags, 'the default threshold and area find other regions');
});

test('region gates: --max regions=0 fails every pair with a region; region.area bounds the largest', () => {
  const root = sets();
  const run = (...gates: string[]) =>
    ndjson(
      cli(root, ['batch', 'eval-real', 'eval-fake', '--loss', 'l1', '--no-maps', '--json', ...gates]).stdout,
    ).filter((r) => !r.summary);
  const zero = run('--max', 'regions=0');
  assert.deepEqual(
    zero.filter((r) => r.status === 'ok').map((r) => r.name),
    ['p3-identical.png', 'p4-identical.png', 'p5-identical.png'],
  );
  assert.ok(zero.find((r) => r.name === 'p3-moved.png')!.over!.includes('regions 2 > 0'));
  // The level change covers the page but the frames of the elements on it: far more than 10000 px.
  const area = run('--max', 'region.area=10000');
  assert.equal(area.find((r) => r.name === 'p3-level.png')!.status, 'over');
  assert.equal(area.find((r) => r.name === 'p3-moved.png')!.status, 'ok');
});

test('region options and --allow refuse bad values with one line and exit 2', () => {
  const root = sets();
  for (const args of [
    ['--allow', 'rendering,nonsense'],
    ['--min', 'regions=1'],
    ['--max', 'region.median=1'],
    ['--max', 'regions.area=1'],
    ['--max-displacement', '-1'],
    ['--min-region-area', '1.5'],
    ['--region-threshold', 'x'],
    ['--allow', 'shift', '--no-regions'],
    // A gate or allow-list that regions judge, with none found, would pass every pair unjudged.
    ['--max', 'regions=0', '--no-regions'],
    ['--gates', 'allow.txt', '--no-regions'],
  ]) {
    writeFileSync(path.join(root, 'allow.txt'), 'allow=rendering,shift\nl1=0.5\n');
    const r = cli(root, ['batch', 'eval-real', 'eval-fake', '--no-maps', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const one = cli(root, [
    'l1',
    'eval-real/p3-text.png',
    'eval-fake/p3-text.png',
    '--no-regions',
    '--max',
    'regions=0',
  ]);
  assert.equal(one.code, 2, one.stderr);
  assert.equal(
    one.stderr,
    'nectar-loss: the gate regions judges changed regions: drop --no-regions (or regions: false in the config)\n',
  );
});

test('calibrate --write-config records allow and the region gates; batch with that config alone gives calibrate its verdicts', () => {
  const root = sets();
  const c = cli(root, calibrateArgs('l1', '--json', '--write-config', 'nectar-loss.config.json'));
  assert.equal(c.code, 0, c.stderr);
  const report = JSON.parse(c.stdout) as {
    allow?: string[];
    regionGates?: string[];
    combinations: { allow: string[]; gates: string[]; errors: number }[];
  };
  // The ranking: fewest errors first; the numeric gates alone and each region-gate candidate are in it.
  const errors = report.combinations.map((x) => x.errors);
  assert.deepEqual(
    errors,
    [...errors].sort((a, b) => a - b),
  );
  assert.ok(report.combinations.some((x) => !x.allow.length && !x.gates.length));
  assert.ok(report.combinations.some((x) => x.gates.some((g) => g.startsWith('region.area='))));
  const config = JSON.parse(readFileSync(path.join(root, 'nectar-loss.config.json'), 'utf8')) as {
    allow?: string[];
    max: Record<string, number>;
  };
  assert.deepEqual(config.allow, report.allow);
  for (const g of report.regionGates ?? [])
    assert.equal(config.max[g.split('=')[0]!], Number(g.split('=')[1]));
  // The config is found in the working directory: no --allow, --gates or --max on this command line.
  const b = cli(root, ['batch', 'eval-real', 'eval-fake', '--no-maps', '--json']);
  assert.equal(b.code, 1, b.stderr);
  const over = ndjson(b.stdout)
    .filter((r) => r.status === 'over')
    .map((r) => r.name!.replace('.png', ''));
  // Known by construction: exactly the real changes of pages 3-5 fail.
  assert.deepEqual(
    over.sort(),
    Object.keys(TRUTH)
      .filter((n) => Number(n[1]) >= 3 && isChange(n))
      .sort(),
  );
  // And on calibrate's own sets, batch with the config makes the errors calibrate counted for it.
  const own = cli(root, ['batch', 'base', 'noise', '--no-maps', '--json']);
  const failedNoise = ndjson(own.stdout).filter((r) => r.status === 'over').length;
  const chosen = report.combinations[0]!;
  assert.equal(failedNoise, (chosen as unknown as { failsNoise: string[] }).failsNoise.length);
});
