import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeImage } from '../../src/io/decode.js';
import { UserError } from '../../src/errors.js';
import { fixture } from '../helpers.js';

test("ICC profile is ignored: values as stored, unlike sharp's default conversion", async () => {
  const p = fixture('fixtures/images/rgba_icc_80x64_real.png');
  const meta = await sharp(p).metadata();
  assert.ok(meta.icc && meta.icc.length > 0, 'fixture carries an ICC profile');
  const ours = await decodeImage(readFileSync(p), { label: 'x' });
  const converted = await sharp(p).removeAlpha().raw().toBuffer();
  const stored = await sharp(p, { ignoreIcc: true }).removeAlpha().raw().toBuffer();
  let differs = 0;
  for (let i = 0; i < stored.length; i++) {
    assert.equal(ours.samples[i], stored[i]);
    if (converted[i] !== stored[i]) differs++;
  }
  assert.ok(
    differs > stored.length / 4,
    `the profile must matter for this fixture (${differs} samples differ)`,
  );
});

test('16-bit images keep all 16 bits', async () => {
  const d = await decodeImage(readFileSync(fixture('fixtures/images/rgb16_96x80_real.png')), { label: 'x' });
  assert.equal(d.bitDepth, 16);
  assert.equal(d.max, 65535);
  const notByte = Array.from(d.samples).filter((v) => v % 257 !== 0).length;
  assert.ok(notByte > d.samples.length / 2, 'values are not 8-bit levels widened');
  const g = await decodeImage(readFileSync(fixture('fixtures/images/gray16_72x60_real.png')), { label: 'x' });
  assert.equal(g.bitDepth, 16);
  assert.equal(g.samples[0], g.samples[1]);
  assert.equal(g.samples[1], g.samples[2]);
});

test('gray and palette images expand to RGB; undecodable bytes are a UserError naming the file', async () => {
  const g = await decodeImage(readFileSync(fixture('fixtures/images/gray8_64x48_real.png')), { label: 'x' });
  assert.equal(g.samples.length, 64 * 48 * 3);
  assert.equal(g.channels, 1);
  const p = await decodeImage(readFileSync(fixture('fixtures/images/palette_70x50_real.png')), {
    label: 'x',
  });
  assert.equal(p.samples.length, 70 * 50 * 3);
  await assert.rejects(
    decodeImage(Buffer.from('not an image at all'), { label: 'junk.png' }),
    (e: unknown) => e instanceof UserError && /^junk\.png: cannot decode/.test(e.message),
  );
});
