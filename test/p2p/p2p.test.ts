/**
 * Peer-to-peer payments over real sockets, the hub's SQLite store and its SQLite ledger
 * (issue 15, ADR 0240): wallet A pays wallet B (a payee by its key alone, registered by
 * B's own session) 1,000 times with random sub-cent amounts while B's connection is cut
 * again and again and B is stopped and started again on its file store. B sees every
 * payment exactly once and in the hub's order; after both channels are closed and
 * finalized, B's ledger balance is the sum it received, A's refund is its deposit less
 * the sum it paid, and the ledger conserves money and passes its audit. B is also told,
 * exactly once and in order, when the payments it received cleared (ADR 0243), also when it
 * was offline while the hub claimed and closed A's channel.
 */

import { hubMetrics, hubTraffic } from '@trickle/cli';
import { createWallet, type IncomingPayment, memoryStore, type Wallet } from '@trickle/client';
import { fileStore } from '@trickle/client/node';
import { type CreateHubOptions, createHub, type Hub } from '@trickle/hub';
import type { TrickleLedger } from '@trickle/ledger';
import {
  decodeMoneyRequest,
  encodeMoneyRequest,
  moneyRequestTokenCharsMax,
  type PaymentsCleared,
  payeeIdFromKey,
  publicKeyOf,
  type Receipt,
  RejectError,
  toHex,
} from '@trickle/protocol';
import { expectConserved } from '@trickle/testing/harness';
import { afterEach, describe, expect, it } from 'vitest';
import { filteringTransport } from '../client/filteringTransport.js';
import { fund, networkId, tempDir, testKey, until, usd } from '../hub/fixtures.js';

const paymentsTotal = 1_000;
/** Payments started at once (each asks the hub for an invoice first: a request in flight). */
const paymentsAtOnce = 40;
/** A cent at scale 6: every amount is below it. */
const cent = 10_000;

/** A seeded generator, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0;
    return x / 2 ** 32;
  };
}

describe('peer-to-peer payments', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  let hub: Hub | undefined;
  const wallets: Wallet[] = [];
  afterEach(async () => {
    for (const wallet of wallets.splice(0)) await wallet.stop().catch(() => undefined);
    await hub?.close();
    hub = undefined;
    dir?.remove();
  });

  /** A hub on its SQLite store and ledger in a fresh folder, payer A funded with `fundA`, and its address. */
  async function startHub(label: string, fundA: bigint, options: Omit<CreateHubOptions, 'dataDir' | 'networkId'> = {}) {
    dir = tempDir(`trickle-${label}-`);
    const started = await createHub<TrickleLedger>({ dataDir: `${dir.path}/hub`, networkId, ...options });
    hub = started;
    const keyA = testKey(`${label} payer A`);
    const keyB = testKey(`${label} payee B`);
    await fund(started, publicKeyOf(keyA), fundA);
    return { hub: started, dir: dir.path, keyA, keyB, address: { url: started.url, networkId } };
  }

  it('A pays B 1,000 times while B drops and restarts: each payment once, in order, and the ledger agrees', async () => {
    const traffic = hubTraffic();
    const depositA = 20_000_000n;
    const depositB = 1_000n;
    const { keyA, keyB, address, ...started } = await startHub('p2p', depositA, { observer: traffic.observer });
    const registry = hubMetrics(started.hub);
    traffic.register(registry);
    await fund(started.hub, publicKeyOf(keyB), depositB);

    const a = await createWallet({ key: keyA, hub: address, store: memoryStore() });
    wallets.push(a);
    await a.openChannel({ deposit: depositA, asset: usd });

    const storePath = `${started.dir}/walletB.jsonl`;
    const cuttable = filteringTransport('cuttable', {});
    const seen: IncomingPayment[] = [];
    const clearings: PaymentsCleared[] = [];
    let drops = 0;
    let restarts = 0;
    const startB = async () => {
      const b = await createWallet({
        key: keyB,
        hub: address,
        store: fileStore({ path: storePath }),
        transport: cuttable.transport,
        receive: true,
      });
      b.on('payment', (payment) => seen.push(payment));
      b.on('cleared', (cleared) => clearings.push(cleared));
      b.on('disconnected', () => drops++);
      b.on('unreachable', () => drops++); // a cut while it was still connecting
      wallets.push(b);
      return b;
    };
    let b = await startB();
    expect(b.payeeId).toBe(toHex(payeeIdFromKey(publicKeyOf(keyB))));
    await until('B registered', () => b.connected);
    // B's registration is in the store before any payment can name it: poll until the hub knows it.
    for (;;) {
      try {
        await a.payPeer(b.payeeId, 1n, { memo: 'hello', reveal: true });
        break;
      } catch (error) {
        if (!(error instanceof RejectError && error.code === 'UNKNOWN_PAYEE')) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    await b.openChannel({ deposit: depositB, asset: usd });

    const random = lcg(15);
    const receipts: Receipt[] = [];
    let paid = 1n;
    for (let sent = 1; sent < paymentsTotal; ) {
      const round = Math.min(paymentsAtOnce, paymentsTotal - sent);
      const amounts = Array.from({ length: round }, () => BigInt(1 + Math.floor(random() * (cent - 1))));
      const paying = amounts.map((amount, i) => a.payPeer(b.payeeId, amount, { memo: `#${sent + i}` }));
      // Cut B's connection in the middle of every few rounds; stop and restart B once in a while.
      if (sent % 200 < paymentsAtOnce) cuttable.close(4000, 'test cut');
      if (sent % 300 < paymentsAtOnce && sent > 1) {
        await b.stop();
        b = await startB();
        restarts++;
      }
      receipts.push(...(await Promise.all(paying)));
      for (const amount of amounts) paid += amount;
      sent += round;
    }
    await until('B to see every payment', () => seen.length >= paymentsTotal);
    // Five cuts, one of them while B restarts (and so maybe before it connected).
    expect(drops).toBeGreaterThanOrEqual(4);
    expect(restarts).toBeGreaterThanOrEqual(3);
    await new Promise((resolve) => setTimeout(resolve, 200)); // nothing more may arrive

    // Exactly once, in order: the inbox seqs of the payments and of the clearing notices of the
    // hub's claims meanwhile (ADR 0243) are 1..n once each, every invoice A paid once.
    const inboxSeqs = [...seen.map((p) => p.inboxSeq), ...clearings.map((c) => c.inboxSeq)];
    expect(inboxSeqs.sort((x, y) => x - y)).toEqual(Array.from({ length: inboxSeqs.length }, (_, i) => i + 1));
    expect(seen.map((p) => p.inboxSeq)).toEqual([...seen.map((p) => p.inboxSeq)].sort((x, y) => x - y));
    expect(seen).toHaveLength(paymentsTotal);
    const paidInvoices = new Set(receipts.map((r) => toHex(r.invoiceId)));
    const seenInvoices = new Set(seen.map((p) => toHex(p.invoiceId)));
    expect(seenInvoices.size).toBe(paymentsTotal);
    for (const invoice of paidInvoices) expect(seenInvoices.has(invoice)).toBe(true);
    const received = seen.reduce((sum, p) => sum + p.amount, 0n);
    expect(received).toBe(paid);
    expect(seen[0]).toMatchObject({ memo: 'hello', from: payeeIdFromKey(publicKeyOf(keyA)), amount: 1n });
    expect(seen.slice(1).every((p) => p.from === undefined && /^#\d+$/.test(p.memo))).toBe(true);
    // The history B keeps is the same list (its store outlived two restarts).
    expect(b.incoming().map((p) => p.inboxSeq)).toEqual(seen.map((p) => p.inboxSeq));
    expect(b.history()).toEqual([]);

    // Payment time for the payer; the hub's figures count the peer payments and their deliveries.
    const history = a.history();
    expect(history).toHaveLength(paymentsTotal);
    expect(
      history.every((h) => typeof h.paymentMs === 'number' && h.paymentMs >= 0 && h.clearedAtMs === undefined),
    ).toBe(true);
    expect(seen.every((p) => p.receivedAtMs >= p.paidAtMs - 1_000)).toBe(true);
    const metrics = await registry.metrics();
    expect(metrics).toContain(`trickle_p2p_payments_total{asset="USD:6"} ${paymentsTotal}`);
    const pushed = Number(/trickle_p2p_delivery_seconds_count\{asset="USD:6"\} (\d+)/.exec(metrics)?.[1]);
    expect(pushed).toBeGreaterThanOrEqual(paymentsTotal);
    expect(metrics).toMatch(/trickle_payment_outcomes_total\{asset="USD:6",outcome="paid",reason=""\} \d+/);

    // Both channels close and finalize on the ledger.
    const closedA = await a.close();
    const closedB = await b.close();
    expect(closedA.refund).toBe(depositA - paid);
    expect(closedB.refund).toBe(depositB);
    // Clearing: every payment of A's channel is settled once the channel is finalized, and B
    // is told of each payment's clearing exactly once (one notice per claim, and the close).
    expect(a.history().every((h) => h.clearedAtMs !== undefined && h.clearedAtMs >= h.atMs)).toBe(true);
    await until('B told of the clearing', () => b.incoming().every((p) => p.clearedAtMs !== undefined));
    expect(clearings.reduce((sum, c) => sum + c.payments, 0)).toBe(paymentsTotal);
    expect(clearings.reduce((sum, c) => sum + c.amount, 0n)).toBe(paid);
    expect(b.incoming().every((p) => p.clearingMs === (p.clearedAtMs as number) - p.paidAtMs)).toBe(true);
    expect(b.history()).toEqual([]);
    const ledger = (hub as Hub).ledger;
    expect((await ledger.payeeAccount(payeeIdFromKey(publicKeyOf(keyB)), usd))?.balance).toBe(paid);
    expect((await ledger.payerAccount(publicKeyOf(keyA), usd))?.balance).toBe(depositA - paid);
    expect((await ledger.payerAccount(publicKeyOf(keyB), usd))?.balance).toBe(depositB);
    await expectConserved(ledger, { audit: true });
  }, 240_000);

  it('B is offline while A’s channel is claimed and closed: back, it learns each payment cleared, exactly once, in order', async () => {
    const traffic = hubTraffic();
    const deposit = 5_000_000n;
    const { keyA, keyB, address, ...started } = await startHub('clearing', deposit, { observer: traffic.observer });
    const registry = hubMetrics(started.hub);
    traffic.register(registry);
    const a = await createWallet({ key: keyA, hub: address, store: memoryStore() });
    wallets.push(a);
    await a.openChannel({ deposit, asset: usd });
    const storePath = `${started.dir}/walletB.jsonl`;
    const payments: IncomingPayment[] = [];
    const clearings: PaymentsCleared[] = [];
    const startB = async () => {
      const b = await createWallet({ key: keyB, hub: address, store: fileStore({ path: storePath }), receive: true });
      b.on('payment', (p) => payments.push(p));
      b.on('cleared', (c) => clearings.push(c));
      wallets.push(b);
      await until('B registered', () => b.connected);
      return b;
    };
    let b = await startB();
    await new Promise((resolve) => setTimeout(resolve, 100)); // the registration is in the store
    const random = lcg(243);
    let paid = 0n;
    const pay = async (count: number, label: string) => {
      for (let sent = 0; sent < count; sent += paymentsAtOnce) {
        // Below a tenth of a cent each: 260 payments stay under the policy's claim amount (1 USD),
        // so only this test's claim and close settle them.
        const amounts = Array.from({ length: Math.min(paymentsAtOnce, count - sent) }, () =>
          BigInt(1 + Math.floor(random() * (cent / 10 - 1))),
        );
        await Promise.all(amounts.map((amount, i) => a.payPeer(b.payeeId, amount, { memo: `${label}${sent + i}` })));
        for (const amount of amounts) paid += amount;
      }
    };
    await pay(200, 'before ');
    await until('B has the first 200', () => payments.length === 200);
    expect(clearings).toEqual([]);
    expect(b.incoming().some((p) => p.clearedAtMs !== undefined)).toBe(false);

    // B goes offline; meanwhile the hub claims A's channel, A pays 60 more, and A closes.
    await b.stop();
    await started.hub.settlement.claimNow(a.balance()!.channelId);
    const claimedAt = Date.now();
    await pay(60, 'offline ');
    const closed = await a.close();
    expect(closed.refund).toBe(deposit - paid);

    // Back: the 60 payments, then the two notices (the claim, the close), each once, in order.
    b = await startB();
    await until('B learns everything cleared', () => clearings.length === 2 && payments.length === 260);
    await new Promise((resolve) => setTimeout(resolve, 200)); // nothing more may arrive
    expect(payments).toHaveLength(260);
    expect(clearings).toHaveLength(2);
    const [claim, close] = clearings as [PaymentsCleared, PaymentsCleared];
    expect(claim).toMatchObject({ inboxSeq: 201, afterVoucherSeq: 0, payments: 200 });
    expect(close).toMatchObject({ inboxSeq: 262, afterVoucherSeq: claim.throughVoucherSeq, payments: 60 });
    expect(payments.slice(200).map((p) => p.inboxSeq)).toEqual(Array.from({ length: 60 }, (_, i) => 202 + i));
    expect(claim.amount + close.amount).toBe(paid);
    expect(claim.clearedAtMs).toBeLessThanOrEqual(claimedAt);
    expect(close.clearedAtMs).toBeGreaterThanOrEqual(claim.clearedAtMs);
    // Each payment carries its clearing: the first 200 were received before the claim.
    const incoming = b.incoming();
    expect(incoming).toHaveLength(260);
    for (const [i, p] of incoming.entries()) {
      const by = i < 200 ? claim : close;
      expect(p.clearedAtMs).toBe(by.clearedAtMs);
      expect(p.clearingMs).toBe(by.clearedAtMs - p.paidAtMs);
      expect(p.voucherSeq > by.afterVoucherSeq && p.voucherSeq <= by.throughVoucherSeq).toBe(true);
      if (i < 200) expect(p.clearedAtMs as number).toBeGreaterThanOrEqual(p.receivedAtMs);
    }
    // Restarted once more, B is told nothing again.
    await b.stop();
    b = await startB();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(payments).toHaveLength(260);
    expect(clearings).toHaveLength(2);
    expect(b.incoming().every((p) => p.clearedAtMs !== undefined)).toBe(true);

    // The ledger agrees, and the hub's figures count the clearing.
    const ledger = (hub as Hub).ledger;
    expect((await ledger.payeeAccount(payeeIdFromKey(publicKeyOf(keyB)), usd))?.balance).toBe(paid);
    expect((await ledger.payerAccount(publicKeyOf(keyA), usd))?.balance).toBe(deposit - paid);
    await expectConserved(ledger, { audit: true });
    const metrics = await registry.metrics();
    expect(metrics).toContain('trickle_p2p_cleared_total{asset="USD:6"} 260');
    expect(metrics).toMatch(/trickle_p2p_clearing_seconds_count\{asset="USD:6"\} 2\b/);
  }, 120_000);

  it('B signs a request; A pays it once checked; a tampered, expired or foreign request is refused and pays nothing', async () => {
    const { keyA, keyB, address } = await startHub('request', 1_000_000n);
    const a = await createWallet({ key: keyA, hub: address, store: memoryStore() });
    const b = await createWallet({ key: keyB, hub: address, store: memoryStore(), receive: true });
    wallets.push(a, b);
    await a.openChannel({ deposit: 1_000_000n, asset: usd });
    await until('B connected', () => b.connected);
    const got: IncomingPayment[] = [];
    b.on('payment', (p) => got.push(p));

    const token = b.requestMoney({ amount: 4_321n, memo: 'pizza 🍕', expiresInMs: 60_000 });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token.length).toBeLessThanOrEqual(moneyRequestTokenCharsMax);
    const request = decodeMoneyRequest(token);
    expect(request).toMatchObject({ amount: 4_321n, memo: 'pizza 🍕', asset: usd });

    // Tampered: another amount under the payee's signature.
    const tampered = encodeMoneyRequest({ ...request, amount: 9_999n });
    await expect(a.payRequest(tampered)).rejects.toMatchObject({ code: 'REQUEST_INVALID' });
    // Not a token at all.
    await expect(a.payRequest('not a token')).rejects.toMatchObject({ code: 'REQUEST_INVALID' });
    // Expired.
    const expired = encodeMoneyRequest({ ...request, expiresAtMs: Date.now() - 1 });
    await expect(a.payRequest(expired)).rejects.toMatchObject({ code: 'REQUEST_INVALID' });
    expect(a.balance()?.spent).toBe(0n);

    const receipt = await a.payRequest(token, { reveal: true });
    expect(receipt.amount).toBe(4_321n);
    await until('B told', () => got.length === 1);
    expect(got[0]).toMatchObject({ amount: 4_321n, memo: 'pizza 🍕', from: payeeIdFromKey(publicKeyOf(keyA)) });
    expect(a.balance()?.spent).toBe(4_321n);
    // A request is paid once: scanned again (a second tap, a shared link), it is refused and costs nothing.
    await expect(a.payRequest(token)).rejects.toMatchObject({ code: 'INVOICE_ALREADY_PAID' });
    expect(a.balance()?.spent).toBe(4_321n);
    // Another request for the same amount and memo is another payment.
    const again = b.requestMoney({ amount: 4_321n, memo: 'pizza 🍕', expiresInMs: 120_000 });
    expect((await a.payRequest(again)).amount).toBe(4_321n);
    await until('B told twice', () => got.length === 2);
    expect(a.balance()?.spent).toBe(8_642n);
  });

  it('B spends part of what A paid it while A’s channel is open, pays A back; refusals move nothing; money is conserved', async () => {
    const { keyA, keyB, address, ...started } = await startHub('spend', 100_000n, { receivedSpendMax: 5_000n });
    await fund(started.hub, publicKeyOf(keyB), 1_000n);
    const a = await createWallet({ key: keyA, hub: address, store: memoryStore(), receive: true });
    const b = await createWallet({ key: keyB, hub: address, store: memoryStore(), receive: true });
    wallets.push(a, b);
    await a.openChannel({ deposit: 100_000n, asset: usd });
    await b.openChannel({ deposit: 1_000n, asset: usd });
    await until('both registered', () => a.connected && b.connected);
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (let i = 0; i < 10; i++) await a.payPeer(b.payeeId, 700n, { memo: `#${i}` });
    await until('B told', () => b.incoming().length === 10);

    const ledger = (hub as Hub).ledger;
    const payeeB = payeeIdFromKey(publicKeyOf(keyB));
    // Over the operator's limit, and more than received: refused, nothing moves.
    await expect(b.spendReceived(6_000n)).rejects.toMatchObject({ code: 'REQUEST_INVALID' });
    expect(b.balance()?.deposit).toBe(1_000n);
    // A's channel is open: the hub claims it first, then moves the funds; B's channel grows.
    const before = await ledger.channel(a.balance()!.channelId);
    expect(before?.close).toBeUndefined();
    const grown = await b.spendReceived(4_000n);
    const after = await ledger.channel(a.balance()!.channelId);
    expect(after?.close).toBeUndefined();
    expect(after?.claimed.cumulative).toBe(7_000n);
    expect(grown.deposit).toBe(5_000n);
    expect((await ledger.payeeAccount(payeeB, usd))?.balance).toBe(3_000n);
    await expect(b.spendReceived(5_000n)).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    expect(b.balance()?.deposit).toBe(5_000n);
    await expectConserved(ledger, { audit: true });

    // B spends it: pays A back through its own channel.
    await b.payPeer(a.payeeId, 4_500n, { memo: 'back' });
    await until('A told', () => a.incoming().length === 1);
    const closedA = await a.close();
    const closedB = await b.close();
    expect(closedA.refund).toBe(100_000n - 7_000n);
    expect(closedB.refund).toBe(5_000n - 4_500n);
    expect((await ledger.payeeAccount(payeeB, usd))?.balance).toBe(3_000n);
    expect((await ledger.payeeAccount(payeeIdFromKey(publicKeyOf(keyA)), usd))?.balance).toBe(4_500n);
    expect((await ledger.payerAccount(publicKeyOf(keyB), usd))?.balance).toBe(500n);
    await expectConserved(ledger, { audit: true });
  });
});
