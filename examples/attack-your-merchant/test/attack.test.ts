/** The example in CI: the attacks against the example's own server and hub find nothing. */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { createHub, type Hub } from '@trickle/hub';
import { createMerchant } from '@trickle/merchant';
import { createSecretKey, publicKeyOf } from '@trickle/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { attackDeployment } from '../src/attack.js';
import { startArticleServer } from '../src/server.js';

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
let dir: string;
let hub: Hub;
let server: Server;
let baseUrl: string;
let wallet: Wallet;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trickle-attack-'));
  hub = await createHub({ dataDir: dir, networkId: 1 });
  const merchantKey = createSecretKey(random);
  await hub.registerMerchant({ publicKey: publicKeyOf(merchantKey), name: 'articles' });
  const merchant = createMerchant({
    secretKey: merchantKey,
    hub: { publicKey: hub.publicKey, url: hub.url, networkId: 1 },
    asset: { code: 'USD', scale: 6 },
  });
  ({ server, baseUrl } = await startArticleServer(merchant));
  const payer = createSecretKey(random);
  await hub.ledger.fundPayer({
    clientKey: publicKeyOf(payer),
    asset: { code: 'USD', scale: 6 },
    amount: 1_000_000n,
    reference: 'attack-test',
  });
  wallet = await createWallet({ key: payer, hub: { url: hub.url, networkId: 1 }, store: memoryStore() });
  await wallet.openChannel({ deposit: 500_000n });
});

afterAll(async () => {
  await wallet?.stop();
  server?.close();
  await hub?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('the hub and the merchant refuse every hostile input with a typed answer and keep serving', {
  timeout: 120_000,
}, async () => {
  const report = await attackDeployment(
    { hubUrl: hub.url, articleUrl: (id) => `${baseUrl}/articles/${id}`, wallet },
    { frames: 500, headers: 600 },
  );
  expect(report.hub.faults).toEqual([]);
  expect(report.hub.invalidRejected).toBe(report.hub.invalid);
  expect(report.merchant.faults).toEqual([]);
  expect(report.merchant.refused).toBe(report.merchant.tried);
  expect(report.merchant.validServed).toBe(true);
  expect(report.honestReads).toBeGreaterThanOrEqual(5);
});
