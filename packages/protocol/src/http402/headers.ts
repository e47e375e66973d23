import { textCharsMax } from '../limits.js';
import { encodeReceipt, type Receipt } from '../receipt.js';
import { Http402Error } from './errors.js';
import {
  checkVersion,
  decodeJsonHeader,
  encodeJsonHeader,
  malformed,
  opaqueObject,
  parseForeignRequirements,
  parseResourceInfo,
  parseTrickleRequirements,
  record,
  text,
  token,
} from './json.js';
import {
  acceptsEntriesMax,
  nameCharsMax,
  paymentRequiredHeaderCharsMax,
  paymentResponseHeaderCharsMax,
  paymentSignatureHeaderCharsMax,
  trickleScheme,
  x402Version,
} from './names.js';
import { readTrickleOffer, trickleOffersOf } from './offers.js';
import { paymentRequestTokenChars, receiptTokenChars } from './tokens.js';
import type {
  PaymentRequired,
  ResourceInfo,
  SettlementResponse,
  TricklePayload,
  TricklePaymentPayload,
  TricklePaymentRequirements,
} from './types.js';

/**
 * The `PAYMENT-REQUIRED` header value of a `402`: base64 of its UTF-8 JSON.
 *
 * @example
 * ```ts
 * import { encodePaymentRequiredHeader } from '@trickle/protocol';
 * const header = encodePaymentRequiredHeader({
 *   x402Version: 2, resource: { url: 'https://example.com/a' }, accepts: [],
 * });
 * ```
 */
export function encodePaymentRequiredHeader(paymentRequired: PaymentRequired): string {
  return encodeJsonHeader(paymentRequired, paymentRequiredHeaderCharsMax, 'PAYMENT-REQUIRED');
}

/**
 * Parses a `PAYMENT-REQUIRED` header value (or, with {@link parsePaymentRequired}, the JSON
 * body). Checks the x402 v2 shape; Trickle entries are checked by {@link trickleOffersOf}.
 * Throws {@link Http402Error}.
 *
 * @example
 * ```ts
 * import { decodePaymentRequiredHeader } from '@trickle/protocol';
 * declare const response: { headers: { get(name: string): string | null } };
 * const required = decodePaymentRequiredHeader(response.headers.get('PAYMENT-REQUIRED') ?? '');
 * ```
 */
export function decodePaymentRequiredHeader(header: string): PaymentRequired {
  return parsePaymentRequired(decodeJsonHeader(header, paymentRequiredHeaderCharsMax, 'PAYMENT-REQUIRED'));
}

/**
 * Checks that a parsed JSON value is an x402 v2 `PaymentRequired`. Throws {@link Http402Error}.
 *
 * @example
 * ```ts
 * import { parsePaymentRequired } from '@trickle/protocol';
 * declare const body: unknown; // await response.json()
 * const required = parsePaymentRequired(body);
 * ```
 */
export function parsePaymentRequired(value: unknown): PaymentRequired {
  const object = record(value, 'PaymentRequired', ['x402Version', 'resource', 'accepts'], ['error', 'extensions']);
  checkVersion(object.x402Version);
  const accepts = object.accepts;
  if (!Array.isArray(accepts) || accepts.length > acceptsEntriesMax) {
    malformed(`accepts: expected an array of at most ${acceptsEntriesMax} entries`);
  }
  const parsed: PaymentRequired = {
    x402Version,
    resource: parseResourceInfo(object.resource, 'resource'),
    accepts: accepts.map((entry, i) =>
      (entry as { scheme?: unknown } | null)?.scheme === trickleScheme
        ? parseTrickleRequirements(entry, `accepts[${i}]`)
        : parseForeignRequirements(entry, `accepts[${i}]`),
    ),
    ...(object.error === undefined ? {} : { error: text(object.error, textCharsMax, 'error') }),
    ...(object.extensions === undefined ? {} : { extensions: opaqueObject(object.extensions, 'extensions') }),
  };
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// PAYMENT-SIGNATURE
// ---------------------------------------------------------------------------------------------

/** Parameters of {@link createTricklePaymentPayload}. */
export interface CreateTricklePaymentPayloadParameters {
  /** The Trickle entry of `accepts` that was paid, exactly as received. */
  readonly accepted: TricklePaymentRequirements;
  /** The hub's receipt for it, decoded or as its token. */
  readonly receipt: Receipt | string;
  /** The `resource` of the `402`, echoed (optional in x402). */
  readonly resource?: ResourceInfo;
}

/**
 * The payload of a paid retry: the accepted offer, its request token and the receipt.
 *
 * @example
 * ```ts
 * import { createTricklePaymentPayload, encodePaymentSignatureHeader, type TrickleOffer, type Receipt } from '@trickle/protocol';
 * declare const offer: TrickleOffer, receipt: Receipt;
 * const header = encodePaymentSignatureHeader(createTricklePaymentPayload({ accepted: offer.requirements, receipt }));
 * ```
 */
export function createTricklePaymentPayload(parameters: CreateTricklePaymentPayloadParameters): TricklePaymentPayload {
  const receipt = typeof parameters.receipt === 'string' ? parameters.receipt : encodeReceipt(parameters.receipt);
  return {
    x402Version,
    ...(parameters.resource === undefined ? {} : { resource: parameters.resource }),
    accepted: parameters.accepted,
    payload: { paymentRequest: parameters.accepted.extra.paymentRequest, receipt },
  };
}

/**
 * The `PAYMENT-SIGNATURE` header value of a paid retry: base64 of its UTF-8 JSON.
 *
 * @example
 * ```ts
 * import { encodePaymentSignatureHeader, type TricklePaymentPayload } from '@trickle/protocol';
 * declare const payload: TricklePaymentPayload;
 * const headers = { 'PAYMENT-SIGNATURE': encodePaymentSignatureHeader(payload) };
 * ```
 */
export function encodePaymentSignatureHeader(payload: TricklePaymentPayload): string {
  return encodeJsonHeader(payload, paymentSignatureHeaderCharsMax, 'PAYMENT-SIGNATURE');
}

/**
 * Parses a `PAYMENT-SIGNATURE` header value strictly: size first, then base64, UTF-8, JSON,
 * x402 version 2, scheme `trickle`, exact keys, token syntax, `accepted` restating its
 * payment request field by field (as {@link readTrickleOffer} checks an offer), and
 * `payload.paymentRequest` equal to `accepted.extra.paymentRequest`. Says nothing about
 * MACs. Throws {@link Http402Error}; `UNSUPPORTED_SCHEME` when the payment is for another
 * scheme, `INCONSISTENT_OFFER` when the echoed offer was altered.
 *
 * @example
 * ```ts
 * import { decodePaymentSignatureHeader } from '@trickle/protocol';
 * declare const header: string;
 * const { payload } = decodePaymentSignatureHeader(header);
 * payload.receipt; // the receipt token
 * ```
 */
export function decodePaymentSignatureHeader(header: string): TricklePaymentPayload {
  const object = record(
    decodeJsonHeader(header, paymentSignatureHeaderCharsMax, 'PAYMENT-SIGNATURE'),
    'PaymentPayload',
    ['x402Version', 'accepted', 'payload'],
    ['resource', 'extensions'],
  );
  checkVersion(object.x402Version);
  const scheme = (object.accepted as { scheme?: unknown } | null)?.scheme;
  if (scheme !== trickleScheme) {
    const details =
      typeof scheme === 'string' ? `scheme ${JSON.stringify(scheme.slice(0, nameCharsMax))}` : 'no scheme';
    throw new Http402Error('UNSUPPORTED_SCHEME', 'the payment is not a trickle payment', { details });
  }
  // The echoed offer must restate its payment request, field by field, as an offer must.
  const accepted = readTrickleOffer(object.accepted, 'accepted').requirements;
  const inner = record(object.payload, 'payload', ['paymentRequest', 'receipt'], []);
  const payload: TricklePayload = {
    paymentRequest: token(inner.paymentRequest, paymentRequestTokenChars, 'payload.paymentRequest'),
    receipt: token(inner.receipt, receiptTokenChars, 'payload.receipt'),
  };
  if (payload.paymentRequest !== accepted.extra.paymentRequest) {
    malformed('payload.paymentRequest: differs from accepted.extra.paymentRequest');
  }
  return {
    x402Version,
    ...(object.resource === undefined ? {} : { resource: parseResourceInfo(object.resource, 'resource') }),
    accepted,
    payload,
    ...(object.extensions === undefined ? {} : { extensions: opaqueObject(object.extensions, 'extensions') }),
  };
}

// ---------------------------------------------------------------------------------------------
// PAYMENT-RESPONSE
// ---------------------------------------------------------------------------------------------

/**
 * The `PAYMENT-RESPONSE` header value: base64 of its UTF-8 JSON.
 *
 * @example
 * ```ts
 * import { encodePaymentResponseHeader } from '@trickle/protocol';
 * encodePaymentResponseHeader({ success: false, errorReason: 'INVOICE_USED', transaction: '', network: 'trickle:7' });
 * ```
 */
export function encodePaymentResponseHeader(response: SettlementResponse): string {
  return encodeJsonHeader(response, paymentResponseHeaderCharsMax, 'PAYMENT-RESPONSE');
}

/**
 * Parses a `PAYMENT-RESPONSE` header value. Throws {@link Http402Error}.
 *
 * @example
 * ```ts
 * import { decodePaymentResponseHeader } from '@trickle/protocol';
 * declare const header: string;
 * const { success, errorReason } = decodePaymentResponseHeader(header);
 * ```
 */
export function decodePaymentResponseHeader(header: string): SettlementResponse {
  const object = record(
    decodeJsonHeader(header, paymentResponseHeaderCharsMax, 'PAYMENT-RESPONSE'),
    'SettlementResponse',
    ['success', 'transaction', 'network'],
    ['errorReason', 'payer'],
  );
  if (typeof object.success !== 'boolean') malformed('success: expected a boolean');
  return {
    success: object.success,
    transaction: text(object.transaction, nameCharsMax, 'transaction'),
    network: text(object.network, nameCharsMax, 'network'),
    ...(object.errorReason === undefined ? {} : { errorReason: text(object.errorReason, nameCharsMax, 'errorReason') }),
    ...(object.payer === undefined ? {} : { payer: text(object.payer, nameCharsMax, 'payer') }),
  };
}
