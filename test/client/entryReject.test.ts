/**
 * One bad payment among several signed into one voucher: the hub names the entry in its
 * reject, the wallet fails that payment alone and signs the others again together.
 */

import { createWallet, memoryStore, type Wallet, type WalletStore } from '@trickle/client';
import { createHub, type Hub } from '@trickle/hub';
import { publicKeyOf, RejectError } from '@trickle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from '../hub/fixtures.js';

describe('a refused entry in a coalesced voucher', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  const wallets: Wallet[] = [];

  beforeEach(async () => {
    dir = tempDir();
    hub = await createHub({ dataDir: dir.path, networkId });
  });
  afterEach(async () => {
    for (const wallet of wallets.splice(0)) await wallet.stop();
    await hub.close();
    dir.remove();
  });

  async function wallet(label: string): Promise<Wallet> {
    const key = testKey(`entry ${label}`);
    await fund(hub, publicKeyOf(key), 1_000_000n);
    const w = await createWallet({ key, hub: { url: hub.url, networkId }, store: memoryStore() });
    await w.openChannel({ deposit: 100_000n });
    wallets.push(w);
    return w;
  }

  it('fails only the payment the hub names; the rest are paid in one new voucher', async () => {
    const merchant = testMerchant('entry', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    const first = await wallet('first');
    const second = await wallet('second');
    const taken = merchant.request(7n);
    await first.pay(taken); // the invoice is now paid, on another channel

    const others = [merchant.request(10n), merchant.request(20n), merchant.request(30n)];
    // Same tick: all four are coalesced into one voucher, with the taken invoice second.
    const results = await Promise.allSettled([
      second.pay(others[0]!),
      second.pay(taken),
      ...others.slice(1).map((r) => second.pay(r)),
    ]);

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const refused = (results[1] as PromiseRejectedResult).reason;
    expect(refused).toBeInstanceOf(RejectError);
    expect((refused as RejectError).code).toBe('INVOICE_ALREADY_PAID');
    expect(second.balance()?.spent).toBe(60n);
    // The three good payments were signed again together, not one voucher each.
    const seqs = new Set(second.history().map((h) => h.seq));
    expect(second.history()).toHaveLength(3);
    expect(seqs.size).toBe(1);
  });

  it('a wallet stopped while it handles the refusal fails the other payments STOPPED; none waits forever', async () => {
    const merchant = testMerchant('entry stop', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    const first = await wallet('stop first');
    const taken = merchant.request(7n);
    await first.pay(taken);

    // The store holds the write that drops the refused voucher until the wallet is stopping.
    const key = testKey('entry stop second');
    await fund(hub, publicKeyOf(key), 1_000_000n);
    const memory = memoryStore();
    let held: (() => void) | undefined;
    const reached = new Promise<void>((resolveReached) => {
      const store: WalletStore = {
        ...memory,
        write: async (change) => {
          if (held === undefined && (change.removePending?.length ?? 0) > 0) {
            const gate = new Promise<void>((release) => {
              held = release;
            });
            resolveReached();
            await gate;
          }
          return memory.write(change);
        },
      };
      void createWallet({ key, hub: { url: hub.url, networkId }, store }).then(async (second) => {
        wallets.push(second);
        await second.openChannel({ deposit: 100_000n });
        payments = Promise.allSettled([
          second.pay(merchant.request(10n)),
          second.pay(taken),
          second.pay(merchant.request(20n)),
        ]);
        stopping = async () => second.stop();
      });
    });
    let payments: Promise<PromiseSettledResult<unknown>[]> | undefined;
    let stopping: (() => Promise<void>) | undefined;

    await reached;
    const stopped = stopping!();
    held!();
    await stopped;
    const results = await payments!;
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as { code?: string }).code : 'paid'))).toEqual([
      'STOPPED',
      'INVOICE_ALREADY_PAID',
      'STOPPED',
    ]);
  });
});
