/**
 * The hub as a child process, killed with SIGKILL in the middle of a stream of payments
 * and restarted on the same data folder: the wallet resumes, no acknowledged payment is
 * lost, none is charged twice, and the hub's state equals the wallet's.
 */

import { createWallet, type Wallet } from '@trickle/client';
import { fileStore } from '@trickle/client/node';
import {
  checkReceiptMac,
  equalBytes,
  fromHex,
  type HubId,
  type PublicKey,
  publicKeyOf,
  type Receipt,
  toHex,
} from '@trickle/protocol';
import { type HubProcess, rawClient, spawnHub } from '@trickle/testing/harness';
import { afterAll, describe, expect, it } from 'vitest';
import { networkId, tempDir, testKey, testMerchant } from './fixtures.js';

describe('hub crash mid-stream (SIGKILL) and restart', () => {
  const dir = tempDir();
  let hub: HubProcess | undefined;
  let wallet: Wallet | undefined;
  afterAll(async () => {
    await wallet?.stop();
    hub?.child.kill('SIGKILL');
    dir.remove();
  });

  it('resumes with no acknowledged payment lost and none charged twice', async () => {
    const payerKey = testKey('crash payer');
    const merchantKey = publicKeyOf(testKey('merchant crash'));
    const config = {
      dataDir: `${dir.path}/hub`,
      networkId,
      port: 0,
      merchants: [toHex(merchantKey)],
      fund: [{ clientKey: toHex(publicKeyOf(payerKey)), amount: '1000000000' }],
    };
    hub = await spawnHub(config);
    const hubInfo = { publicKey: fromHex(hub.publicKey, 33) as PublicKey, hubId: fromHex(hub.hubId, 32) as HubId };
    const merchant = testMerchant('crash', hubInfo);
    wallet = await createWallet({
      key: payerKey,
      hub: { url: hub.url, networkId },
      store: fileStore({ path: `${dir.path}/wallet.jsonl` }),
      reconnectDelayMsMin: 50,
      reconnectDelayMsMax: 500,
    });
    const disconnects: number[] = [];
    const reconnects: number[] = [];
    wallet.on('disconnected', ({ code }) => disconnects.push(code));
    wallet.on('reconnected', ({ attempts }) => reconnects.push(attempts));
    await wallet.openChannel({ deposit: 100_000_000n });

    const total = 1_200;
    const workers = 12;
    const receipts: Receipt[] = [];
    const acknowledgedBeforeKill: Receipt[] = [];
    let killed = false;
    let next = 0;
    const failures: unknown[] = [];
    const stream = Promise.all(
      Array.from({ length: workers }, async () => {
        while (next < total) {
          const amount = BigInt(1 + (next % 13));
          next++;
          try {
            receipts.push(await wallet!.pay(merchant.request(amount)));
          } catch (error) {
            failures.push(error);
          }
        }
      }),
    );
    // Kill the hub once a few hundred payments are acknowledged, while the rest are in flight.
    while (receipts.length < 300) await new Promise((r) => setTimeout(r, 5));
    const port = hub.port;
    hub.child.kill('SIGKILL');
    killed = true;
    acknowledgedBeforeKill.push(...receipts);
    expect((await hub.exited).signal).toBe('SIGKILL');
    hub = await spawnHub({ ...config, port });
    await stream;
    expect(killed).toBe(true);
    expect(failures).toEqual([]);
    expect(disconnects.length).toBeGreaterThan(0);
    expect(reconnects.length).toBeGreaterThan(0);

    // Every payment has exactly one receipt, each verifies for the merchant.
    expect(receipts).toHaveLength(total);
    expect(new Set(receipts.map((r) => toHex(r.invoiceId))).size).toBe(total);
    for (const receipt of receipts) expect(checkReceiptMac(merchant.macKey, receipt)).toBe(true);
    const paid = receipts.reduce((sum, r) => sum + r.amount, 0n);

    // The hub's state equals the wallet's, and its log holds every payment exactly once.
    const balance = wallet.balance()!;
    expect(balance.spent).toBe(paid);
    expect(balance.acknowledged).toBe(paid);
    const auditor = await rawClient(hub.url, payerKey);
    auditor.send({ type: 'sync', id: 1, channelId: balance.channelId });
    const state = await auditor.next();
    if (state.type !== 'state') throw new Error('sync failed');
    expect(state.state.cumulative).toBe(paid);
    const logged = new Map<string, bigint>();
    for (let fromSeq = 1, more = true; more; ) {
      auditor.send({ type: 'log', id: 2, channelId: balance.channelId, fromSeq, limit: 256 });
      const page = await auditor.next();
      if (page.type !== 'logPage') throw new Error('log failed');
      for (const v of page.vouchers) {
        for (const e of v.entries) {
          expect(logged.has(toHex(e.invoiceId))).toBe(false);
          logged.set(toHex(e.invoiceId), e.amount);
        }
        fromSeq = v.seq + 1;
      }
      more = page.more;
    }
    auditor.close();
    expect(logged.size).toBe(total);
    for (const receipt of acknowledgedBeforeKill) expect(logged.get(toHex(receipt.invoiceId))).toBe(receipt.amount);
    expect([...logged.values()].reduce((a, b) => a + b, 0n)).toBe(paid);

    // The wallet's own record survives a restart of the wallet too and agrees.
    await wallet.stop();
    wallet = await createWallet({
      key: payerKey,
      hub: { url: hub.url, networkId },
      store: fileStore({ path: `${dir.path}/wallet.jsonl` }),
    });
    const reloaded = wallet.balance()!;
    expect(equalBytes(reloaded.channelId, balance.channelId)).toBe(true);
    expect(reloaded.spent).toBe(paid);

    // Settled on the hub's default SQLite ledger, which survived the SIGKILL too.
    const closed = await wallet.close();
    expect(closed.refund).toBe(100_000_000n - paid);
    hub.child.kill('SIGTERM');
    expect((await hub.exited).code).toBe(0);
  }, 60_000);
});
