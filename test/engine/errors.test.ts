/**
 * The library's errors: every UserError code compareImages and the matchers can raise, each message in the
 * library's words (its option names, never a CLI flag), the CLI's wording kept beside it (cliMessage).
 * Expected sizes and limits are the fixtures' own (written by hand below), not computed by the code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { compareImages, disposeEngine } from '../../src/engine/session.js';
import { USER_ERROR_CODES, UserError, option, said, type UserErrorCode } from '../../src/errors.js';
import { toMatchLossSnapshot } from '../../src/runners/jest.js';
import type { SnapshotStateLike } from '../../src/runners/snapshot.js';
import { BIN, fixture, ROOT } from '../helpers.js';

const REAL = fixture('fixtures/images/facade256_real.png');
const FAKE = fixture('fixtures/images/facade256_fake.png');
const SMALL = fixture('fixtures/images/gray8_64x48_real.png');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nectar-errors-'));
after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await disposeEngine();
});

/** A UserError with this code whose message matches `re` and names no CLI flag. */
function isUserError(code: UserErrorCode, re: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof UserError, `a UserError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    assert.doesNotMatch(e.message, /(^|[\s(])--[a-z]/, 'no CLI flag in a library message');
    return true;
  };
}

test('said/option: one message, the library and the CLI each in their own words', () => {
  const e = new UserError(said`a (${option('resize: true', '--resize')}) b ${3}`, 'SIZE_MISMATCH');
  assert.equal(e.message, 'a (resize: true) b 3');
  assert.equal(e.cliMessage, 'a (--resize) b 3');
  assert.equal(e.code, 'SIZE_MISMATCH');
  assert.equal(new UserError('plain').code, 'BAD_INPUT');
  const wrapped = new UserError(said`${option('max', '--max')}: ${e.phrase}`, e.code);
  assert.equal(wrapped.message, 'max: a (resize: true) b 3');
  assert.equal(wrapped.cliMessage, '--max: a (--resize) b 3');
  assert.equal(new Set(USER_ERROR_CODES).size, USER_ERROR_CODES.length);
});

test('compareImages: ENOENT, BAD_IMAGE, TOO_MANY_PIXELS, SIZE_MISMATCH', async () => {
  const missing = path.join(tmp, 'missing.png');
  await assert.rejects(
    compareImages(missing, FAKE),
    isUserError('ENOENT', /^expected .*missing\.png: no such file$/),
  );
  await assert.rejects(compareImages(REAL, missing), isUserError('ENOENT', /^actual .*: no such file$/));
  const junk = path.join(tmp, 'junk.png');
  writeFileSync(junk, 'not an image at all');
  await assert.rejects(
    compareImages(REAL, junk),
    isUserError('BAD_IMAGE', /^actual .*junk\.png: cannot decode/),
  );
  await assert.rejects(
    compareImages(REAL, new Uint8Array([1, 2, 3])),
    isUserError('BAD_IMAGE', /^actual: cannot decode/),
  );
  await assert.rejects(compareImages(REAL, tmp), isUserError('BAD_IMAGE', /is a directory/));
  // 256x256 = 65536 pixels.
  await assert.rejects(
    compareImages(REAL, FAKE, { maxPixels: 1000 }),
    isUserError('TOO_MANY_PIXELS', /256x256 is 65536 pixels, over the limit of 1000 \(maxPixels raises it\)/),
  );
  const mismatch = await compareImages(REAL, SMALL).catch((e: unknown) => e);
  isUserError('SIZE_MISMATCH', /resize: true resizes actual to expected's size/)(mismatch);
  assert.match((mismatch as UserError).cliMessage, /\(--resize resizes fake to real's size\)$/);
});

test(
  'compareImages: EACCES on an unreadable file',
  { skip: process.getuid?.() === 0 && 'root reads anything' },
  async () => {
    const locked = path.join(tmp, 'locked.png');
    writeFileSync(locked, 'x');
    chmodSync(locked, 0);
    await assert.rejects(compareImages(REAL, locked), isUserError('EACCES', /permission denied/));
  },
);

test('compareImages: IMAGE_TOO_SMALL, BAD_MASK, BAD_OPTION', async () => {
  const tiny = { data: new Uint8Array(8 * 8 * 4), width: 8, height: 8 };
  await assert.rejects(
    compareImages(tiny, tiny, { loss: 'ssim', min: 0.5 }),
    isUserError('IMAGE_TOO_SMALL', /ssim needs images whose shorter side is at least \d+ px.* 8x8/),
  );
  await assert.rejects(
    compareImages(REAL, FAKE, { mask: SMALL }),
    isUserError(
      'BAD_MASK',
      /is 64x48, the expected image is 256x256: a mask must have the expected image's size/,
    ),
  );
  await assert.rejects(
    compareImages(REAL, FAKE, { ignore: ['0,0,256,256'] }),
    isUserError('BAD_MASK', /the masks and ignore rectangles leave no pixel of the 256x256 image/),
  );
  await assert.rejects(
    compareImages(REAL, FAKE, { mask: path.join(tmp, 'no-mask.png') }),
    isUserError('ENOENT', /^mask .*no-mask\.png: no such file$/),
  );
  await assert.rejects(
    compareImages(REAL, FAKE, { loss: 'l2', min: { 'l2.p99': 1 } }),
    isUserError('BAD_OPTION', /statistics are of the per-pixel dissimilarity map.*bound them with max$/),
  );
  await assert.rejects(
    compareImages(REAL, FAKE, { loss: 'ssim', shiftTolerance: 1, min: 0.5 }),
    isUserError('BAD_OPTION', /^ssim does not take shiftTolerance: /),
  );
});

test('compareImages: BAD_WEIGHTS and NO_WEIGHTS name the library options', async () => {
  const junk = path.join(tmp, 'junk.pth');
  writeFileSync(junk, Buffer.alloc(64, 7));
  await assert.rejects(
    compareImages(REAL, FAKE, { loss: 'vgg', weights: junk }),
    isUserError('BAD_WEIGHTS', /junk\.pth: not a PyTorch \(\.pth\) or safetensors file/),
  );
  await assert.rejects(
    compareImages(REAL, FAKE, { loss: 'vgg', weights: path.join(tmp, 'none.pth') }),
    isUserError('ENOENT', /VGG19 weights .*none\.pth: no such file/),
  );
  const saved = { ...process.env };
  process.env.TORCH_HOME = tmp;
  delete process.env.NECTAR_LOSS_VGG19_WEIGHTS;
  try {
    await assert.rejects(
      compareImages(REAL, FAKE, { loss: 'vgg', download: false }),
      isUserError('NO_WEIGHTS', /downloading is off: .*, or pass weights: FILE$/),
    );
  } finally {
    process.env.TORCH_HOME = saved.TORCH_HOME;
    if (saved.TORCH_HOME === undefined) delete process.env.TORCH_HOME;
    if (saved.NECTAR_LOSS_VGG19_WEIGHTS !== undefined)
      process.env.NECTAR_LOSS_VGG19_WEIGHTS = saved.NECTAR_LOSS_VGG19_WEIGHTS;
  }
});

test('compareImages: BACKEND_UNAVAILABLE (tfjs-node not installed), in its own process', (t) => {
  const probe = `import { compareImages } from ${JSON.stringify(path.join(ROOT, 'dist/src/index.js'))};
    try { await import('@tensorflow/tfjs-node'); console.log('INSTALLED'); process.exit(0); } catch {}
    await compareImages(${JSON.stringify(REAL)}, ${JSON.stringify(FAKE)}, { backend: 'tensorflow' }).then(
      () => console.log('no error'),
      (e) => console.log(JSON.stringify({ name: e.name, code: e.code })),
    );`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  if (r.stdout.includes('INSTALLED')) return t.skip('@tensorflow/tfjs-node is installed here');
  assert.deepEqual(JSON.parse(r.stdout), { name: 'UserError', code: 'BACKEND_UNAVAILABLE' });
});

/** A Jest matcher's `this` for a test in `dir` (the real Jest runs in test/runners). */
function jestThis(dir: string, update: 'all' | 'new' | 'none' = 'new') {
  const snapshotState: SnapshotStateLike = {
    _updateSnapshot: update,
    added: 0,
    updated: 0,
    matched: 0,
    unmatched: 0,
  };
  return { testPath: path.join(dir, 'x.test.js'), currentTestName: 'errors', snapshotState };
}

test('matchers: SIZE_MISMATCH fails the comparison; BAD_OPTION and WRITE_FAILED are thrown; option words', async () => {
  const dir = mkdtempSync(path.join(tmp, 'matcher-'));
  const ctx = jestThis(dir);
  const first = await toMatchLossSnapshot.call(ctx, REAL);
  assert.equal(first.pass, true, first.message());
  const again = await toMatchLossSnapshot.call(jestThis(dir), SMALL);
  assert.equal(again.pass, false);
  assert.match(
    again.message(),
    /size mismatch: expected .* is 256x256, actual .* is 64x48 \(resize: true resizes/,
  );
  assert.doesNotMatch(again.message(), /--resize/);
  // A bad option is no image difference: thrown (the test errors with the code), not a failed comparison.
  await assert.rejects(
    toMatchLossSnapshot.call(jestThis(dir), REAL, { loss: 'ssim' }),
    isUserError('BAD_OPTION', /ssim is higher-is-better: give min/),
  );
  const file = path.join(tmp, 'a-file');
  writeFileSync(file, '');
  await assert.rejects(
    toMatchLossSnapshot.call(jestThis(dir), REAL, { customSnapshotsDir: path.join(file, 'snaps') }),
    isUserError('WRITE_FAILED', /a-file\/snaps: cannot create folder/),
  );
  await assert.rejects(
    toMatchLossSnapshot.call(jestThis(dir), REAL, { max: { l1: 1 } }),
    isUserError('BAD_OPTION', /^max: \{ 'l1': … \}: l1 is not among loss sobel$/),
  );
});

test('the CLI keeps its flag wording: the single command, and a batch pair computed in a worker', () => {
  const one = spawnSync(process.execPath, [BIN, 'sobel', REAL, SMALL, '--no-maps'], { encoding: 'utf8' });
  assert.equal(one.status, 2);
  assert.equal(one.stdout, '');
  assert.equal(
    one.stderr,
    `nectar-loss: size mismatch: real ${REAL} is 256x256, fake ${SMALL} is 64x48 (--resize resizes fake to ` +
      `real's size)\n`,
  );
  const [base, current] = ['base', 'current'].map((d) => path.join(tmp, d));
  for (const [dir, from] of [
    [base!, REAL],
    [current!, SMALL],
  ] as const) {
    mkdirSync(dir, { recursive: true });
    copyFileSync(from, path.join(dir, 'a.png'));
  }
  const batch = spawnSync(process.execPath, [BIN, 'batch', base!, current!, '--json', '--no-maps'], {
    encoding: 'utf8',
  });
  assert.equal(batch.status, 2, batch.stderr);
  const pair = JSON.parse(batch.stdout.split('\n')[0]!) as { status: string; error: string };
  assert.equal(pair.status, 'error');
  assert.match(pair.error, /is 64x48 \(--resize resizes fake to real's size\)$/);
});

test('compareImages: BAD_CONFIG for an invalid config file, ENOENT for a missing one, in option words', async () => {
  const bad = path.join(tmp, 'bad.config.json');
  writeFileSync(bad, JSON.stringify({ shiftTolerance: 'one' }));
  await assert.rejects(
    compareImages(REAL, FAKE, { config: bad }),
    isUserError('BAD_CONFIG', /shiftTolerance/),
  );
  const none = path.join(tmp, 'none.config.json');
  await assert.rejects(
    compareImages(REAL, FAKE, { config: none }),
    isUserError('ENOENT', /^config: .*none\.config\.json: cannot read it: no such file$/),
  );
});
