import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { BIN } from '../helpers.js';

/**
 * The project config through the CLI: discovery (each file name, package.json's key, upward, --config,
 * --no-config), precedence, errors, `config --json`, per-path overrides, the gate grammar and the single
 * command's failure lines. Images: 16x16 grey at level 100 against level 110, so l1 (and every statistic of
 * its map) is 10/255 = 0.0392157 by arithmetic.
 */
function cli(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = () => mkdtempSync(path.join(tmpdir(), 'nl-config-'));

async function grey(file: string, level: number): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const px = Buffer.alloc(16 * 16 * 3, level);
  writeFileSync(
    file,
    await sharp(px, { raw: { width: 16, height: 16, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

interface ConfigJson {
  file: string | null;
  settings: Record<string, unknown>;
  sources: Record<string, string>;
}

function configJson(cwd: string, args: string[] = []): ConfigJson {
  const r = cli(cwd, ['config', '--json', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ConfigJson;
}

test('config: found as each file name and as package.json\'s "nectar-loss" key, upward from the cwd', () => {
  const bodies: Record<string, string> = {
    'nectar-loss.config.json': '{"shiftTolerance": 2}',
    'nectar-loss.config.mjs': 'export default { shiftTolerance: 2 };',
    'nectar-loss.config.js': 'export default { shiftTolerance: 2 };',
    'nectar-loss.config.cjs': 'module.exports = { shiftTolerance: 2 };',
    'package.json': '{"name": "x", "type": "module", "nectar-loss": {"shiftTolerance": 2}}',
  };
  for (const [name, body] of Object.entries(bodies)) {
    const root = tmp();
    writeFileSync(path.join(root, name), body);
    if (name === 'nectar-loss.config.js') writeFileSync(path.join(root, 'package.json'), '{"type":"module"}');
    mkdirSync(path.join(root, 'a/b'), { recursive: true });
    const j = configJson(path.join(root, 'a/b'));
    assert.equal(j.file, path.join(root, name), name);
    assert.equal(j.settings.shiftTolerance, 2, name);
    assert.equal(j.sources.shiftTolerance, 'file', name);
  }
  // A package.json without the key is passed over.
  const root = tmp();
  writeFileSync(path.join(root, 'package.json'), '{"name": "x"}');
  assert.equal(configJson(root).file, null);
});

test('config: --config names the file, --no-config reads none; the exact --json shape', () => {
  const root = tmp();
  writeFileSync(path.join(root, 'nectar-loss.config.json'), '{"range": "signed"}');
  writeFileSync(path.join(root, 'other.json'), '{"shiftTolerance": 1, "max": "l1=0.2"}');
  let j = configJson(root, ['--config', 'other.json']);
  assert.deepEqual(Object.keys(j), ['file', 'settings', 'sources']);
  assert.equal(j.file, path.join(root, 'other.json'));
  assert.deepEqual([j.settings.range, j.settings.shiftTolerance, j.settings.max], ['unit', 1, { l1: 0.2 }]);
  for (const v of Object.values(j.sources)) assert.ok(['file', 'flag', 'default'].includes(v), v);
  j = configJson(root, ['--no-config']);
  assert.equal(j.file, null);
  assert.equal(j.settings.range, 'unit');
  assert.ok(Object.values(j.sources).every((s) => s === 'default'));
  const t = cli(root, ['config']);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /^range +signed +\(file\)$/m);
});

test('config: defaults < config file < flags; gates merge by name', () => {
  const root = tmp();
  writeFileSync(
    path.join(root, 'nectar-loss.config.json'),
    '{"shiftTolerance": 1, "range": "signed", "loss": ["l1", "sobel"], "max": {"l1": 0.2, "sobel.p99": 0.3}}',
  );
  const j = configJson(root, ['--shift-tolerance', '2', '--max', 'l1=0.1']);
  assert.deepEqual(
    [j.settings.shiftTolerance, j.sources.shiftTolerance, j.settings.range, j.sources.range],
    [2, 'flag', 'signed', 'file'],
  );
  assert.deepEqual(j.settings.max, { l1: 0.1, 'sobel.p99': 0.3 });
  assert.deepEqual(
    [j.settings.loss, j.sources.loss, j.sources.backend],
    [['l1', 'sobel'], 'file', 'default'],
  );
});

test('config errors: unknown key, wrong type, unknown loss: one line naming file and key, exit 2, empty stdout', async () => {
  const root = tmp();
  await grey(path.join(root, 'a.png'), 100);
  const cases: [string, RegExp][] = [
    ['{"shiftTolerence": 1}', /^nectar-loss: nectar-loss\.config\.json: shiftTolerence: unknown key\n$/],
    ['{"shiftTolerance": "1"}', /^nectar-loss: nectar-loss\.config\.json: shiftTolerance: expected number/],
    ['{"loss": ["l1", "nope"]}', /^nectar-loss: nectar-loss\.config\.json: loss\.1: unknown loss "nope"/],
    [
      '{"overrides": [{"files": "x/**", "max": {"l1.p42": 1}}]}',
      /nectar-loss\.config\.json: overrides\.0\.max/,
    ],
    ['{"max": "l1=abc"}', /nectar-loss\.config\.json: max: expected a number/],
    ['{"range": "both"}', /nectar-loss\.config\.json: range: unknown value "both"/],
  ];
  for (const [body, re] of cases) {
    writeFileSync(path.join(root, 'nectar-loss.config.json'), body);
    for (const args of [
      ['config'],
      ['l1', 'a.png', 'a.png', '--no-maps'],
      ['batch', '.', '.', '--no-maps'],
      ['calibrate', '.', '.'],
    ]) {
      const r = cli(root, args);
      assert.equal(r.code, 2, `${body} ${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, re, `${body} ${args.join(' ')}`);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  }
  const r = cli(root, ['config', '--config', 'missing.json']);
  assert.deepEqual([r.code, r.stdout], [2, '']);
  assert.match(r.stderr, /^nectar-loss: --config missing\.json: cannot read it: no such file\n$/);
});

test('single command: one stderr line per failed gate, stdout unchanged; the grammar; config gates apply', async () => {
  const root = tmp();
  await grey(path.join(root, 'real.png'), 100);
  await grey(path.join(root, 'fake.png'), 110);
  const base = ['l1', 'real.png', 'fake.png', '--no-maps', '--no-config'];
  let r = cli(root, [...base, '--max', '0.05']);
  assert.deepEqual([r.code, r.stderr], [0, '']);
  const mean = r.stdout;
  assert.match(mean, /^0\.0392\d*\n$/);
  r = cli(root, [...base, '--max', 'l1.p99=0.01,l1.max=0.5', '--max', 'l1=0.02']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, mean);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 2, r.stderr);
  assert.match(lines[0]!, /^l1 p99 0\.0392\d* > 0\.01$/);
  assert.match(lines[1]!, /^l1 0\.0392\d* > 0\.02$/);
  r = cli(root, [...base, '--max', 'l1.p42=1']);
  assert.deepEqual([r.code, r.stdout], [2, '']);
  assert.match(r.stderr, /unknown statistic 'p42'/);
  // --json: over, and the failed gates, beside the unchanged fields.
  r = cli(root, [...base, '--json', '--max', 'l1.p99=0.01']);
  const j = JSON.parse(r.stdout) as { over: boolean; failed: string[]; mean: number };
  assert.deepEqual([r.code, j.over, j.failed.length], [1, true, 1]);
  writeFileSync(path.join(root, 'nectar-loss.config.json'), '{"max": "l1.p99=0.01"}');
  r = cli(root, ['l1', 'real.png', 'fake.png', '--no-maps']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^l1 p99 0\.0392\d* > 0\.01\n$/);
  // The flag overrides the config's gate of the same name.
  r = cli(root, ['l1', 'real.png', 'fake.png', '--no-maps', '--max', 'l1.p99=0.05']);
  assert.deepEqual([r.code, r.stderr], [0, '']);
});

test('batch: a bare number means the only loss, and is an error naming them with several; config overrides by path', async () => {
  const root = tmp();
  for (const name of ['checkout/pay.png', 'home.png']) {
    await grey(path.join(root, 'base', name), 100);
    await grey(path.join(root, 'cur', name), 110);
  }
  const run = (args: string[]) =>
    cli(root, ['batch', 'base', 'cur', '--no-maps', '--json', '--jobs', '1', ...args]);
  let r = run(['--no-config', '--loss', 'l1', '--max', '0.01']);
  assert.equal(r.code, 1, r.stderr);
  r = run(['--no-config', '--loss', 'l1,l2', '--max', '0.01']);
  assert.deepEqual([r.code, r.stdout], [2, '']);
  assert.match(r.stderr, /^nectar-loss: --max 0\.01: a bare number needs one loss, .*\(l1, l2\)/);
  writeFileSync(
    path.join(root, 'nectar-loss.config.json'),
    JSON.stringify({ loss: 'l1', max: 0.01, overrides: [{ files: 'checkout/**', max: { l1: 0.05 } }] }),
  );
  r = run([]);
  assert.equal(r.code, 1, r.stderr);
  const records = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { name?: string; status?: string });
  const status = (n: string) => records.find((x) => x.name === n)?.status;
  assert.deepEqual([status('checkout/pay.png'), status('home.png')], ['ok', 'over']);
});
