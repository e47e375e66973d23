/**
 * Floods in CI: idle sockets, connection churn and invalid signatures against a live hub;
 * the hub stays up and an honest wallet's payments still go through. (Timings are a
 * benchmark's business: bench/flood/flood.ts reports p99 under attack against calm.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { wsTransport } from '@trickle/client/node';
import { createHub, type Hub } from '@trickle/hub';
import { createMerchant, type Merchant } from '@trickle/merchant';
import { createSecretKey, publicKeyOf } from '@trickle/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { badSignatureFlood, churnConnections, openIdleSockets } from '../src/index.js';

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const localAddresses = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];
let dir: string;
let hub: Hub;
let wallet: Wallet;
let merchant: Merchant;
let paid = 0;

async function pay(times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    await wallet.pay(merchant.createOffer({ resource: `GET /flood/${paid}`, amount: 5n }).request);
    paid++;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trickle-flood-'));
  hub = await createHub({ dataDir: dir, networkId: 3 });
  const merchantKey = createSecretKey(random);
  await hub.registerMerchant({ publicKey: publicKeyOf(merchantKey), name: 'shop' });
  merchant = createMerchant({
    secretKey: merchantKey,
    hub: { publicKey: hub.publicKey, url: hub.url, networkId: 3 },
    asset: { code: 'USD', scale: 6 },
  });
  const payer = createSecretKey(random);
  await hub.ledger.fundPayer({
    clientKey: publicKeyOf(payer),
    asset: { code: 'USD', scale: 6 },
    amount: 1_000_000n,
    reference: 'flood-test',
  });
  wallet = await createWallet({
    key: payer,
    hub: { url: hub.url, networkId: 3 },
    store: memoryStore(),
    transport: wsTransport(),
  });
  await wallet.openChannel({ deposit: 500_000n });
});

afterAll(async () => {
  await wallet?.stop();
  await hub?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('stays up and serves an honest wallet through idle sockets, churn and invalid signatures', {
  timeout: 120_000,
}, async () => {
  const idle = await openIdleSockets({ url: hub.url, localAddresses }, 200, { authenticate: true });
  expect(idle.report.connections).toBe(200);
  expect(hub.connectionCount).toBe(201);
  await pay(10);

  const flooding = new AbortController();
  const floods = Promise.all([
    churnConnections({ url: hub.url, localAddresses }, 4, flooding.signal),
    badSignatureFlood({ url: hub.url, localAddresses }, 4, flooding.signal),
  ]);
  await pay(30);
  flooding.abort();
  const [churn, bad] = await floods;
  expect(churn.connections).toBeGreaterThan(10);
  expect(bad.frames).toBeGreaterThan(10);
  // Every invalid auth was answered (AUTH_FAILED) and its connection closed.
  expect(bad.answers).toBe(bad.frames);

  idle.close();
  await expect.poll(() => hub.connectionCount, { timeout: 10_000 }).toBe(1);
  await pay(10);
  expect(paid).toBe(50);
  expect(hub.channelCount).toBe(1);
});
