import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { BIN, fixture } from '../helpers.js';

const REAL = fixture('fixtures/images/facade256_real.png');
const FAKE = fixture('fixtures/images/facade256_fake.png');

function run(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
const ndjson = (s: string) =>
  s
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** base/ and cur/: p1 same, p2 and p3 changed, n1 new in cur. */
function folders(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-base-'));
  for (const d of ['base', 'cur']) mkdirSync(path.join(root, d));
  copyFileSync(REAL, path.join(root, 'base/p1.png'));
  copyFileSync(REAL, path.join(root, 'cur/p1.png'));
  for (const p of ['p2', 'p3']) {
    copyFileSync(REAL, path.join(root, `base/${p}.png`));
    copyFileSync(FAKE, path.join(root, `cur/${p}.png`));
  }
  copyFileSync(FAKE, path.join(root, 'cur/n1.png'));
  return root;
}

test('a current image without a baseline is `new`: exit 1, in the summary; a baseline without a current image is `obsolete`', () => {
  const root = folders();
  let r = run(['batch', 'base', 'cur', '--json', '--no-maps'], root);
  assert.equal(r.code, 1, r.stderr);
  const rows = ndjson(r.stdout);
  assert.deepEqual(
    rows.find((x) => x.name === 'n1.png'),
    { name: 'n1.png', fake: path.join('cur', 'n1.png'), losses: {}, files: {}, status: 'new' },
  );
  assert.equal(rows.at(-1)!.new, 1);
  copyFileSync(REAL, path.join(root, 'base/gone.png'));
  r = run(['batch', 'base', 'cur', '--json', '--no-maps'], root);
  assert.equal(r.code, 1, 'n1 is still new; obsolete alone would not fail');
  assert.deepEqual(
    ndjson(r.stdout).find((x) => x.name === 'gone.png'),
    { name: 'gone.png', real: path.join('base', 'gone.png'), losses: {}, files: {}, status: 'obsolete' },
  );
  assert.equal(ndjson(r.stdout).at(-1)!.obsolete, 1);
});

test('--update new | changed | all: byte-for-byte copies, the NDJSON row says what was updated, exit 0 only when every non-ok pair was', () => {
  const root = folders();
  const bytes = (p: string) => readFileSync(path.join(root, p));
  let r = run(
    ['batch', 'base', 'cur', '--json', '--no-maps', '--max', 'sobel=0.05', '--update', 'new'],
    root,
  );
  assert.equal(r.code, 1, 'p2, p3 still over');
  assert.deepEqual(bytes('base/n1.png'), bytes('cur/n1.png'));
  assert.equal(ndjson(r.stdout).find((x) => x.name === 'n1.png')!.updated, 'new');
  assert.notDeepEqual(bytes('base/p2.png'), bytes('cur/p2.png'), '`new` leaves changed baselines alone');
  r = run(
    ['batch', 'base', 'cur', '--json', '--no-maps', '--max', 'sobel=0.05', '--update', 'changed'],
    root,
  );
  assert.equal(r.code, 0, r.stderr);
  const rows = ndjson(r.stdout);
  assert.deepEqual(
    rows
      .filter((x) => x.updated === 'changed')
      .map((x) => x.name)
      .sort(),
    ['p2.png', 'p3.png'],
  );
  assert.equal(rows.find((x) => x.name === 'p1.png')!.updated, undefined);
  for (const p of ['p2', 'p3']) assert.deepEqual(bytes(`base/${p}.png`), bytes(`cur/${p}.png`));
  assert.equal(
    run(['batch', 'base', 'cur', '--no-maps', '--max', 'sobel=0.05'], root).code,
    0,
    'a rerun passes',
  );
  const one = run(['batch', 'cur', '--update', 'all'], root);
  assert.equal(one.code, 2);
  assert.match(one.stderr, /--update needs a baseline folder and a current folder/);
});

test('--update interrupted at random moments (SIGTERM, SIGKILL): every baseline is whole, the old bytes or the new', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-atomic-'));
  for (const d of ['base', 'cur']) mkdirSync(path.join(root, d));
  // Noise PNGs of ~3 MB, so that copies take measurable time.
  const noise = async (seed: number) => {
    const raw = Buffer.alloc(1000 * 1000 * 3);
    for (let i = 0, s = seed; i < raw.length; i++) raw[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    return sharp(raw, { raw: { width: 1000, height: 1000, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
  };
  const [oldBytes, newBytes] = [await noise(1), await noise(2)];
  const names = Array.from({ length: 16 }, (_, i) => `q${i}.png`);
  let interrupted = 0;
  for (const [i, ms] of [150, 400, 700, 1100].entries()) {
    for (const n of names) {
      if (i % 2 === 0) writeFileSync(path.join(root, 'base', n), oldBytes);
      writeFileSync(path.join(root, 'cur', n), newBytes);
    }
    for (const n of readdirSync(path.join(root, 'base')))
      if (i % 2 === 1 && n.endsWith('.png'))
        renameSync(path.join(root, 'base', n), path.join(root, `gone-${i}-${n}`));
    const signal: NodeJS.Signals = i < 2 ? 'SIGTERM' : 'SIGKILL';
    const code = await new Promise<number | null>((resolve) => {
      const p = spawn(
        process.execPath,
        [BIN, 'batch', 'base', 'cur', '--no-maps', '--max', 'sobel=0', '--update', 'all'],
        { cwd: root },
      );
      p.stdout.resume();
      p.stderr.resume();
      setTimeout(() => p.kill(signal), ms);
      p.on('close', (c) => resolve(c));
    });
    if (code !== 0) interrupted++;
    for (const n of names) {
      const f = path.join(root, 'base', n);
      if (!existsSync(f)) continue; // a new image not copied yet
      const b = readFileSync(f);
      assert.ok(
        b.equals(oldBytes) || b.equals(newBytes),
        `${n} after ${signal} at ${ms} ms is neither the old nor the new baseline`,
      );
    }
    if (signal === 'SIGTERM')
      assert.deepEqual(
        readdirSync(path.join(root, 'base')).filter((n) => n.endsWith('.tmp')),
        [],
        'temporary files left',
      );
  }
  assert.ok(interrupted >= 1, 'no run was interrupted');
});
