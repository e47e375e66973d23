/**
 * A real browser (Debian's Chromium, driven by playwright-core) loads the bundled wallet,
 * stores its state in IndexedDB, opens a channel and pays over the browser's own
 * WebSocket; the merchant checks the receipts.
 */
import { createServer, type Server } from 'node:http';
import { createHub, type Hub } from '@trickle/hub';
import { checkReceiptMac, decodeReceipt, encodePaymentRequest, publicKeyOf, toHex } from '@trickle/protocol';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from '../hub/fixtures.js';
import { launchChromium } from '../support/chromium.js';

describe('the wallet in a real browser', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let server: Server;
  let pageUrl: string;

  beforeAll(async () => {
    dir = tempDir();
    hub = await createHub({ dataDir: dir.path, networkId });
    await fund(hub, publicKeyOf(testKey('browser payer')), 10_000_000n);
    const bundle = await build({
      stdin: {
        contents:
          "export { createWallet, indexedDbStore } from '@trickle/client';\nexport { fromHex } from '@trickle/protocol';",
        resolveDir: import.meta.dirname,
        loader: 'ts',
      },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'trickle',
      write: false,
      logLevel: 'silent',
    });
    const script = bundle.outputFiles[0]?.text ?? '';
    server = createServer((request, response) => {
      if (request.url === '/wallet.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      } else {
        response
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><script src="/wallet.js"></script>');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    pageUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await hub?.close();
    dir?.remove();
  });

  it('opens a channel, pays, and gets receipts the merchant verifies', async () => {
    const merchant = testMerchant('browser shop', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    const tokens = [merchant.request(100n), merchant.request(250n), merchant.request(1n)].map(encodePaymentRequest);
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.goto(pageUrl);
      const result = await page.evaluate(
        async ({ url, networkId, secret, tokens }) => {
          const t = (
            globalThis as unknown as {
              trickle: typeof import('@trickle/client') & { fromHex: (h: string) => Uint8Array };
            }
          ).trickle;
          const wallet = await t.createWallet({
            key: t.fromHex(secret) as never,
            hub: { url, networkId },
            store: t.indexedDbStore({ name: 'browser-test' }),
          });
          await wallet.openChannel({ deposit: 1_000_000n });
          const receipts = await Promise.all(tokens.map((token) => wallet.pay(token)));
          const history = wallet.history().map((h) => h.receipt);
          const available = wallet.balance()?.available.toString();
          await wallet.stop();
          return {
            count: receipts.length,
            history,
            available,
            hasProcess: typeof (globalThis as { process?: unknown }).process,
          };
        },
        { url: hub.url, networkId, secret: toHex(testKey('browser payer')), tokens },
      );
      expect(result.count).toBe(3);
      expect(result.hasProcess).toBe('undefined');
      expect(result.available).toBe(String(1_000_000 - 351));
      expect(result.history).toHaveLength(3);
      for (const token of result.history) expect(checkReceiptMac(merchant.macKey, decodeReceipt(token))).toBe(true);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
