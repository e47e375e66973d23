/**
 * The reader page in a real browser: headless Chromium opens the content site, opens a
 * demo channel, pays for an article; the article appears and the balance shown drops by
 * exactly its price. A screenshot is saved to test-results/content-site.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAmount } from '@trickle/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoSite, screenshotDir, startDemoSite, usd } from './demoSite.js';

describe('the content site in a real browser', () => {
  let demo: DemoSite | undefined;
  beforeAll(async () => {
    demo = await startDemoSite(2);
  }, 120_000);
  afterAll(async () => {
    await demo?.close();
  });

  it('pays for an article: the article appears and the balance drops by exactly its price', async () => {
    const { site, browser } = demo as DemoSite;
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(site.url);
    await page.waitForSelector('body[data-ready="true"]');

    await page.click('#start');
    await page.waitForFunction(() => document.querySelector('#balance')?.getAttribute('data-units') === '100000');

    const card = page.locator('.article[data-id="tides"]');
    await card.locator('button').click();
    await card.locator('.body').waitFor();
    expect(await card.locator('.body').textContent()).toContain('two bulges');
    await page.waitForFunction(() => document.querySelector('#balance')?.getAttribute('data-units') !== '100000');
    const units = BigInt((await page.locator('#balance').getAttribute('data-units')) ?? '');
    expect(units).toBe(100_000n - parseAmount('0.002', usd));
    expect(await page.locator('#balance').textContent()).toBe('$0.098');
    expect(await page.locator('#deposit').textContent()).toBe('left of $0.10');
    await page.locator('#history tbody tr').first().waitFor();
    expect(await page.locator('#history tbody tr').count()).toBe(1);
    expect(await page.locator('#history tbody tr').first().textContent()).toContain(
      'Why the tide comes in twice a day',
    );

    // Reading again is free: the entitlement covers it.
    await card.locator('button').click();
    await page.waitForFunction(() =>
      document.querySelector('.article[data-id="tides"] .paid-note')?.textContent?.includes('Already yours'),
    );
    expect(BigInt((await page.locator('#balance').getAttribute('data-units')) ?? '')).toBe(units);

    mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: join(screenshotDir, 'content-site.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);
});
