import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markdownSummary } from '../../src/io/report/markdown.js';
import type { PairRecord } from '../../src/model.js';
import { BIN, fixture } from '../helpers.js';

const REAL = fixture('fixtures/images/gray8_64x48_real.png');
const FAKE = fixture('fixtures/images/gray8_64x48_fake.png');
const MiB = 1024 * 1024;

function put(root: string, rel: string, from: string) {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  copyFileSync(from, path.join(root, rel));
}

/** The CLI on GitHub Actions: summary file, GITHUB_ACTIONS, the workspace at `root`. */
function run(args: string[], root: string, summary: string) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    GITHUB_ACTIONS: 'true',
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_WORKSPACE: root,
  };
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: root, env });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const commands = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('::'));

/**
 * A workflow command read back as the runner does (actions/runner ActionCommand.cs: `::name k=v,…::data`,
 * then %0D, %0A, %3A, %2C, %25 unescaped in properties and %0D, %0A, %25 in the data).
 */
function parseCommand(line: string): { name: string; props: Record<string, string>; data: string } {
  const m = /^::([a-z]+)(?: ([^:]*))?::(.*)$/.exec(line);
  assert.ok(m, `not a workflow command: ${line}`);
  const un = (s: string, prop: boolean) =>
    (prop ? s.replace(/%3A/g, ':').replace(/%2C/g, ',') : s)
      .replace(/%0D/g, '\r')
      .replace(/%0A/g, '\n')
      .replace(/%25/g, '%');
  const props = Object.fromEntries(
    (m.at(2) ?? '') // the group is optional: absent when there is no property
      .split(',')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), un(kv.slice(kv.indexOf('=') + 1), true)]),
  );
  return { name: m[1]!, props, data: un(m[3]!, false) };
}

test('GitHub: batch appends a Markdown summary and prints escaped ::error annotations on stderr; --json stays pure NDJSON', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-gh-'));
  const weird = 'we|ird,na:me%.png';
  const broken = 'line\nbreak.png';
  put(root, 'base/p1.png', REAL);
  put(root, 'cur/p1.png', REAL);
  for (const n of [weird, broken]) {
    put(root, `base/${n}`, REAL);
    put(root, `cur/${n}`, FAKE);
  }
  put(root, 'cur/n1.png', FAKE);
  put(root, 'base/old/gone.png', REAL);
  for (const d of ['base', 'cur']) writeFileSync(path.join(root, d, 'bad.png'), 'not an image');
  const summary = path.join(root, 'summary.md');
  writeFileSync(summary, '## an earlier command of this step\n');
  // Without regions, the titles say `over a threshold` (with them, the change: region-outputs.test.ts).
  const r = run(
    ['batch', 'base', 'cur', '--json', '--no-maps', '--no-regions', '--max', 'sobel=0.05'],
    root,
    summary,
  );
  assert.equal(r.code, 2, r.stderr);
  const rows = r.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as PairRecord & { summary?: true });
  assert.equal(rows.length, 7, 'six pairs and the summary object, nothing else on stdout');
  const by = Object.fromEntries(rows.map((x) => [x.name, x]));

  // Annotations: worst first (error, over by value then name, new), escaped, then the obsolete notice.
  const lines = commands(r.stderr);
  assert.deepEqual(lines.slice(1, 4), [
    `::error file=cur/line%0Abreak.png,title=nectar-loss%3A line%0Abreak.png%3A over a threshold::${by[broken]!.over!.join('%0A')}`,
    `::error file=cur/we|ird%2Cna%3Ame%25.png,title=nectar-loss%3A we|ird%2Cna%3Ame%25.png%3A over a threshold::${by[weird]!.over!.join('%0A')}`,
    '::error file=cur/n1.png,title=nectar-loss%3A n1.png%3A new image%2C no baseline::no baseline for this image: run batch with --update new to write it',
  ]);
  assert.match(
    lines[0]!,
    /^::error file=cur\/bad\.png,title=nectar-loss%3A bad\.png%3A could not be compared::/,
  );
  assert.equal(
    lines[4],
    '::notice title=nectar-loss::1 obsolete baseline with no current image: remove them with --update obsolete',
  );
  assert.equal(lines.length, 5);
  // Read back as the runner reads them: the properties are the names again.
  assert.deepEqual(parseCommand(lines[1]!).props, {
    file: `cur/${broken}`,
    title: `nectar-loss: ${broken}: over a threshold`,
  });
  assert.equal(parseCommand(lines[2]!).props.file, `cur/${weird}`);
  assert.equal(parseCommand(lines[1]!).data, by[broken]!.over!.join('\n'));

  // Summary: appended after what the step wrote, counts, then the pairs worst first.
  const md = readFileSync(summary, 'utf8');
  assert.ok(
    md.startsWith('## an earlier command of this step\n\n### nectar-loss: base vs cur: ⚠️ errors (exit 2)\n'),
  );
  assert.ok(
    md.includes(
      '| pairs | ok | over | error | new | updated | obsolete |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n| 6 | 1 | 2 | 1 | 1 | 0 | 1 |\n',
    ),
    md,
  );
  assert.ok(md.includes('Thresholds: `--max sobel=0.05`'));
  const table = md
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| pair') && !l.startsWith('| ---'))
    .slice(1);
  assert.deepEqual(
    table.map((l) => l.split(' | ').slice(0, 2)),
    [
      ['| bad.png', 'error'],
      ['| line break.png', 'over'],
      ['| we\\|ird,na:me%.png', 'over'],
      ['| n1.png', 'new'],
      ['| old/gone.png', 'obsolete'],
      ['| p1.png', 'ok'],
    ],
  );
  assert.ok(table[1]!.includes(`| **${by[broken]!.losses.sobel} > 0.05** |`), table[1]);
  assert.ok(table[4]!.endsWith('| – | no current image |'), table[4]);
});

test('GitHub: at most 10 error annotations and a notice with the rest; the summary stops at 1 MiB with a line saying how many rows were left out', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-gh10-'));
  const names = Array.from({ length: 13 }, (_, i) => `a${String(i).padStart(2, '0')}.png`);
  for (const n of names) {
    put(root, `base/${n}`, REAL);
    put(root, `cur/${n}`, FAKE);
  }
  const summary = path.join(root, 'summary.md');
  // What earlier commands of the step appended: 900 bytes are left of the 1 MiB.
  const earlier = 'x'.repeat(MiB - 900 - 1) + '\n';
  writeFileSync(summary, earlier);
  const r = run(['batch', 'base', 'cur', '--no-maps', '--max', 'sobel=0'], root, summary);
  assert.equal(r.code, 1, r.stderr);
  const lines = commands(r.stderr);
  assert.deepEqual(
    lines.slice(0, 10).map((l) => parseCommand(l).props.file),
    names.slice(0, 10).map((n) => `cur/${n}`),
  );
  assert.deepEqual(lines.slice(10), [
    '::notice title=nectar-loss::3 more failing pairs not annotated (GitHub shows 10 error annotations per step): see the job summary, the report or the JSON',
  ]);
  assert.ok(!r.stdout.includes('::'), 'no workflow command on stdout');
  const md = readFileSync(summary, 'utf8');
  assert.ok(md.startsWith(earlier));
  assert.ok(statSync(summary).size <= MiB, `${statSync(summary).size} bytes`);
  const shown = md.split('\n').filter((l) => /^\| a\d\d\.png \| over \|/.test(l)).length;
  const left = Number(/_(\d+) more rows left out: a step summary holds at most 1 MiB\._/.exec(md)?.[1]);
  assert.ok(shown >= 1 && left >= 1, `shown ${shown}, left out ${left}`);
  assert.equal(shown + left, 13);

  // A full summary file: a warning, the file untouched, the run's verdict unchanged.
  writeFileSync(summary, 'x'.repeat(MiB));
  const full = run(['batch', 'base', 'cur', '--no-maps', '--max', 'sobel=0'], root, summary);
  assert.equal(full.code, 1);
  assert.match(full.stderr, /warning: no room left in GITHUB_STEP_SUMMARY .* summary not written/);
  assert.equal(statSync(summary).size, MiB);
});

test('markdownSummary: 20,000 failing pairs fill at most 1 MiB of UTF-8 (multi-byte names), rows shown + left out = all', () => {
  const records: PairRecord[] = Array.from({ length: 20000 }, (_, i) => ({
    name: `ünïcødé-${String(i).padStart(5, '0')}.png`,
    losses: { sobel: 0.5 + i / 1e5 },
    files: {},
    status: 'over',
    over: [`sobel ${0.5 + i / 1e5} > 0.1`],
  }));
  const input = {
    title: 'nectar-loss: base vs cur',
    counts: { pairs: 20000, ok: 0, over: 20000, error: 0, new: 0, updated: 0, obsolete: 0 },
    exit: 1,
    line: '20000 pairs',
    losses: [{ name: 'sobel', better: 'lower' as const }],
    gates: [{ loss: 'sobel', bound: 'max' as const, limit: 0.1 }],
  };
  const md = markdownSummary(records, input, MiB)!;
  const bytes = Buffer.byteLength(md, 'utf8');
  assert.ok(bytes <= MiB && bytes > MiB - 200, `${bytes} bytes`);
  const shown = md.split('\n').filter((l) => l.startsWith('| ünïcødé-')).length;
  const left = Number(/_(\d+) more rows left out/.exec(md)?.[1]);
  assert.equal(shown + left, 20000);
  assert.ok(
    md
      .split('\n')
      .find((l) => l.startsWith('| ünïcødé-'))!
      .startsWith('| ünïcødé-19999.png | over |'),
  );
  assert.equal(markdownSummary(records, input, 100), undefined, 'not even the head fits');
});

test('GitHub: merge appends the summary and annotates like one batch', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-ghm-'));
  for (const n of ['a.png', 'b.png', 'c.png']) {
    put(root, `base/${n}`, REAL);
    put(root, `cur/${n}`, n === 'a.png' ? REAL : FAKE);
  }
  const quiet = path.join(root, 'shards.md');
  for (const i of [1, 2]) {
    const s = run(
      [
        'batch',
        'base',
        'cur',
        '--no-maps',
        '--max',
        'sobel=0.05',
        '--shard',
        `${i}/2`,
        '--results',
        `s${i}.ndjson`,
      ],
      root,
      quiet,
    );
    assert.notEqual(s.code, 2, s.stderr);
  }
  const summary = path.join(root, 'merged.md');
  const r = run(['merge', 's1.ndjson', 's2.ndjson', '--json'], root, summary);
  assert.equal(r.code, 1, r.stderr);
  r.stdout
    .trimEnd()
    .split('\n')
    .forEach((l) => JSON.parse(l));
  assert.deepEqual(
    commands(r.stderr).map((l) => parseCommand(l).props.file),
    ['cur/b.png', 'cur/c.png'],
  );
  const md = readFileSync(summary, 'utf8');
  assert.ok(md.startsWith('### nectar-loss: base vs cur: ❌ failed (exit 1)\n'), md);
  assert.ok(md.includes('| 3 | 1 | 2 | 0 | 0 | 0 | 0 |'), md);
  assert.deepEqual(
    md
      .split('\n')
      .filter((l) => /^\| [abc]\.png/.test(l))
      .map((l) => l.slice(2, 7)),
    ['b.png', 'c.png', 'a.png'],
  );
});

test('GitHub: nothing is written or printed for GitHub outside GitHub Actions; an unwritable summary file is exit 2', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-gh0-'));
  put(root, 'base/a.png', REAL);
  put(root, 'cur/a.png', FAKE);
  const env = { ...process.env };
  delete env.GITHUB_ACTIONS;
  delete env.GITHUB_STEP_SUMMARY;
  const r = spawnSync(process.execPath, [BIN, 'batch', 'base', 'cur', '--no-maps', '--max', 'sobel=0'], {
    cwd: root,
    env,
  });
  assert.equal(r.status, 1);
  assert.ok(!r.stderr.toString().includes('::') && !r.stdout.toString().includes('::'));
  // A summary file that cannot be appended to is a user error, as an unwritable --junit is.
  const bad = spawnSync(process.execPath, [BIN, 'batch', 'base', 'cur', '--no-maps'], {
    cwd: root,
    env: { ...env, GITHUB_STEP_SUMMARY: path.join(root, 'missing', 'summary.md') },
  });
  assert.equal(bad.status, 2);
  assert.equal(bad.stdout.toString(), '');
  assert.match(
    bad.stderr.toString(),
    /^nectar-loss: GITHUB_STEP_SUMMARY .*summary\.md: cannot append \(ENOENT\)\n$/,
  );
});

test('GitHub: a NectarGAN trainer folder gets its best epoch in the summary and an epoch column', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-ghe-'));
  // Epoch 1 reproduces its target exactly (sobel 0), epoch 2 does not: epoch 1 is best.
  put(root, 'train/epoch1_1_B_real.png', REAL);
  put(root, 'train/epoch1_1_B_fake.png', REAL);
  put(root, 'train/epoch2_1_B_real.png', REAL);
  put(root, 'train/epoch2_1_B_fake.png', FAKE);
  const summary = path.join(root, 'summary.md');
  const r = run(['batch', 'train', '--no-maps'], root, summary);
  assert.equal(r.code, 0, r.stderr);
  const md = readFileSync(summary, 'utf8');
  assert.ok(md.includes('\nBest epoch: sobel 1 (0)\n'), md);
  assert.ok(md.includes('| pair | status | epoch | sobel | note |'), md);
  assert.match(md, /\n\| epoch1\\_1\\_B \| ok \| 1 \| 0 \| {2}\|\n/);
  assert.equal(commands(r.stderr).length, 0, 'nothing failed: no annotation');
});
