/**
 * A payee is told when its payments cleared (ADR 0243) on the settlement paths that finalize
 * on the ledger without a cooperative close, through the real hub and ledger on SQLite and
 * PostgreSQL with a manual clock: the payer forces a close with payments the hub never
 * claimed (the finalization at the end of the window settles them), and a payer's channel
 * expires (the hub claims it, then finalizes it). The payee gets one notice per settlement,
 * at the ledger's time, after the payments it covers; money is conserved.
 */

import { createWallet, type IncomingPayment, memoryStore, type Wallet } from '@trickle/client';
import { challengeWindowMsDefault } from '@trickle/ledger';
import { type PaymentsCleared, payeeIdFromKey, publicKeyOf } from '@trickle/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { networkId, testKey, until, usd } from '../hub/fixtures.js';
import {
  type Backend,
  expectSound,
  funded,
  manualClock,
  type SettlementHub,
  settlementHub,
} from '../settlement/settlementHub.js';

describe.each<Backend>(['sqlite', 'postgres'])('P2P clearing notices on %s', (backend) => {
  let s: SettlementHub | undefined;
  const wallets: Wallet[] = [];
  afterEach(async () => {
    for (const wallet of wallets.splice(0)) await wallet.stop().catch(() => undefined);
    await s?.cleanup();
    s = undefined;
  });

  it('a forced close and an expiry settle payments to B: B is told once each, at the ledger’s time', async () => {
    const clock = manualClock();
    // No background runs: the test runs the scheduler when the clock has moved.
    s = await settlementHub(backend, { clock, feePpm: 0, settlement: { intervalMs: 24 * 3_600_000 } });
    const hub = s.hub;
    const labelA = `clearing payer ${backend}`;
    await funded(hub.ledger, labelA, 1_000_000n);
    const wallet = async (label: string, receive: boolean) => {
      const created = await createWallet({
        key: testKey(label),
        hub: { url: hub.url, networkId },
        store: memoryStore(),
        clock,
        reconnectDelayMsMin: 20,
        receive,
      });
      wallets.push(created);
      return created;
    };
    const a = await wallet(labelA, false);
    const b = await wallet(`clearing payee ${backend}`, true);
    const payments: IncomingPayment[] = [];
    const clearings: PaymentsCleared[] = [];
    b.on('payment', (p) => payments.push(p));
    b.on('cleared', (c) => clearings.push(c));
    await until('B registered', () => b.connected);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the registration is in the store

    // A forced close at A's latest state, none of it claimed: the finalization settles it.
    await a.openChannel({ deposit: 50_000n, asset: usd });
    for (let i = 1; i <= 5; i++) await a.payPeer(b.payeeId, BigInt(100 * i), { memo: `forced #${i}` });
    await until('B has the 5 payments', () => payments.length === 5);
    const closed = new Promise((resolve) => a.on('closed', resolve));
    await a.forceClose();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(clearings).toEqual([]); // recorded, not settled: nothing cleared yet
    clock.advance(challengeWindowMsDefault);
    const finalizedAt = clock.now;
    await hub.settlement.runOnce();
    await closed;
    await until('B told of the forced close', () => clearings.length === 1);
    expect(clearings[0]).toMatchObject({
      inboxSeq: 6,
      afterVoucherSeq: 0,
      throughVoucherSeq: 5,
      payments: 5,
      amount: 1_500n,
      clearedAtMs: finalizedAt,
    });

    // An expiring channel: the hub claims what is left, then finalizes it at once.
    await a.stop();
    const again = await wallet(labelA, false);
    await again.openChannel({ deposit: 20_000n, asset: usd, lifetimeMs: 120_000 });
    for (let i = 1; i <= 3; i++) await again.payPeer(b.payeeId, 7n * BigInt(i), { memo: `expiring #${i}` });
    await until('B has 8 payments', () => payments.length === 8);
    clock.advance(120_000);
    const expiredAt = clock.now;
    const run = await hub.settlement.runOnce();
    expect(run.finalized.expired).toBe(1);
    await until('B told of the expiry', () => clearings.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 100)); // nothing more may arrive
    expect(clearings).toHaveLength(2);
    expect(clearings[1]).toMatchObject({ inboxSeq: 10, payments: 3, amount: 42n, clearedAtMs: expiredAt });
    expect(payments.map((p) => p.inboxSeq)).toEqual([1, 2, 3, 4, 5, 7, 8, 9]);

    const incoming = b.incoming();
    expect(incoming.map((p) => p.clearedAtMs)).toEqual([...Array(5).fill(finalizedAt), ...Array(3).fill(expiredAt)]);
    expect(incoming.every((p) => p.clearingMs === (p.clearedAtMs as number) - p.paidAtMs)).toBe(true);
    expect(
      (await hub.ledger.payeeAccount(payeeIdFromKey(publicKeyOf(testKey(`clearing payee ${backend}`))), usd))?.balance,
    ).toBe(1_542n);
    await expectSound(hub.ledger);
  }, 60_000);
});
