// Compiled with tsc --noEmit by the packed-package test: the types of nectar-loss/vitest resolve.
import { expect, test } from 'vitest';
import {
  nectarLossComparator,
  toMatchLossSnapshot,
  type NectarLossComparatorOptions,
} from 'nectar-loss/vitest';

expect.extend({ toMatchLossSnapshot });
const comparatorOptions: NectarLossComparatorOptions = { loss: 'sobel', max: 0.05 };
test('typed', async () => {
  await expect(new Uint8Array(0)).toMatchLossSnapshot({ loss: 'ssim', min: 0.98 });
  const img = { metadata: { width: 1, height: 1 }, data: new Uint8Array(4) };
  const r = await nectarLossComparator(img, img, { createDiff: true, ...comparatorOptions });
  const pass: boolean = r.pass;
  void pass;
});
