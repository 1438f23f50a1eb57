import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { BIN, fixture } from '../helpers.js';

const GRAY = fixture('fixtures/images/gray8_64x48_real.png');
const JPEG = fixture('fixtures/images/jpeg_exif6_120x88_real.jpg');

/** Exit 2, one stderr line naming `file` and matching `problem`, nothing on stdout, nothing in --out. */
function refuses(args: string[], file: string, problem: RegExp) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'nl-hard-'));
  const r = spawnSync(process.execPath, [BIN, ...args, '--out', 'out'], { cwd });
  const err = r.stderr.toString();
  assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status} ${err}`);
  assert.equal(r.stdout.toString(), '');
  assert.equal(err.trimEnd().split('\n').length, 1, err);
  assert.ok(err.includes(file), `names ${file}: ${err}`);
  assert.match(err, problem);
  assert.equal(existsSync(path.join(cwd, 'out')), false, 'nothing written');
}

test('truncated JPEG and PNG, and a PNG whose header claims 200000x200000, are refused cleanly', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-hard-'));
  const jpeg = readFileSync(JPEG);
  const cutJpeg = path.join(dir, 'cut.jpg');
  writeFileSync(cutJpeg, jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
  refuses(['l1', JPEG, cutJpeg], cutJpeg, /cannot decode image/);
  const png = readFileSync(GRAY);
  const cutPng = path.join(dir, 'cut.png');
  writeFileSync(cutPng, png.subarray(0, Math.floor(png.length * 0.6)));
  refuses(['sobel', GRAY, cutPng], cutPng, /cannot decode image/);
  // IHDR (after the 8-byte signature and 8-byte chunk header): width, height, then its CRC over type+data.
  const huge = Buffer.from(png);
  huge.writeUInt32BE(200000, 16);
  huge.writeUInt32BE(200000, 20);
  huge.writeUInt32BE(crc32(huge.subarray(12, 29)) >>> 0, 29);
  const big = path.join(dir, 'huge.png');
  writeFileSync(big, huge);
  refuses(
    ['sobel', big, GRAY],
    big,
    /200000x200000 is 40000000000 pixels, over the limit of 268402689 \(--max-pixels raises it\)/,
  );
  refuses(
    ['sobel', GRAY, GRAY, '--max-pixels', '1000'],
    GRAY,
    /64x48 is 3072 pixels, over the limit of 1000/,
  );
});

test('weights that are truncated, garbage, not VGG19, or name a forbidden global: exit 2 naming the file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-hard-'));
  const pair = [GRAY, fixture('fixtures/images/gray8_64x48_fake.png')];
  const legacy = readFileSync(fixture('fixtures/weights/vgg19-legacy.pth'));
  const cut = path.join(dir, 'cut.pth');
  writeFileSync(cut, legacy.subarray(0, legacy.length - 1000));
  refuses(['vgg', ...pair, '--weights', cut], cut, /truncated/);
  const junk = path.join(dir, 'junk.pth');
  writeFileSync(junk, Buffer.alloc(4096, 0x41));
  refuses(['vgg', ...pair, '--weights', junk], junk, /not a PyTorch/);
  const v16 = fixture('fixtures/weights/vgg16-zip.pth');
  refuses(['vgg', ...pair, '--weights', v16], v16, /not VGG19/);
  const evil = path.join(dir, 'evil.pth');
  writeFileSync(
    evil,
    Buffer.concat([
      Buffer.from([0x80, 0x02]),
      Buffer.from('cposix\nsystem\n', 'latin1'),
      Buffer.from([0x58, 4, 0, 0, 0]),
      Buffer.from('true'),
      Buffer.from([0x85, 0x52, 0x2e]),
    ]),
  );
  refuses(['vgg', ...pair, '--weights', evil], evil, /refusing to load: the pickle names posix\.system/);
});
