/**
 * The hub's dashboard in headless Chromium: a payer pays a merchant (and is refused once,
 * paying a merchant the hub does not know), and the page, given the admin token in its
 * fragment, shows the open channel, payments, escrow and liability, the merchant's
 * earnings after a claim, and the reject. A screenshot is saved to
 * test-results/dashboard.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type AdminServer, createAdminServer, hubMetrics, hubTraffic } from '@trickle/cli';
import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { createHub, type Hub } from '@trickle/hub';
import { publicKeyOf } from '@trickle/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from '../hub/fixtures.js';
import { launchChromium, type TestBrowser } from '../support/chromium.js';

const screenshotDir = join(import.meta.dirname, '..', '..', 'test-results');
const silent = { error() {}, warn() {}, info() {} };

describe('the dashboard', () => {
  const dir = tempDir('trickle-dashboard-');
  let hub: Hub;
  let admin: AdminServer;
  let wallet: Wallet;
  let browser: TestBrowser;
  const token = 'dashboard-test-token-0123456789';

  beforeAll(async () => {
    const traffic = hubTraffic();
    hub = await createHub({ dataDir: join(dir.path, 'hub'), networkId, observer: traffic.observer, logger: silent });
    const metrics = hubMetrics(hub);
    traffic.register(metrics);
    admin = await createAdminServer({ hub, token, host: '127.0.0.1', port: 0, metrics, logger: silent, traffic });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await wallet?.stop();
    await browser?.close();
    await admin?.close();
    await hub?.close();
    dir.remove();
  });

  it('shows channels, payments, money, earnings and rejects', async () => {
    const payerKey = testKey('dashboard payer');
    await fund(hub, publicKeyOf(payerKey), 5_000_000n);
    const shop = testMerchant('dashboard shop', hub);
    await hub.registerMerchant({ publicKey: shop.publicKey, name: 'Dashboard Daily' });
    wallet = await createWallet({ key: payerKey, hub: { url: hub.url, networkId }, store: memoryStore() });
    const opened = await wallet.openChannel({ deposit: 2_000_000n });
    for (let i = 0; i < 5; i++) await wallet.pay(shop.request(10_000n));
    const stranger = testMerchant('dashboard stranger', hub);
    await expect(wallet.pay(stranger.request(1_000n))).rejects.toThrow();
    await hub.settlement.claimNow(opened.channelId);
    for (let i = 0; i < 3; i++) await wallet.pay(shop.request(5_000n));

    const page = await browser.context.newPage();
    // The page without a token asks for one.
    await page.goto(`${admin.url}/dashboard`);
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.goto(`${admin.url}/dashboard#token=${token}`);
    await page.locator('#board').waitFor({ state: 'visible' });
    await expect.poll(() => page.locator('#open').textContent()).toBe('1');
    expect(await page.locator('#payments').textContent()).toBe('8');
    const money = await page.locator('#money').textContent();
    expect(money).toContain('2 USD'); // escrow: the deposit
    expect(money).toContain('0.015 USD'); // liability: paid after the claim
    const merchants = await page.locator('#merchants').textContent();
    expect(merchants).toContain('Dashboard Daily');
    expect(merchants).toContain('0.05 USD'); // earned: the claimed part
    expect(await page.locator('#rejects').textContent()).toMatch(/[A-Z_]{4,}/);
    // The chart draws once two polls have been made.
    await expect.poll(() => page.locator('#chart polyline').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: join(screenshotDir, 'dashboard.png'), fullPage: true });
    // A wrong token is told, and the form comes back.
    await page.evaluate(() => sessionStorage.setItem('trickleToken', 'wrong'));
    await page.reload();
    await expect.poll(() => page.locator('#status').textContent()).toBe('wrong token');
    await page.close();
  }, 120_000);
});
