// The Playwright sample: a locator's screenshot against its baseline (the driver rewrites content.js).
import { expect as base, test } from '@playwright/test';
import { toMatchLossSnapshot } from 'nectar-loss/playwright';
import { color } from './content.js';

const expect = base.extend({ toMatchLossSnapshot });

test('box', async ({ page }) => {
  await page.setContent(`<div id="box" style="width:160px;height:90px;padding:8px;
    background:${color};color:#fff;font:20px sans-serif">nectar</div>`);
  await expect(page.locator('#box')).toMatchLossSnapshot('box.png', { loss: ['l1', 'sobel'], max: 0.01 });
});
