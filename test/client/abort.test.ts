/**
 * `pay(request, { signal })` against a real hub over real sockets. Aborted before the
 * payment is signed (queued while the hub is down, or already aborted), it is removed and
 * nothing is charged; aborted after it was signed, the caller is let go but the voucher is
 * still delivered on reconnect, and the hub charges it exactly once.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  createWallet,
  memoryStore,
  type Transport,
  type Wallet,
  WalletError,
  type WalletEvents,
} from '@trickle/client';
import { wsTransport } from '@trickle/client/node';
import { createHub, type Hub } from '@trickle/hub';
import {
  decodeClientMessage,
  decodeHubMessage,
  type PaymentRequest,
  publicKeyOf,
  type Receipt,
  toHex,
} from '@trickle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fund, ledgerBalance, networkId, tempDir, testKey, testMerchant } from '../hub/fixtures.js';
import { filteringTransport } from './filteringTransport.js';

const deposit = 100_000n;

/** A `ws` transport that can swallow the wallet's `pay` frames or the hub's `receipts` frames, and cut the line. */
function controlledTransport() {
  let onSwallowed: (() => void) | undefined;
  const swallowed = (): undefined => {
    onSwallowed?.();
    onSwallowed = undefined;
    return undefined;
  };
  const filtered = filteringTransport('controlled', {
    outgoing: (bytes) => (link.dropPay && decodeClientMessage(bytes).type === 'pay' ? swallowed() : bytes),
    incoming: (bytes) => (link.dropReceipts && decodeHubMessage(bytes).type === 'receipts' ? swallowed() : bytes),
  });
  const link = {
    /** Drop `pay` frames instead of sending them (the hub never sees the voucher). */
    dropPay: false,
    /** Drop `receipts` frames instead of delivering them (the hub charged, the wallet never hears). */
    dropReceipts: false,
    /** Resolves when the next frame is dropped. */
    nextDropped: () => new Promise<void>((resolve) => (onSwallowed = resolve)),
    /** Closes the current connection (the wallet reconnects by itself). */
    cut: () => filtered.close(4000, 'cut by the test'),
    transport: filtered.transport,
  };
  return link;
}

/** A full garbage collection (V8's `gc`, exposed for this test). */
function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** True once nothing holds `ref`'s target any more (after a few full collections). */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  const gc = collectGarbage();
  for (let i = 0; i < 5 && ref.deref() !== undefined; i++) {
    // A new task first: a WeakRef's target is kept alive until the end of the task that read it.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  return ref.deref() === undefined;
}

/** The next `event` of `wallet`. */
function next<K extends keyof WalletEvents>(wallet: Wallet, event: K): Promise<WalletEvents[K]> {
  return new Promise((resolve) => {
    const off = wallet.on(event, (payload) => {
      off();
      resolve(payload);
    });
  });
}

/** The first `receipt` event for `request`'s invoice. */
function receiptFor(wallet: Wallet, request: PaymentRequest): Promise<Receipt> {
  return new Promise((resolve) => {
    const off = wallet.on('receipt', (receipt) => {
      if (toHex(receipt.invoiceId) !== toHex(request.invoiceId)) return;
      off();
      resolve(receipt);
    });
  });
}

describe('pay() with an AbortSignal', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub | undefined;
  let port: number;
  const wallets: Wallet[] = [];

  async function startHub(): Promise<Hub> {
    hub = await createHub({ dataDir: dir.path, networkId, port });
    return hub;
  }

  async function stopHub(): Promise<void> {
    await hub?.close();
    hub = undefined;
  }

  async function setUp(label: string, extra: { transport?: Transport; queuedPaymentsMax?: number } = {}) {
    const running = hub as Hub;
    const key = testKey(`abort ${label}`);
    await fund(running, publicKeyOf(key), 1_000_000n);
    const merchant = testMerchant(`abort ${label}`, running);
    await running.registerMerchant({ publicKey: merchant.publicKey });
    const wallet = await createWallet({
      key,
      hub: { url: running.url, networkId },
      store: memoryStore(),
      transport: extra.transport ?? wsTransport(),
      reconnectDelayMsMin: 5,
      reconnectDelayMsMax: 50,
      ...(extra.queuedPaymentsMax === undefined ? {} : { queuedPaymentsMax: extra.queuedPaymentsMax }),
    });
    wallets.push(wallet);
    const { channelId } = await wallet.openChannel({ deposit });
    return { wallet, merchant, channelId };
  }

  beforeEach(async () => {
    dir = tempDir();
    port = 0;
    port = (await startHub()).port;
  });
  afterEach(async () => {
    for (const wallet of wallets.splice(0)) await wallet.stop();
    await stopHub();
    dir.remove();
  });

  it('aborted while the hub is down: removed before signing, nothing is charged', async () => {
    const { wallet, merchant, channelId } = await setUp('hub down', { queuedPaymentsMax: 2 });
    const before = wallet.balance();
    const disconnected = next(wallet, 'disconnected');
    await stopHub();
    await disconnected;

    const request = merchant.request(700n);
    const controller = new AbortController();
    const reason = new Error('the user gave up');
    const paying = wallet.pay(request, { signal: controller.signal });
    const timingOut = wallet.pay(merchant.request(300n), { signal: AbortSignal.timeout(10) });
    // Let the signing pump run: with no hub it leaves both payments queued.
    await new Promise((resolve) => setImmediate(resolve));
    expect(wallet.connected).toBe(false);
    controller.abort(reason);

    const aborted = await paying.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(aborted).toBeInstanceOf(WalletError);
    expect(aborted).toMatchObject({ code: 'ABORTED', cause: reason });
    const timedOut = await timingOut.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(timedOut).toMatchObject({ code: 'ABORTED' });
    expect((timedOut as Error).cause).toMatchObject({ name: 'TimeoutError' });
    expect(wallet.balance()).toEqual(before);

    // Both aborted payments left the queue (of 2): this one is admitted, and its invoice is free again.
    const paidLater = wallet.pay(request);
    const reconnected = next(wallet, 'reconnected');
    await startHub();
    await reconnected;
    const receipt = await paidLater;

    // The hub saw one voucher, for the payment made after the hub came back.
    expect(receipt).toMatchObject({ seq: 1, amount: 700n });
    expect(hub?.channel(channelId)).toMatchObject({ seq: 1, cumulative: 700n });
    expect(wallet.balance()).toMatchObject({ spent: 700n, acknowledged: 700n, available: deposit - 700n });
    expect(wallet.history().map((h) => h.invoiceId)).toEqual([toHex(request.invoiceId)]);
    const { refund } = await wallet.close();
    expect(refund).toBe(deposit - 700n);
    expect(await ledgerBalance(hub as Hub, 'payee', merchant.payee)).toBe(700n);
  });

  it('a payment aborted before signing is let go at once, not kept until the hub is back', async () => {
    const { wallet, merchant } = await setUp('released');
    const disconnected = next(wallet, 'disconnected');
    await stopHub();
    await disconnected;

    // Only the wallet holds each request (the test keeps the error codes, not the errors,
    // whose stack traces hold the functions that made them): once aborted, nothing should.
    const controller = new AbortController();
    const refs: WeakRef<object>[] = [];
    const codeOf = (paying: Promise<Receipt>): Promise<string> =>
      paying.then(
        () => 'paid',
        (error: unknown) => (error as WalletError).code,
      );
    const payments = Array.from({ length: 3 }, (_, i) => {
      const request = merchant.request(BigInt(10 + i));
      refs.push(new WeakRef(request));
      return codeOf(wallet.pay(request, { signal: controller.signal }));
    });
    await new Promise((resolve) => setImmediate(resolve)); // the signing pump ran: no hub, all stay queued
    controller.abort();
    expect(await Promise.all(payments)).toEqual(Array(3).fill('ABORTED'));
    for (const ref of refs) expect(await collected(ref)).toBe(true);

    // Online too: aborted in the tick it was queued, with nothing paid after it.
    await startHub();
    await wallet.pay(merchant.request(1n));
    const alone = new AbortController();
    let ref: WeakRef<object> | undefined;
    const paying = (() => {
      const request = merchant.request(2n);
      ref = new WeakRef(request);
      return codeOf(wallet.pay(request, { signal: alone.signal }));
    })();
    alone.abort();
    expect(await paying).toBe('ABORTED');
    await new Promise((resolve) => setImmediate(resolve)); // the signing pump ran, with nothing to sign
    expect(await collected(ref as WeakRef<object>)).toBe(true);
    expect(wallet.balance()).toMatchObject({ spent: 1n, acknowledged: 1n });
  });

  it('an already aborted signal rejects at once, and nothing is signed', async () => {
    const { wallet, merchant, channelId } = await setUp('pre-aborted');
    const request = merchant.request(500n);
    const reason = new Error('too late');
    const error = await wallet.pay(request, { signal: AbortSignal.abort(reason) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WalletError);
    expect(error).toMatchObject({ code: 'ABORTED', cause: reason });
    expect(wallet.balance()).toMatchObject({ spent: 0n, acknowledged: 0n });

    // Paying the same invoice afterwards is charged once, in the channel's first voucher.
    expect(await wallet.pay(request)).toMatchObject({ seq: 1, amount: 500n });
    expect(hub?.channel(channelId)).toMatchObject({ seq: 1, cumulative: 500n });
  });

  it('aborting some payments of the same tick signs only the others', async () => {
    const { wallet, merchant, channelId } = await setUp('coalesced');
    const controller = new AbortController(); // one signal shared by many payments
    const first = wallet.pay(merchant.request(10n));
    const shared = Array.from({ length: 20 }, () => wallet.pay(merchant.request(20n), { signal: controller.signal }));
    const third = wallet.pay(merchant.request(30n), { signal: new AbortController().signal });
    controller.abort();

    const outcomes = await Promise.allSettled(shared);
    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as WalletError).code : o.status))).toEqual(
      Array(20).fill('ABORTED'),
    );
    const receipts = await Promise.all([first, third]);
    expect(receipts.map((r) => [r.seq, r.amount])).toEqual([
      [1, 10n],
      [1, 30n],
    ]);
    expect(hub?.channel(channelId)).toMatchObject({ seq: 1, cumulative: 40n });
    expect(wallet.balance()).toMatchObject({ spent: 40n, acknowledged: 40n });
  });

  it('aborted after signing, before the hub got it: delivered on reconnect, charged once', async () => {
    const link = controlledTransport();
    const { wallet, merchant, channelId } = await setUp('signed, hub stopped', { transport: link.transport });
    const request = merchant.request(700n);
    const receipts: Receipt[] = [];
    wallet.on('receipt', (receipt) => receipts.push(receipt));
    const delivered = receiptFor(wallet, request);

    link.dropPay = true;
    const dropped = link.nextDropped();
    const controller = new AbortController();
    const paying = wallet.pay(request, { signal: controller.signal });
    await dropped; // signed, saved, and sent into the void
    expect(wallet.balance()).toMatchObject({ spent: 700n, acknowledged: 0n });
    const reason = new Error('the user gave up');
    controller.abort(reason);
    const error = await paying.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WalletError);
    expect(error).toMatchObject({ code: 'ABORTED_AFTER_SIGNING', cause: reason });

    // The hub stops and comes back; the wallet resends the voucher it saved.
    const disconnected = next(wallet, 'disconnected');
    await stopHub();
    await disconnected;
    link.dropPay = false;
    await startHub();
    const receipt = await delivered;

    expect(receipt).toMatchObject({ seq: 1, amount: 700n });
    expect(receipts).toHaveLength(1);
    expect(hub?.channel(channelId)).toMatchObject({ seq: 1, cumulative: 700n });
    expect(wallet.balance()).toMatchObject({ spent: 700n, acknowledged: 700n });
    expect(wallet.history().map((h) => h.invoiceId)).toEqual([toHex(request.invoiceId)]);
    const { refund } = await wallet.close();
    expect(refund).toBe(deposit - 700n);
    expect(await ledgerBalance(hub as Hub, 'payee', merchant.payee)).toBe(700n);
  });

  it('aborted after the hub charged it but before its receipt came: resent on reconnect, charged once', async () => {
    const link = controlledTransport();
    const { wallet, merchant, channelId } = await setUp('signed, receipt lost', { transport: link.transport });
    const request = merchant.request(900n);
    const receipts: Receipt[] = [];
    wallet.on('receipt', (receipt) => receipts.push(receipt));
    const delivered = receiptFor(wallet, request);

    link.dropReceipts = true;
    const dropped = link.nextDropped();
    const controller = new AbortController();
    const paying = wallet.pay(request, { signal: controller.signal });
    await dropped; // the hub accepted and charged it; its receipt is lost
    expect(hub?.channel(channelId)).toMatchObject({ seq: 1, cumulative: 900n });
    controller.abort();
    await expect(paying).rejects.toMatchObject({ code: 'ABORTED_AFTER_SIGNING' });

    link.dropReceipts = false;
    const reconnected = next(wallet, 'reconnected');
    link.cut();
    await reconnected;
    const receipt = await delivered;

    expect(receipt).toMatchObject({ seq: 1, amount: 900n });
    expect(receipts).toHaveLength(1);
    expect(hub?.channel(channelId)).toMatchObject({ seq: 1, cumulative: 900n });
    expect(wallet.balance()).toMatchObject({ spent: 900n, acknowledged: 900n });
    expect(wallet.history()).toHaveLength(1);
    // The invoice is paid: paying it again is refused, not charged again.
    await expect(wallet.pay(request)).rejects.toMatchObject({ code: 'INVOICE_ALREADY_PAID' });
    expect(hub?.channel(channelId)).toMatchObject({ cumulative: 900n });
  });

  it('refuses a signal that is not an AbortSignal', async () => {
    const { wallet, merchant } = await setUp('bad signal');
    await expect(wallet.pay(merchant.request(1n), { signal: {} as AbortSignal })).rejects.toBeInstanceOf(TypeError);
    expect(wallet.balance()).toMatchObject({ spent: 0n });
  });
});
