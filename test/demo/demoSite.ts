/**
 * The content site as the browser tests run it: a hub on its SQLite defaults in a fresh
 * folder, a merchant registered at it, the site with a faucet that funds any reader with
 * $1, and headless Chromium. `close()` stops them all and removes the folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ContentSite, startContentSite } from '@trickle/example-content-site/site';
import { createHub, type Hub } from '@trickle/hub';
import { createMerchant } from '@trickle/merchant';
import { asset, createSecretKey, toHex } from '@trickle/protocol';
import { launchChromium, type TestBrowser } from '../support/chromium.js';

export const usd = asset('USD', 6);
export const screenshotDir = join(import.meta.dirname, '..', '..', 'test-results');

/** The running site, its hub and the browser. */
export interface DemoSite {
  readonly hub: Hub;
  readonly site: ContentSite;
  readonly browser: TestBrowser;
  close(): Promise<void>;
}

/** Starts the hub, the site and Chromium on network `networkId`. */
export async function startDemoSite(networkId: number): Promise<DemoSite> {
  const dataDir = mkdtempSync(join(tmpdir(), 'trickle-site-'));
  const hub = await createHub({ dataDir, networkId, assets: [usd] });
  const merchant = createMerchant({
    secretKey: createSecretKey((n) => crypto.getRandomValues(new Uint8Array(n))),
    hub: { publicKey: hub.publicKey, url: hub.url, networkId },
    asset: usd,
    entitlementCookie: { secure: false },
  });
  await hub.registerMerchant({ publicKey: merchant.publicKey });
  const site = await startContentSite({
    merchant,
    port: 0,
    faucet: async (clientKey) => {
      await hub.ledger.fundPayer({
        clientKey: clientKey as never,
        asset: usd,
        amount: 1_000_000n,
        reference: `t-${toHex(clientKey)}`,
      });
      return 1_000_000n;
    },
  });
  const browser = await launchChromium();
  return {
    hub,
    site,
    browser,
    async close() {
      await browser.close();
      await site.close();
      await hub.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
