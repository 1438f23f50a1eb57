// Compiled with tsc --noEmit by the packed-package test: the types of nectar-loss/jest resolve.
import { expect, test } from '@jest/globals';
import { compareImages, toMatchLossSnapshot, type LossSnapshotOptions } from 'nectar-loss/jest';

expect.extend({ toMatchLossSnapshot });
const options: LossSnapshotOptions = { loss: 'sobel', max: { 'sobel.p99': 0.3 }, shiftTolerance: 1 };
test('typed', async () => {
  await expect(Buffer.alloc(0)).toMatchLossSnapshot(options);
  const r = await compareImages('a.png', 'b.png', { loss: ['sobel', 'l1'] });
  const p99: number = r.stats.sobel!.p99;
  void p99;
});
