// Compiled with tsc --noEmit in a CommonJS project by the packed-package test: the require() types resolve.
import { expect, test } from '@jest/globals';
import { compareImages, toMatchLossSnapshot, UserError, type LossSnapshotOptions } from 'nectar-loss/jest';
import nectarLoss = require('nectar-loss');

expect.extend({ toMatchLossSnapshot });
const options: LossSnapshotOptions = { loss: 'sobel', max: { 'sobel.p99': 0.3 }, resize: true };
test('typed', async () => {
  await expect(Buffer.alloc(0)).toMatchLossSnapshot(options);
  try {
    const r = await nectarLoss.compareImages('a.png', 'b.png', { loss: ['sobel', 'l1'] });
    const p99: number = r.stats.sobel!.p99;
    void [p99, compareImages];
  } catch (err) {
    if (err instanceof UserError && err.code === 'SIZE_MISMATCH') return;
    throw err;
  }
});
