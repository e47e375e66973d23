/**
 * The receipts stage: one HMAC per accepted entry under the payee's key. Deterministic,
 * so a resent voucher's receipts are recomputed rather than stored.
 */
import { assertBytes } from '../../bytes.js';
import type { Domain } from '../../domain.js';
import type { Mac, MerchantKey, PayeeId } from '../../ids.js';
import type { PaymentEntry } from '../../log.js';
import { receiptBytes, receiptBytesLength } from '../../receipt.js';
import { cachedHmacKeyState, hmacWithState } from '../../sha256.js';
import type { HubChannel } from './channel.js';

/** What a receipt MAC needs: the domain and each payee's MAC key. */
export interface ReceiptContext {
  readonly domain: Domain;
  /** The MAC key shared with a registered payee, or undefined when the payee is unknown. */
  payeeKey(payee: PayeeId): MerchantKey | undefined;
}

/** Where receiptMacs lays out each receipt's bytes: MAC'd at once and dropped, so one buffer serves every entry. */
const receiptScratch = new Uint8Array(receiptBytesLength);

/** One receipt MAC per entry, in entry order (internal to the stages). */
export function receiptMacs(
  channel: HubChannel,
  seq: number,
  entries: readonly PaymentEntry[],
  context: ReceiptContext,
): Mac[] {
  return entries.map((entry) => {
    const key = assertBytes(context.payeeKey(entry.payee), 32, 'payee key') as MerchantKey;
    // createReceipt's MAC without building the Receipt object: only the MAC is sent.
    const bytes = receiptBytes(
      {
        networkId: context.domain.networkId,
        hubId: context.domain.hubId,
        channelId: channel.channelId,
        seq,
        payee: entry.payee,
        invoiceId: entry.invoiceId,
        asset: channel.asset,
        amount: entry.amount,
      },
      receiptScratch,
    );
    return hmacWithState(cachedHmacKeyState(key), bytes) as Mac;
  });
}

/**
 * Receipt MACs for entries accepted earlier (to answer a resent voucher with its
 * original receipts): MACs are deterministic, so they are recomputed, not stored.
 *
 * @example
 * ```ts
 * import { receiptMacsFor } from '@trickle/protocol';
 * declare const args: Parameters<typeof receiptMacsFor>;
 * const macs = receiptMacsFor(...args);
 * ```
 */
export function receiptMacsFor(
  channel: HubChannel,
  seq: number,
  entries: readonly PaymentEntry[],
  context: ReceiptContext,
): Mac[] {
  return receiptMacs(channel, seq, entries, context);
}
