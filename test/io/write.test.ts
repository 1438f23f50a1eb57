import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reportFiles } from '../../src/io/report/html.js';
import { writeAllOrNothing } from '../../src/io/write.js';
import { UserError } from '../../src/errors.js';
import type { PairRecord } from '../../src/model.js';
import { fixture } from '../helpers.js';

const temp = () => mkdtempSync(path.join(tmpdir(), 'nl-write-'));

test('writeAllOrNothing writes bytes and copies files (`from`) byte for byte, sub-folders included', () => {
  const dir = temp();
  const src = fixture('fixtures/images/rgb8_301x217_real.png');
  writeAllOrNothing(dir, [
    { name: 'a.html', bytes: Buffer.from('<p>') },
    { name: 'a-files/x.png', from: src },
  ]);
  assert.equal(readFileSync(path.join(dir, 'a.html'), 'utf8'), '<p>');
  assert.deepEqual(readFileSync(path.join(dir, 'a-files/x.png')), readFileSync(src));
  assert.deepEqual(readdirSync(path.join(dir, 'a-files')), ['x.png'], 'no temporary left');
});

test('writeAllOrNothing on a failed copy leaves nothing: no file, no temporary, no sub-folder it made; folders that were there stay', () => {
  const dir = temp();
  mkdirSync(path.join(dir, 'kept'));
  writeFileSync(path.join(dir, 'kept', 'old.txt'), 'old');
  const files = [
    { name: 'r.html', bytes: Buffer.from('<p>') },
    { name: 'kept/new.png', bytes: Buffer.from('x') },
    { name: 'r-files/deep/1.png', bytes: Buffer.from('x') },
    { name: 'r-files/2.png', from: path.join(dir, 'missing.png') },
  ];
  assert.throws(
    () => writeAllOrNothing(dir, files, '--report r.html'),
    (e: unknown) => e instanceof UserError && /^--report r\.html: cannot write \(ENOENT\)$/.test(e.message),
  );
  assert.deepEqual(readdirSync(dir).sort(), ['kept']);
  assert.deepEqual(readdirSync(path.join(dir, 'kept')), ['old.txt']);
});

test('the report copies shown images when written (no bytes read beforehand) and converts others to PNG', async () => {
  const real = fixture('fixtures/images/jpeg_exif6_120x88_real.jpg'),
    fake = fixture('fixtures/images/jpeg_exif6_120x88_fake.jpg');
  const dir = temp();
  const tiff = path.join(dir, 'heat.tiff');
  const { sharp } = await import('../../src/io/sharp.js');
  await sharp(fixture('fixtures/images/gray8_64x48_real.png')).tiff().toFile(tiff);
  const rec: PairRecord = {
    name: 'a b.jpg',
    real,
    fake,
    losses: { sobel: 0.5 },
    files: { sobel: { heatmap: tiff } },
    status: 'ok',
    stats: { sobel: { mean: 0.5, median: 0.4, p95: 0.9, p99: 1, max: 1 } },
  };
  const files = await reportFiles(path.join(dir, 'out', 'rep.html'), [rec], {
    title: 't',
    line: '1 pair',
    losses: [{ name: 'sobel', better: 'lower' }],
    gates: [],
  });
  assert.deepEqual(
    files.map((f) => [f.name, 'from' in f ? f.from : 'bytes']),
    [
      ['rep.html', 'bytes'],
      ['rep-files/1-real.jpg', real],
      ['rep-files/1-fake.jpg', fake],
      ['rep-files/1-sobel-heatmap.png', 'bytes'],
    ],
  );
  writeAllOrNothing(path.join(dir, 'out'), files);
  const html = readFileSync(path.join(dir, 'out', 'rep.html'), 'utf8');
  for (const f of files.slice(1))
    assert.ok(html.includes(`src="${f.name}"`) && existsSync(path.join(dir, 'out', f.name)), f.name);
  assert.deepEqual(
    readFileSync(path.join(dir, 'out', 'rep-files', '1-sobel-heatmap.png'))
      .subarray(1, 4)
      .toString(),
    'PNG',
  );
});
