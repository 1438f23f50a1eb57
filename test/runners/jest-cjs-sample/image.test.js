// The CommonJS Jest sample: plain `npx jest`, no NODE_OPTIONS, no transform; `current.png` against its
// baseline in __image_snapshots__ (test/runners/pack.test.ts swaps the image between runs).
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { toMatchLossSnapshot } = require('nectar-loss/jest');

expect.extend({ toMatchLossSnapshot });

test('facade matches its baseline', async () => {
  const png = readFileSync(path.join(__dirname, 'current.png'));
  await expect(png).toMatchLossSnapshot({ loss: ['sobel', 'l1'], max: 0.01 });
});
