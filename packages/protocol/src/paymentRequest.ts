/**
 * The payment request: what a merchant asks to be paid, authenticated with an
 * HMAC-SHA256 tag under the key it shares with the hub (see deriveMerchantKey), so the hub
 * and the merchant can check it in a microsecond and the client cannot alter it.
 * Layout (154 bytes): header(paymentRequest) || hubId || payee || invoiceId (16) ||
 * asset (13) || amount (u64) || expiresAtMs (u64) || resource (32).
 */
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { type Asset, assertAmount } from './amount.js';
import { assertBytes, ByteReader, concatBytes, equalBytesConstantTime, fromBase64url, toBase64url } from './bytes.js';
import { assertTimeMs } from './channelRequests.js';
import { sha256 } from './crypto.js';
import { beginLayout, readAsset, readHeader, writeAsset } from './domain.js';
import { TrickleError } from './errors.js';
import { byteSizes, type HubId, type InvoiceId, type Mac, type MerchantKey, type PayeeId } from './ids.js';
import { cachedHmacKeyState, hmacWithState } from './sha256.js';

/** The authenticated fields of a payment request. */
export interface PaymentRequestBody {
  readonly networkId: number;
  readonly hubId: HubId;
  readonly payee: PayeeId;
  /** 16 bytes, unique per payee; single use. */
  readonly invoiceId: InvoiceId;
  readonly asset: Asset;
  /** Price in minor units, at least 1. */
  readonly amount: bigint;
  /** After this instant (Unix ms) the hub refuses to pay it and the merchant to honour it. */
  readonly expiresAtMs: number;
  /** sha256 of what is sold (see {@link resourceHash}); binds the invoice to one resource. */
  readonly resource: Uint8Array;
}

/** A payment request with its MAC. */
export interface PaymentRequest extends PaymentRequestBody {
  readonly mac: Mac;
}

/** Length of a payment request's MAC'd bytes. */
export const paymentRequestBytesLength = 13 + 32 + 32 + 16 + 13 + 8 + 8 + 32;

/**
 * The 32-byte id of a resource: sha256 of its UTF-8 text (a path, a URL, an API method).
 *
 * @example
 * ```ts
 * import { resourceHash } from '@trickle/protocol';
 * resourceHash('GET /articles/42').length; // 32
 * ```
 */
export function resourceHash(resource: string): Uint8Array {
  if (typeof resource !== 'string') throw new TypeError('resource: expected string');
  return sha256(utf8ToBytes(resource));
}

/**
 * The exact bytes a payment request's MAC covers, in a new buffer or in the first
 * {@link paymentRequestBytesLength} bytes of `into` (the result is then a view of it).
 *
 * @example
 * ```ts
 * import { paymentRequestBytes } from '@trickle/protocol';
 * declare const body: Parameters<typeof paymentRequestBytes>[0];
 * paymentRequestBytes(body).length; // 154
 * ```
 */
export function paymentRequestBytes(body: PaymentRequestBody, into?: Uint8Array): Uint8Array {
  const amount = assertAmount(body.amount, 'amount');
  if (amount < 1n) throw new RangeError('amount: must be at least 1');
  const writer = beginLayout('paymentRequest', body.networkId, paymentRequestBytesLength, into)
    .bytes(body.hubId, byteSizes.hubId, 'hubId')
    .bytes(body.payee, byteSizes.payeeId, 'payee')
    .bytes(body.invoiceId, byteSizes.invoiceId, 'invoiceId');
  return writeAsset(writer, body.asset)
    .u64(amount)
    .u64(assertTimeMs(body.expiresAtMs, 'expiresAtMs'))
    .bytes(assertBytes(body.resource, byteSizes.resource, 'resource'), byteSizes.resource, 'resource')
    .finish();
}

/** Where checkPaymentRequestMac lays out the bytes it MACs: one check at a time, synchronously. */
const requestScratch = new Uint8Array(paymentRequestBytesLength);

/**
 * Creates a payment request, MAC'd under the merchant's key.
 *
 * @example
 * ```ts
 * import { createPaymentRequest } from '@trickle/protocol';
 * declare const key: Parameters<typeof createPaymentRequest>[0], body: Parameters<typeof createPaymentRequest>[1];
 * const request = createPaymentRequest(key, body);
 * ```
 */
export function createPaymentRequest(key: MerchantKey, body: PaymentRequestBody): PaymentRequest {
  const state = cachedHmacKeyState(assertBytes(key, 32, 'key'));
  return { ...body, mac: hmacWithState(state, paymentRequestBytes(body)) as Mac };
}

/**
 * True when the request's MAC is right under `key` (compared in constant time). Says
 * nothing about expiry: check `expiresAtMs` against your clock.
 *
 * @example
 * ```ts
 * import { checkPaymentRequestMac } from '@trickle/protocol';
 * declare const key: Parameters<typeof checkPaymentRequestMac>[0], request: Parameters<typeof checkPaymentRequestMac>[1];
 * checkPaymentRequestMac(key, request); // boolean
 * ```
 */
export function checkPaymentRequestMac(key: MerchantKey, request: PaymentRequest): boolean {
  let bytes: Uint8Array;
  try {
    // Hashed at once and dropped (hmacWithState keeps nothing of it): no buffer per check.
    bytes = paymentRequestBytes(request, requestScratch);
  } catch {
    return false;
  }
  return (
    request.mac.length === byteSizes.mac &&
    equalBytesConstantTime(hmacWithState(cachedHmacKeyState(key), bytes), request.mac)
  );
}

/**
 * A payment request as one unpadded base64url string (its bytes then its MAC, 248
 * characters): for HTTP headers and JSON.
 *
 * @example
 * ```ts
 * import { encodePaymentRequest } from '@trickle/protocol';
 * declare const request: Parameters<typeof encodePaymentRequest>[0];
 * const token = encodePaymentRequest(request);
 * ```
 */
export function encodePaymentRequest(request: PaymentRequest): string {
  return toBase64url(concatBytes(paymentRequestBytes(request), assertBytes(request.mac, 32, 'mac')));
}

/**
 * Parses {@link encodePaymentRequest}'s output. Throws `TrickleError('MALFORMED_TOKEN')`
 * for anything else. Does not check the MAC.
 *
 * @example
 * ```ts
 * import { decodePaymentRequest } from '@trickle/protocol';
 * declare const token: string;
 * const request = decodePaymentRequest(token);
 * ```
 */
export function decodePaymentRequest(token: string): PaymentRequest {
  try {
    const bytes = fromBase64url(token, 'payment request');
    if (bytes.length !== paymentRequestBytesLength + byteSizes.mac) throw new RangeError('wrong length');
    const reader = new ByteReader(bytes);
    const networkId = readHeader(reader, 'paymentRequest');
    const request: PaymentRequest = {
      networkId,
      hubId: reader.bytes(32) as HubId,
      payee: reader.bytes(32) as PayeeId,
      invoiceId: reader.bytes(16) as InvoiceId,
      asset: readAsset(reader),
      amount: assertAmount(reader.u64()),
      expiresAtMs: assertTimeMs(Number(reader.u64()), 'expiresAtMs'),
      resource: reader.bytes(32),
      mac: reader.bytes(32) as Mac,
    };
    reader.end();
    if (request.amount < 1n) throw new RangeError('amount below 1');
    return request;
  } catch (cause) {
    throw new TrickleError('MALFORMED_TOKEN', 'not a valid trickle payment request', { cause });
  }
}
