/**
 * The receipt: the hub's statement that one payment entry was accepted and made durable,
 * an HMAC-SHA256 tag under the key the hub shares with the payee. The client cannot forge
 * it; the payee checks it offline in a microsecond.
 * Layout (154 bytes): header(receipt) || hubId || channelId || seq (u64) || payee ||
 * invoiceId (16) || asset (13) || amount (u64).
 */
import { type Asset, assertAmount } from './amount.js';
import { assertBytes, ByteReader, concatBytes, equalBytesConstantTime, fromBase64url, toBase64url } from './bytes.js';
import { beginLayout, readAsset, readHeader, writeAsset } from './domain.js';
import { TrickleError } from './errors.js';
import {
  byteSizes,
  type ChannelId,
  type HubId,
  type InvoiceId,
  type Mac,
  type MerchantKey,
  type PayeeId,
} from './ids.js';
import { cachedHmacKeyState, hmacWithState } from './sha256.js';
import { assertSeq } from './voucher.js';

/** The authenticated fields of a receipt. */
export interface ReceiptBody {
  readonly networkId: number;
  readonly hubId: HubId;
  readonly channelId: ChannelId;
  /** The voucher that carried the payment. */
  readonly seq: number;
  readonly payee: PayeeId;
  readonly invoiceId: InvoiceId;
  readonly asset: Asset;
  readonly amount: bigint;
}

/** A receipt with the hub's MAC. */
export interface Receipt extends ReceiptBody {
  readonly mac: Mac;
}

/** Length of a receipt's MAC'd bytes. */
export const receiptBytesLength = 13 + 32 + 32 + 8 + 32 + 16 + 13 + 8;

/**
 * The exact bytes a receipt's MAC covers, in a new buffer or in the first
 * {@link receiptBytesLength} bytes of `into` (the result is then a view of it).
 *
 * @example
 * ```ts
 * import { receiptBytes } from '@trickle/protocol';
 * declare const body: Parameters<typeof receiptBytes>[0];
 * receiptBytes(body).length; // 154
 * ```
 */
export function receiptBytes(body: ReceiptBody, into?: Uint8Array): Uint8Array {
  const writer = beginLayout('receipt', body.networkId, receiptBytesLength, into)
    .bytes(body.hubId, byteSizes.hubId, 'hubId')
    .bytes(body.channelId, byteSizes.channelId, 'channelId')
    .u64(assertSeq(body.seq))
    .bytes(body.payee, byteSizes.payeeId, 'payee')
    .bytes(body.invoiceId, byteSizes.invoiceId, 'invoiceId');
  return writeAsset(writer, body.asset).u64(assertAmount(body.amount, 'amount')).finish();
}

/**
 * Creates a receipt (the hub does this for each accepted entry).
 *
 * @example
 * ```ts
 * import { createReceipt } from '@trickle/protocol';
 * declare const key: Parameters<typeof createReceipt>[0], body: Parameters<typeof createReceipt>[1];
 * const receipt = createReceipt(key, body);
 * ```
 */
export function createReceipt(key: MerchantKey, body: ReceiptBody): Receipt {
  const state = cachedHmacKeyState(assertBytes(key, 32, 'key'));
  return { ...body, mac: hmacWithState(state, receiptBytes(body)) as Mac };
}

/**
 * True when the receipt's MAC is right under `key` (constant-time compare).
 *
 * @example
 * ```ts
 * import { checkReceiptMac } from '@trickle/protocol';
 * declare const key: Parameters<typeof checkReceiptMac>[0], receipt: Parameters<typeof checkReceiptMac>[1];
 * checkReceiptMac(key, receipt); // boolean
 * ```
 */
export function checkReceiptMac(key: MerchantKey, receipt: Receipt): boolean {
  let bytes: Uint8Array;
  try {
    bytes = receiptBytes(receipt);
  } catch {
    return false;
  }
  return (
    receipt.mac.length === byteSizes.mac &&
    equalBytesConstantTime(hmacWithState(cachedHmacKeyState(key), bytes), receipt.mac)
  );
}

/**
 * A receipt as one unpadded base64url string (bytes then MAC, 248 characters).
 *
 * @example
 * ```ts
 * import { encodeReceipt } from '@trickle/protocol';
 * declare const receipt: Parameters<typeof encodeReceipt>[0];
 * const token = encodeReceipt(receipt);
 * ```
 */
export function encodeReceipt(receipt: Receipt): string {
  return toBase64url(concatBytes(receiptBytes(receipt), assertBytes(receipt.mac, 32, 'mac')));
}

/**
 * Parses {@link encodeReceipt}'s output; throws `TrickleError('MALFORMED_TOKEN')` for
 * anything else. Does not check the MAC.
 *
 * @example
 * ```ts
 * import { decodeReceipt } from '@trickle/protocol';
 * declare const token: string;
 * const receipt = decodeReceipt(token);
 * ```
 */
export function decodeReceipt(token: string): Receipt {
  try {
    const bytes = fromBase64url(token, 'receipt');
    if (bytes.length !== receiptBytesLength + byteSizes.mac) throw new RangeError('wrong length');
    const reader = new ByteReader(bytes);
    const networkId = readHeader(reader, 'receipt');
    const receipt: Receipt = {
      networkId,
      hubId: reader.bytes(32) as HubId,
      channelId: reader.bytes(32) as ChannelId,
      seq: assertSeq(Number(reader.u64())),
      payee: reader.bytes(32) as PayeeId,
      invoiceId: reader.bytes(16) as InvoiceId,
      asset: readAsset(reader),
      amount: assertAmount(reader.u64()),
      mac: reader.bytes(32) as Mac,
    };
    reader.end();
    return receipt;
  } catch (cause) {
    throw new TrickleError('MALFORMED_TOKEN', 'not a valid trickle receipt', { cause });
  }
}
