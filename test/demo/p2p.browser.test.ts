/**
 * Pay a friend in a real browser (issue 15, ADR 0241): headless Chromium opens the P2P page
 * of the content site in one tab, which asks for money and shows the request as a QR code
 * and a link; a second tab opens the link, checks the payee's signature, opens a demo
 * channel and pays; the first tab lists the payment with its memo. The hub's ledger holds
 * the payment for the payee once the payer's channel finalizes. A screenshot of both tabs
 * is saved to test-results/p2p-request.png and test-results/p2p-paid.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMoneyRequest } from '@trickle/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoSite, screenshotDir, startDemoSite, usd } from './demoSite.js';

describe('pay a friend in a real browser: a QR code in one tab, paid from another', () => {
  let demo: DemoSite | undefined;
  beforeAll(async () => {
    demo = await startDemoSite(5);
  }, 120_000);
  afterAll(async () => {
    await demo?.close();
  });

  it('tab 1 shows a QR code for $0.0042 "pizza for two"; tab 2 pays it; tab 1 lists it', async () => {
    const { site, browser } = demo as DemoSite;
    const errors: string[] = [];
    const asker = await browser.context.newPage();
    asker.on('pageerror', (error) => errors.push(error.message));
    await asker.setViewportSize({ width: 900, height: 900 });
    await asker.goto(`${site.url}/p2p`);
    await asker.waitForSelector('body[data-ready="true"]');
    await asker.click('#request');
    await asker.waitForSelector('body[data-requested="true"]');
    const link = (await asker.locator('#link').getAttribute('href')) ?? '';
    expect(link.startsWith(`${site.url}/p2p#request=`)).toBe(true);
    const request = decodeMoneyRequest(link.split('#request=')[1] ?? '');
    expect(request).toMatchObject({ amount: 4_200n, memo: 'pizza for two', asset: usd });
    // The QR code is drawn: a square canvas with dark and light modules.
    const drawn = await asker.evaluate(() => {
      const canvas = document.getElementById('qr') as HTMLCanvasElement;
      const pixels =
        canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray();
      let dark = 0;
      for (let i = 0; i < pixels.length; i += 4) if ((pixels[i] ?? 255) < 128) dark++;
      return { width: canvas.width, height: canvas.height, darkShare: dark / (pixels.length / 4) };
    });
    expect(drawn.width).toBe(drawn.height);
    expect(drawn.darkShare).toBeGreaterThan(0.2);
    expect(drawn.darkShare).toBeLessThan(0.8);

    const payer = await browser.context.newPage();
    payer.on('pageerror', (error) => errors.push(error.message));
    await payer.goto(link);
    await payer.waitForSelector('body[data-ready="true"]');
    expect(await payer.locator('#ask-text').textContent()).toBe('$0.0042 for “pizza for two”');
    await payer.click('#pay-button');
    await payer.waitForSelector('#paid[data-state="paid"]', { timeout: 30_000 });
    expect(await payer.locator('#paid').getAttribute('data-units')).toBe('4200');

    await asker.waitForSelector('#received li[data-units="4200"]', { timeout: 30_000 });
    expect(await asker.locator('#received li').first().textContent()).toContain('pizza for two');
    expect(await asker.locator('#received li').count()).toBe(1);
    mkdirSync(screenshotDir, { recursive: true });
    await asker.screenshot({ path: join(screenshotDir, 'p2p-request.png'), fullPage: true });
    await payer.screenshot({ path: join(screenshotDir, 'p2p-paid.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 120_000);
});
