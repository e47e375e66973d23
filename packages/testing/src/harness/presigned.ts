/**
 * Many payments on one channel, cheaply: vouchers of many entries each, signed ahead of
 * time (one MAC per payment request, one signature per voucher) and produced one at a
 * time, so a million payments never sit in memory at once; and a raw payer that sends them
 * with a window, waits for every receipt and resends what the hub asks to retry (it
 * refuses `OVERLOADED` while a channel's unclaimed entries wait for a claim). For tests and
 * benchmarks of long channels and settlement.
 */
import {
  type Asset,
  type ClientChannel,
  type ClientMessageOf,
  createPaymentRequest,
  type Domain,
  type HubMessage,
  type InvoiceId,
  type MerchantKey,
  type PayeeId,
  type PaymentRequest,
  preparePayment,
  resourceHash,
  type Signer,
  signOpenRequest,
  signVoucher,
} from '@trickle/protocol';
import type { RawClient } from './rawClient.js';

/** A pay frame as the client sends it. */
export type PresignedFrame = ClientMessageOf<'pay'>;

/** What {@link presignPayments} signs. */
export interface PresignOptions {
  /** Payments in all. */
  readonly count: number;
  /** Minor units each (USD at scale 6). */
  readonly amount: bigint;
  /** Entries per voucher (at most the protocol's 128). */
  readonly perVoucher: number;
  /** The payment requests expire an hour after this (Unix ms). */
  readonly nowMs: number;
}

/** The merchant a payment request is made for: its payee id and the MAC key it shares with the hub. */
export interface PresignMerchant {
  readonly payee: PayeeId;
  readonly macKey: MerchantKey;
}

/** Presigned payments: the frames, produced as they are iterated, and the channel after the last one produced. */
export interface Presigned {
  readonly frames: Iterable<PresignedFrame>;
  /** The client's channel after the last frame produced so far. */
  readonly channel: ClientChannel;
}

/**
 * Signs `count` payments of `amount` each into vouchers of `perVoucher` entries, from
 * `channel` on, lazily: each voucher is made when the iteration reaches it. One resource
 * for all and invoice ids from a counter, so a payment costs its MAC and its share of a
 * signature, no more.
 *
 * @example
 * ```ts
 * import { presignPayments, payFrames, rawClient, testKey } from '@trickle/testing/harness';
 * declare const raw: Awaited<ReturnType<typeof rawClient>>;
 * declare const channel: import('@trickle/protocol').ClientChannel;
 * declare const merchant: import('@trickle/testing/harness').PresignMerchant;
 * const paid = presignPayments(raw.domain, channel, raw.signer, merchant, { count: 1_000_000, amount: 1n, perVoucher: 128, nowMs: Date.now() });
 * await payFrames(raw, paid.frames);
 * paid.channel.seq; // 7813
 * ```
 */
export function presignPayments(
  domain: Domain,
  channel: ClientChannel,
  signer: Signer,
  merchant: PresignMerchant,
  options: PresignOptions,
): Presigned {
  let current = channel;
  const resource = resourceHash('/presigned');
  const salt = crypto.getRandomValues(new Uint8Array(8));
  let counter = 0;
  const request = (): PaymentRequest => {
    const invoiceId = new Uint8Array(16);
    invoiceId.set(salt);
    new DataView(invoiceId.buffer).setUint32(12, counter++);
    return createPaymentRequest(merchant.macKey, {
      networkId: domain.networkId,
      hubId: domain.hubId,
      payee: merchant.payee,
      invoiceId: invoiceId as InvoiceId,
      asset: { code: 'USD', scale: 6 },
      amount: options.amount,
      expiresAtMs: options.nowMs + 3_600_000,
      resource,
    });
  };
  function* frames(): Generator<PresignedFrame> {
    for (let done = 0; done < options.count; ) {
      const n = Math.min(options.perVoucher, options.count - done);
      const requests: PaymentRequest[] = [];
      for (let i = 0; i < n; i++) requests.push(request());
      const prepared = preparePayment(domain, current, requests, options.nowMs);
      const voucher = signVoucher(domain, prepared.voucher, signer);
      current = prepared.channel;
      done += n;
      yield { type: 'pay', id: voucher.seq, ...voucher, entries: [...prepared.entries] };
    }
  }
  return {
    frames: { [Symbol.iterator]: frames },
    get channel() {
      return current;
    },
  };
}

/**
 * Opens a channel with `deposit` over a raw client (USD unless `asset` says, expiring
 * `lifetimeMs` after now, an hour by default) and returns it as the client holds it; throws
 * if the hub answers anything but its state.
 *
 * @example
 * ```ts
 * import { openRawChannel } from '@trickle/testing/harness';
 * declare const raw: import('@trickle/testing/harness').RawClient;
 * const channel = await openRawChannel(raw, 1_000_000n);
 * channel.seq; // 0
 * ```
 */
export async function openRawChannel(
  client: RawClient,
  deposit: bigint,
  options: { readonly asset?: Asset; readonly lifetimeMs?: number } = {},
): Promise<ClientChannel> {
  const asset = options.asset ?? { code: 'USD', scale: 6 };
  const expiresAtMs = Date.now() + (options.lifetimeMs ?? 3_600_000);
  const open = signOpenRequest(
    client.domain,
    { nonce: crypto.getRandomValues(new Uint8Array(16)), asset, deposit, expiresAtMs },
    client.signer,
  );
  client.send({ type: 'open', id: 1, ...open, asset, deposit });
  const answer = await client.next();
  if (answer.type !== 'state') throw new Error(`open failed: ${answer.type}`);
  const { channelId, expiresAtMs: expires, seq, cumulative, logHead } = answer.state;
  return {
    channelId,
    asset: answer.state.asset,
    deposit: answer.state.deposit,
    expiresAtMs: expires,
    seq,
    cumulative,
    logHead,
  };
}

/** Codes a raw payer resends after: the hub asks it to wait (and SEQ_GAPs behind such a refusal). */
const retryLater = new Set(['OVERLOADED', 'RATE_LIMITED', 'SEQ_GAP']);

/**
 * Sends `frames` in order with at most `window` in flight, waits for every receipt, and
 * resends from the first frame the hub asked to retry (after 20 ms). Holds only the frames
 * not yet acknowledged. Throws on any other refusal or message.
 *
 * @example
 * ```ts
 * import { payFrames } from '@trickle/testing/harness';
 * declare const raw: import('@trickle/testing/harness').RawClient;
 * declare const frames: Iterable<import('@trickle/testing/harness').PresignedFrame>;
 * await payFrames(raw, frames, 32);
 * ```
 */
export async function payFrames(client: RawClient, frames: Iterable<PresignedFrame>, window = 32): Promise<void> {
  const source = frames[Symbol.iterator]();
  /** Frames not acknowledged yet, in order; the first `next` of them were sent. */
  let unacked: PresignedFrame[] = [];
  let next = 0;
  let inFlight = 0;
  let exhausted = false;
  const acknowledge = (seq: number) => {
    let drop = 0;
    while (drop < unacked.length && (unacked[drop] as PresignedFrame).seq <= seq) drop++;
    if (drop === 0) return;
    unacked = unacked.slice(drop);
    next = Math.max(0, next - drop);
  };
  /** Takes one answer; returns the seq to resend from, if it asks for one. */
  const take = async (): Promise<number | undefined> => {
    const message: HubMessage = await client.next();
    inFlight--;
    if (message.type === 'receipts') {
      acknowledge(message.seq);
      return undefined;
    }
    if (message.type !== 'reject' || message.seq === undefined) throw new Error(`unexpected ${message.type}`);
    if (!retryLater.has(message.code)) throw new Error(`refused ${message.code}: ${message.message}`);
    return message.seq;
  };
  for (;;) {
    while (inFlight < window) {
      if (next === unacked.length) {
        if (exhausted) break;
        const step = source.next();
        if (step.done === true) {
          exhausted = true;
          break;
        }
        unacked.push(step.value);
      }
      client.send(unacked[next] as PresignedFrame);
      next++;
      inFlight++;
    }
    if (inFlight === 0) {
      if (unacked.length === 0 && exhausted) return;
      continue;
    }
    let from = await take();
    if (from === undefined) continue;
    // Everything in flight is answered first (receipts of earlier frames may still come), then resend.
    while (inFlight > 0) {
      const also = await take();
      if (also !== undefined) from = Math.min(from, also);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    const index = unacked.findIndex((frame) => frame.seq >= (from as number));
    next = index < 0 ? unacked.length : index;
  }
}
