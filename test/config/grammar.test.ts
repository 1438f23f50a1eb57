import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gateMap, gatesOf } from '../../src/engine/decide/grammar.js';
import { parseGatesFile } from '../../src/engine/decide/gates-file.js';
import { gatesFor, resolveSettings } from '../../src/engine/settings.js';
import { clearConfigCache } from '../../src/engine/with-config.js';
import { compareImages } from '../../src/index.js';
import { UserError } from '../../src/errors.js';

test('grammar: v, loss=v, loss.stat=v, comma- or space-separated, lists and objects give the same gates', () => {
  const want = { '': 0.05, sobel: 0.1, 'sobel.p99': 0.3 };
  assert.deepEqual(gateMap('0.05, sobel=0.1 sobel.p99=0.3', 'max', '--max'), want);
  assert.deepEqual(gateMap(['0.05', 'sobel=0.1,sobel.p99=0.3'], 'max', '--max'), want);
  assert.deepEqual(gateMap(want, 'max', 'max'), want);
  assert.deepEqual(gatesOf({ '': 0.05 }, 'max', ['l1']), [{ loss: 'l1', bound: 'max', limit: 0.05 }]);
  assert.throws(() => gatesOf({ '': 0.05 }, 'max', ['l1', 'l2']), /a bare number needs one loss.*\(l1, l2\)/);
  assert.deepEqual(gatesOf({ '': 0.05 }, 'max', ['l1', 'l2'], 'first'), [
    { loss: 'l1', bound: 'max', limit: 0.05 },
  ]);
  for (const bad of ['sobel=', '=1', 'sobel.p42=1', 'abc', 'sobel=x'])
    assert.throws(
      () => gateMap(bad, 'max', '--max'),
      (e: unknown) => e instanceof UserError && /^--max: /.test(e.message),
      bad,
    );
});

test('gates file: the #! header and the gates; files without a header load as before', () => {
  const f = parseGatesFile(
    '# c\n#! nectar-loss-gates 1\n#! shiftTolerance=1\n#! loss=sobel,l1\nsobel.p99=0.3  # why\nssim=0.9\n',
    'g.txt',
  );
  assert.deepEqual(f.header, { shiftTolerance: 1, loss: ['sobel', 'l1'] });
  assert.deepEqual(f.gates, [
    { loss: 'sobel', stat: 'p99', bound: 'max', limit: 0.3 },
    { loss: 'ssim', bound: 'min', limit: 0.9 },
  ]);
  assert.deepEqual(parseGatesFile('l1=0.1\n', 'old.txt'), {
    gates: [{ loss: 'l1', bound: 'max', limit: 0.1 }],
    header: {},
  });
  assert.throws(() => parseGatesFile('#! what\n', 'g.txt'), /g\.txt: line 1: expected #! key=value/);
});

test('resolver: overrides match by glob on the relative path, later ones win; flags name bare numbers before merging', () => {
  const config = {
    file: null,
    config: {
      max: 0.01,
      overrides: [
        { files: 'checkout/**', max: { l1: 0.05 } },
        { files: ['**/*.hi.png'], max: 'l1=0.2' },
      ],
    },
  };
  const r = resolveSettings(config, []);
  const limit = (name?: string) => gatesFor(r, ['l1'], name).map((g) => g.limit);
  assert.deepEqual(
    [limit(), limit('home.png'), limit('checkout/a.png'), limit('checkout/b.hi.png')],
    [[0.01], [0.01], [0.05], [0.2]],
  );
  const flagged = resolveSettings(config, [{ source: 'flag', values: { max: 'l1=0.5' } }]);
  assert.deepEqual(
    gatesFor(flagged, ['l1']).map((g) => g.limit),
    [0.5],
  );
});

test('compareImages reads the config (found upward, or the config option); an option overrides it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-lib-config-'));
  const file = path.join(dir, 'nectar-loss.config.json');
  writeFileSync(file, JSON.stringify({ loss: 'l1', max: 'l1=0.01' }));
  // 2x1 grey pixels, 100 against 110: l1 = 10/255 = 0.0392 by arithmetic.
  const img = (v: number) => ({
    data: new Uint8Array([v, v, v, v, v, v]),
    width: 2,
    height: 1,
    channels: 3 as const,
  });
  let r = await compareImages(img(100), img(110), { config: file, diff: 'never' });
  assert.deepEqual([Object.keys(r.values), r.pass, r.gates[0]!.limit], [['l1'], false, 0.01]);
  r = await compareImages(img(100), img(110), { config: file, max: { l1: 0.05 }, diff: 'never' });
  assert.equal(r.pass, true);
  r = await compareImages(img(100), img(110), { config: false, loss: 'l1', diff: 'never' });
  assert.deepEqual(r.gates, []);
  const cwd = process.cwd();
  try {
    process.chdir(dir);
    clearConfigCache();
    r = await compareImages(img(100), img(110), { diff: 'never' });
    assert.equal(r.pass, false);
  } finally {
    process.chdir(cwd);
    clearConfigCache();
  }
  writeFileSync(file, '{"maxx": 1}');
  await assert.rejects(
    compareImages(img(1), img(1), { config: file }),
    /nectar-loss\.config\.json: maxx: unknown key/,
  );
});

test('a matcher (Vitest comparator) reads the config; the option passed to it overrides the config', async () => {
  const { nectarLossComparator } = await import('../../src/runners/vitest.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-matcher-config-'));
  const file = path.join(dir, 'nectar-loss.config.json');
  writeFileSync(file, JSON.stringify({ loss: 'l1', max: '0.05' }));
  // 1x1 RGBA: 100 against 110, l1 = 10/255 = 0.0392 (alpha equal).
  const shot = (v: number) => ({ metadata: { width: 1, height: 1 }, data: new Uint8Array([v, v, v, 255]) });
  let r = await nectarLossComparator(shot(100), shot(110), { createDiff: false, config: file });
  assert.equal(r.pass, true, r.message ?? '');
  r = await nectarLossComparator(shot(100), shot(110), { createDiff: false, config: file, max: 'l1=0.01' });
  assert.equal(r.pass, false);
  assert.match(r.message ?? '', /^l1 0\.0392\d* > 0\.01$/);
  // Without a config or a gate, any difference fails (the matchers' default).
  r = await nectarLossComparator(shot(100), shot(110), { createDiff: false, config: false, loss: 'l1' });
  assert.equal(r.pass, false);
});
