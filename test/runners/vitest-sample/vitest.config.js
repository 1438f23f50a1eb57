// Two projects: `node` runs the matcher; `browser` runs toMatchScreenshot in Debian's chromium with the
// nectar-loss comparator.
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { nectarLossComparator } from 'nectar-loss/vitest';

export default defineConfig({
  test: {
    reporters: ['default', 'nectar-loss/reporter'],
    projects: [
      // Generous time limits (projects do not inherit the root's): a loaded CI machine; the first
      // assertion loads TensorFlow.js.
      { test: { name: 'node', include: ['node.test.js'], testTimeout: 120_000 } },
      {
        test: {
          name: 'browser',
          testTimeout: 120_000,
          include: ['browser.test.js'],
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
            }),
            instances: [{ browser: 'chromium' }],
            expect: {
              toMatchScreenshot: {
                timeout: 60_000,
                comparatorName: 'nectar-loss',
                comparatorOptions: { loss: ['l1', 'sobel'], max: 0.01 },
                comparators: { 'nectar-loss': nectarLossComparator },
              },
            },
          },
        },
      },
    ],
  },
});
