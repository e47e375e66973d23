/**
 * Hostile frames in CI: grammar-aware and byte-level mutations of every client message type
 * against the codec, and against a live hub while an honest wallet keeps paying through it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { wsTransport } from '@trickle/client/node';
import { createHub, type Hub } from '@trickle/hub';
import { createMerchant, type Merchant } from '@trickle/merchant';
import { createSecretKey, publicKeyOf } from '@trickle/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attackHub, fuzzCodec, hostileMutations } from '../src/index.js';

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

describe('hostile frames against the codec', () => {
  it('refuses every invalid frame with its code, never throws anything else, accepts only canonical frames', () => {
    const report = fuzzCodec({ seed: 1, count: 20_000 });
    expect(report.faults).toEqual([]);
    expect(report.invalidRefused).toBe(report.invalid);
    expect(report.invalid).toBeGreaterThan(8_000);
    // Every mutation was tried, and some byte-level mutations are still valid frames.
    for (const name of hostileMutations.grammar) expect(report.byMutation[`grammar:${name}`]).toBeGreaterThan(0);
    for (const name of hostileMutations.bytes) expect(report.byMutation[`bytes:${name}`]).toBeGreaterThan(0);
    expect(report.accepted).toBeGreaterThan(0);
  });
});

describe('hostile frames against a live hub', () => {
  let dir: string;
  let hub: Hub;
  let wallet: Wallet;
  let merchant: Merchant;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trickle-hostile-'));
    hub = await createHub({ dataDir: dir, networkId: 9 });
    const merchantKey = createSecretKey(random);
    await hub.registerMerchant({ publicKey: publicKeyOf(merchantKey), name: 'shop' });
    merchant = createMerchant({
      secretKey: merchantKey,
      hub: { publicKey: hub.publicKey, url: hub.url, networkId: 9 },
      asset: { code: 'USD', scale: 6 },
    });
    const payer = createSecretKey(random);
    await hub.ledger.fundPayer({
      clientKey: publicKeyOf(payer),
      asset: { code: 'USD', scale: 6 },
      amount: 1_000_000n,
      reference: 'hostile-test',
    });
    wallet = await createWallet({
      key: payer,
      hub: { url: hub.url, networkId: 9 },
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

  it('answers every invalid frame with its typed reject and keeps serving an honest wallet', {
    timeout: 120_000,
  }, async () => {
    let paid = 0;
    const heapBefore = process.memoryUsage().heapUsed;
    const report = await attackHub({
      url: hub.url,
      seed: 7,
      count: 1_500,
      probeEvery: 100,
      probe: async () => {
        const offer = merchant.createOffer({ resource: `GET /probe/${paid}`, amount: 10n });
        await wallet.pay(offer.request);
        paid++;
      },
    });
    const heapAfter = process.memoryUsage().heapUsed;
    console.log(
      `hostile frames: ${report.tried} tried, ${report.invalidRejected}/${report.invalid} invalid rejected with their code, ${report.connections} connections, ${report.probes} honest payments, heap ${(heapBefore / 2 ** 20).toFixed(1)} -> ${(heapAfter / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(report.faults).toEqual([]);
    expect(report.invalidRejected).toBe(report.invalid);
    expect(paid).toBe(report.probes);
    expect(paid).toBeGreaterThanOrEqual(15);
    // Nothing of the attack stays: its connections are gone, no channel was made.
    await expect.poll(() => hub.connectionCount, { timeout: 10_000 }).toBe(1);
    expect(hub.channelCount).toBe(1);
  });
});
