// Compiled with tsc --noEmit by the packed-package test: the types of nectar-loss/playwright resolve.
import { expect as base, test } from '@playwright/test';
import { toMatchLossSnapshot, type PlaywrightLossSnapshotOptions } from 'nectar-loss/playwright';

const expect = base.extend({ toMatchLossSnapshot });
const options: PlaywrightLossSnapshotOptions = { loss: 'sobel', max: { 'sobel.p99': 0.3 }, screenshot: {} };
test('typed', async ({ page }) => {
  await expect(page).toMatchLossSnapshot('page.png', options);
  await expect(page.locator('body')).toMatchLossSnapshot({ loss: 'l1', max: 0.01 });
});
