import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../../src/errors.js';
import { checkInceptionFile, loadInception } from '../../../src/io/weights/inception.js';
import { INCEPTION_CONVS } from '../../../src/losses/inception-layout.js';
import { fixture } from '../../helpers.js';

/**
 * pytorch-fid's whole state_dict layout as torch.save writes it (zip and legacy), with num_batches_tracked
 * as int64 like the real pt_inception file; every tensor one value expanded (fixtures/make_fid_fixtures.py's
 * LAYOUT_VALUES: conv 0.01, bn weight 1.5, bias 0.25, running_mean 0.5, running_var 4).
 */
for (const layout of ['zip', 'legacy'])
  test(`the FID Inception layout (${layout} .pth) loads every BasicConv2d, int64 counters and all`, async () => {
    const file = fixture(`fixtures/weights/inception-layout-${layout}.pth`);
    await checkInceptionFile(file);
    const convs = await loadInception(file, 2048);
    assert.equal(convs.length, INCEPTION_CONVS.length);
    assert.equal(convs.length, 94);
    for (const [i, c] of convs.entries()) {
      const spec = INCEPTION_CONVS[i];
      assert.equal(c.name, spec.name);
      assert.equal(c.weight.length, spec.cout * spec.cin * spec.kh * spec.kw);
      assert.ok(c.weight.every((v) => v === Math.fround(0.01)));
      assert.ok(c.gamma.every((v) => v === 1.5) && c.beta.every((v) => v === 0.25));
      assert.ok(c.mean.every((v) => v === 0.5) && c.variance.every((v) => v === 4));
    }
    assert.equal((await loadInception(file, 64)).length, 3, '--dims 64 needs the stem only');
  });

test('a file that is not the FID Inception network is refused, naming what is wrong', async () => {
  await assert.rejects(
    checkInceptionFile(fixture('fixtures/weights/vgg19-zip.pth')),
    (e: unknown) => e instanceof UserError && /not the FID Inception network: no fc.weight/.test(e.message),
  );
});
