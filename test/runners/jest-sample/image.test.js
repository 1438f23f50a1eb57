// The Jest sample: `current.png` against its baseline in __image_snapshots__ (test/runners/runners.test.ts
// swaps the image between runs).
import { readFileSync } from 'node:fs';
import { expect, test } from '@jest/globals';
import { toMatchLossSnapshot } from 'nectar-loss/jest';

expect.extend({ toMatchLossSnapshot });

test('facade matches its baseline', async () => {
  const png = readFileSync(new URL('./current.png', import.meta.url));
  await expect(png).toMatchLossSnapshot({ loss: ['sobel', 'l1'], max: 0.01 });
});
