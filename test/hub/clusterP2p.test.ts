/**
 * Peer-to-peer payments across the processes of one hub on PostgreSQL (ADR 0231, 0240):
 * the payee is connected to process A, the payer pays through process B; nothing the two
 * must agree on is in one process's memory: B finds the payee's registration in the store,
 * and A learns of B's payments from the store's inbox. The payee then moves to process C
 * and gets nothing twice; when the payer closes on B, C learns of the clearing notice B
 * stored (ADR 0243).
 */
import { createWallet, type IncomingPayment, memoryStore, type Wallet } from '@trickle/client';
import type { PaymentsCleared } from '@trickle/protocol';
import type { HubProcess } from '@trickle/testing/harness';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from './clusterProcesses.js';
import { networkId, testKey, until, usd } from './fixtures.js';

describe('peer-to-peer payments in a hub cluster', () => {
  let cluster: Cluster | undefined;
  const wallets: Wallet[] = [];
  afterEach(async () => {
    for (const wallet of wallets.splice(0)) await wallet.stop().catch(() => undefined);
    await cluster?.stop();
    cluster = undefined;
  });

  it('payee on process A, payer on process B: every payment arrives once, in order; on process C nothing twice', async () => {
    cluster = await startCluster(3, ['p2p cluster payer']);
    const [a, b, c] = cluster.processes as [HubProcess, HubProcess, HubProcess];
    const payeeKey = testKey('p2p cluster payee');
    const store = memoryStore(); // outlives the first wallet: the second resumes from its cursor
    const seen: IncomingPayment[] = [];
    const cleared: PaymentsCleared[] = [];
    const startPayee = async (on: HubProcess) => {
      const wallet = await createWallet({ key: payeeKey, hub: { url: on.url, networkId }, store, receive: true });
      wallet.on('payment', (p) => seen.push(p));
      wallet.on('cleared', (c) => cleared.push(c));
      wallets.push(wallet);
      await until('the payee connected', () => wallet.connected);
      return wallet;
    };
    let payee = await startPayee(a);
    const payer = await createWallet({
      key: testKey('p2p cluster payer'),
      hub: { url: b.url, networkId },
      store: memoryStore(),
    });
    wallets.push(payer);
    await payer.openChannel({ deposit: 500_000n, asset: usd });
    // B learns of the registration A stored from the store (retry while A's write lands).
    for (let attempt = 0; ; attempt++) {
      try {
        await payer.payPeer(payee.payeeId, 1n, { memo: 'first' });
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== 'UNKNOWN_PAYEE' || attempt > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const amounts = Array.from({ length: 40 }, (_, i) => BigInt(2 + i));
    for (let i = 0; i < amounts.length; i += 10) {
      await Promise.all(
        amounts.slice(i, i + 10).map((amount) => payer.payPeer(payee.payeeId, amount, { memo: `${amount}` })),
      );
    }
    await until('every payment on A', () => seen.length === 41);
    expect(seen.map((p) => p.inboxSeq)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));

    // The payee moves to process C: what it holds is not sent again; new payments are.
    await payee.stop();
    payee = await startPayee(c);
    await payer.payPeer(payee.payeeId, 1_000n, { memo: 'after the move' });
    await until('the payment after the move', () => seen.length === 42);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // three polls: nothing more may come
    expect(seen.map((p) => p.inboxSeq)).toEqual(Array.from({ length: 42 }, (_, i) => i + 1));
    expect(seen.at(-1)).toMatchObject({ amount: 1_000n, memo: 'after the move' });
    const total = seen.reduce((sum, p) => sum + p.amount, 0n);
    expect(total).toBe(1n + amounts.reduce((s, x) => s + x, 0n) + 1_000n);

    // The payer closes on B; the payee on C learns from the store that everything cleared (ADR 0243).
    await payer.close();
    await until('the clearing notice on C', () => cleared.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // three polls: nothing more may come
    expect(cleared).toHaveLength(1);
    expect(cleared[0]).toMatchObject({ inboxSeq: 43, afterVoucherSeq: 0, payments: 42, amount: total });
    expect(payee.incoming().every((p) => p.clearedAtMs === cleared[0]?.clearedAtMs)).toBe(true);
  }, 120_000);
});
