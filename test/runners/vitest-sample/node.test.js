// The Vitest sample (node): `current.png` against its baseline in __image_snapshots__.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { toMatchLossSnapshot } from 'nectar-loss/vitest';

expect.extend({ toMatchLossSnapshot });

test('facade matches its baseline', async () => {
  const png = readFileSync(new URL('./current.png', import.meta.url));
  await expect(png).toMatchLossSnapshot({ loss: ['sobel', 'l1'], max: 0.01 });
});
