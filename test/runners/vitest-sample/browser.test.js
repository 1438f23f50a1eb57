// The Vitest sample (browser mode): toMatchScreenshot with comparatorName 'nectar-loss' (vitest.config.js).
import { expect, test } from 'vitest';
import { page } from 'vitest/browser';
import { color } from './content.js';

test('box', async () => {
  document.body.innerHTML = `<div data-testid="box" style="width:160px;height:90px;padding:8px;
    background:${color};color:#fff;font:20px sans-serif">nectar</div>`;
  await expect.element(page.getByTestId('box')).toMatchScreenshot('box');
});
