/**
 * Trickle's HTTP wire, shaped like x402 version 2 so that clients speaking several payment
 * schemes can share one 402 answer:
 *
 * - `402` + `PAYMENT-REQUIRED`: base64 (RFC 4648, padded) of the UTF-8 JSON
 *   {@link PaymentRequired}, whose `accepts` list holds one {@link TricklePaymentRequirements}
 *   (scheme `trickle`) carrying the merchant's MAC'd payment request token.
 * - the paid retry + `PAYMENT-SIGNATURE`: base64 JSON {@link TricklePaymentPayload} carrying
 *   the payment request token and the hub's receipt token.
 * - the answer + `PAYMENT-RESPONSE`: base64 JSON {@link SettlementResponse}, and
 *   `TRICKLE-ENTITLEMENT`: a merchant-signed {@link Entitlement} token that later requests
 *   present (header or cookie) to read the resource again without paying.
 *
 * Everything here is pure and browser-safe. Every decoder caps sizes first, then checks exact
 * shapes, and throws only {@link Http402Error} (or `TrickleError('MALFORMED_TOKEN')` for binary
 * tokens); docs/adr/0301-http-402-wire.md explains the choices.
 */
import { base64, utf8 } from '@scure/base';
import { asset as checkAsset, formatAmount } from './amount.js';
import { assertBytes, ByteReader, concatBytes, equalBytes, fromBase64url, toBase64url, toHex } from './bytes.js';
import { assertTimeMs } from './channelRequests.js';
import { beginLayout, readHeader } from './domain.js';
import { TrickleError } from './errors.js';
import {
  byteSizes,
  type ChannelId,
  type InvoiceId,
  type PayeeId,
  type PublicKey,
  payeeIdFromKey,
  type Signature,
} from './ids.js';
import { checkSignature, type Signer, type Verifier } from './keys.js';
import { amountMax, assetCodeCharsMax, assetScaleMax, textCharsMax, timeMsMax } from './limits.js';
import {
  decodePaymentRequest,
  encodePaymentRequest,
  type PaymentRequest,
  paymentRequestBytesLength,
  resourceHash,
} from './paymentRequest.js';
import { encodeReceipt, type Receipt, receiptBytesLength } from './receipt.js';

// ---------------------------------------------------------------------------------------------
// Names and limits
// ---------------------------------------------------------------------------------------------

/** The x402 protocol version whose message shapes Trickle's HTTP wire follows. */
export const x402Version = 2;

/** The x402 `scheme` name of Trickle payments. */
export const trickleScheme = 'trickle';

/**
 * The HTTP header names of the wire. HTTP header names are case-insensitive; these are the
 * spellings x402 v2 uses, and the one Trickle adds for entitlements.
 */
export const http402Headers = {
  /** Server to client, on `402`: base64 JSON {@link PaymentRequired}. */
  paymentRequired: 'PAYMENT-REQUIRED',
  /** Client to server, on the paid retry: base64 JSON {@link TricklePaymentPayload}. */
  paymentSignature: 'PAYMENT-SIGNATURE',
  /** Server to client: base64 JSON {@link SettlementResponse} (success or refusal). */
  paymentResponse: 'PAYMENT-RESPONSE',
  /** Both ways: entitlement tokens (server: the one just issued; client: up to {@link entitlementsPerRequestMax}). */
  entitlement: 'TRICKLE-ENTITLEMENT',
} as const;

/** The cookie that carries an entitlement token in browsers (one cookie per resource path). */
export const entitlementCookieName = 'trickle_entitlement';

/** Longest `PAYMENT-REQUIRED` header value accepted, in characters (several schemes' offers). */
export const paymentRequiredHeaderCharsMax = 16 * 1024;

/** Longest `PAYMENT-SIGNATURE` header value accepted, in characters. */
export const paymentSignatureHeaderCharsMax = 4 * 1024;

/** Longest `PAYMENT-RESPONSE` header value accepted, in characters. */
export const paymentResponseHeaderCharsMax = 2 * 1024;

/** Most entitlement tokens one request may present (header and cookies together). */
export const entitlementsPerRequestMax = 4;

/** Most entries of an `accepts` list. */
export const acceptsEntriesMax = 16;

/** Longest resource name (the text whose sha256 binds an invoice), in characters. */
export const resourceCharsMax = 1024;

/** Longest URL (the resource's, the hub's), in characters. */
export const urlCharsMax = 2048;

/** Longest scheme or network name of a foreign `accepts` entry, in characters. */
const nameCharsMax = 128;

// ---------------------------------------------------------------------------------------------
// Errors and refusal codes
// ---------------------------------------------------------------------------------------------

/** Codes of {@link Http402Error}. */
export type Http402ErrorCode =
  | 'HEADER_TOO_LARGE'
  | 'MALFORMED_HEADER'
  | 'UNSUPPORTED_VERSION'
  | 'UNSUPPORTED_SCHEME'
  | 'INCONSISTENT_OFFER';

/**
 * A header of Trickle's HTTP wire that cannot be used: too large, not base64 JSON of the
 * expected shape, another x402 version or scheme, or an offer whose readable fields disagree
 * with the token they describe.
 *
 * @example
 * ```ts
 * import { decodePaymentSignatureHeader, Http402Error } from '@trickle/protocol';
 * try {
 *   decodePaymentSignatureHeader('not base64 json');
 * } catch (error) {
 *   if (error instanceof Http402Error) error.code; // 'MALFORMED_HEADER'
 * }
 * ```
 */
export class Http402Error extends TrickleError {
  override name = 'Http402Error';
  declare readonly code: Http402ErrorCode;
  constructor(code: Http402ErrorCode, shortMessage: string, options?: { details?: string; cause?: unknown }) {
    super(code, shortMessage, options);
  }
}

/**
 * Why a merchant answered a request that carried a payment or an entitlement with `402`:
 * the closed list, with whether paying a fresh invoice (the one in the same `402`) can help.
 * Sent as `error` in {@link PaymentRequired} and `errorReason` in {@link SettlementResponse}.
 */
export const paymentRefusalCodes = {
  MALFORMED_PAYMENT: {
    payAgain: false,
    description: 'The PAYMENT-SIGNATURE header or a token in it cannot be parsed.',
  },
  UNSUPPORTED_SCHEME: {
    payAgain: true,
    description: 'The payment uses a scheme or x402 version this route does not take.',
  },
  REQUEST_INVALID: {
    payAgain: true,
    description: "The payment request is not this merchant's: its MAC fails or it names another payee, hub or network.",
  },
  WRONG_RESOURCE: { payAgain: true, description: 'The invoice was issued for another resource.' },
  INVOICE_EXPIRED: { payAgain: true, description: 'The invoice expired before the paid retry arrived.' },
  UNDERPAID: { payAgain: true, description: "The invoice's amount or asset is not this resource's current price." },
  RECEIPT_INVALID: {
    payAgain: false,
    description: "The receipt's MAC does not verify under the key shared with the hub.",
  },
  RECEIPT_MISMATCH: {
    payAgain: false,
    description: 'The receipt names another invoice, payee, amount, asset, hub or network than the payment request.',
  },
  INVOICE_USED: { payAgain: true, description: 'This invoice was already redeemed; an invoice serves one request.' },
  ENTITLEMENT_INVALID: {
    payAgain: true,
    description: 'The entitlement is malformed, forged, or for another merchant, network or resource.',
  },
  ENTITLEMENT_EXPIRED: { payAgain: true, description: 'The entitlement has expired.' },
} as const satisfies Record<string, { payAgain: boolean; description: string }>;

/** A refusal code (see {@link paymentRefusalCodes}). */
export type PaymentRefusalCode = keyof typeof paymentRefusalCodes;

/**
 * True when `code` is one of {@link paymentRefusalCodes}.
 *
 * @example
 * ```ts
 * import { isPaymentRefusalCode } from '@trickle/protocol';
 * isPaymentRefusalCode('INVOICE_USED'); // true
 * ```
 */
export function isPaymentRefusalCode(code: unknown): code is PaymentRefusalCode {
  return typeof code === 'string' && Object.hasOwn(paymentRefusalCodes, code);
}

// ---------------------------------------------------------------------------------------------
// Message types (x402 v2 shapes)
// ---------------------------------------------------------------------------------------------

/** x402 `ResourceInfo`: what is being sold, for people and agents. */
export interface ResourceInfo {
  readonly url: string;
  readonly description?: string;
  readonly mimeType?: string;
}

/** One x402 v2 `PaymentRequirements` entry of any scheme. */
export interface PaymentRequirements {
  readonly scheme: string;
  /** CAIP-2 network id; Trickle's is `trickle:<networkId>`. */
  readonly network: string;
  /** Price in the asset's atomic (minor) units, decimal digits. */
  readonly amount: string;
  readonly asset: string;
  readonly payTo: string;
  readonly maxTimeoutSeconds: number;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/**
 * The `extra` of a Trickle offer: what the client needs to pay it through its hub. (A type
 * alias, not an interface, so that it fits x402's `Record<string, unknown>`.)
 */
export type TrickleRequirementsExtra = {
  /** Where the payer's wallet reaches the hub (`wss:`, `ws:`, `https:` or `http:`). */
  readonly hubUrl: string;
  /** The hub's id, 64 lowercase hex characters. */
  readonly hubId: string;
  /** Decimal places of one minor unit of `asset`. */
  readonly assetScale: number;
  /** The price for people, e.g. `"0.002 USD"`. */
  readonly price: string;
  /** The resource name whose sha256 the invoice is bound to (e.g. `"GET /articles/42"`). */
  readonly resource: string;
  /** When the invoice expires, Unix milliseconds. */
  readonly expiresAtMs: number;
  /** The merchant's MAC'd payment request (see `encodePaymentRequest`), what the wallet pays. */
  readonly paymentRequest: string;
};

/** A Trickle entry of `accepts`. Its readable fields restate the `paymentRequest` token. */
export interface TricklePaymentRequirements extends PaymentRequirements {
  readonly scheme: typeof trickleScheme;
  /** The payee id, 64 lowercase hex characters. */
  readonly payTo: string;
  /** The asset code, e.g. `USD`. */
  readonly asset: string;
  readonly extra: TrickleRequirementsExtra;
}

/** x402 v2 `PaymentRequired`: the `402` answer (header `PAYMENT-REQUIRED`, and the body). */
export interface PaymentRequired {
  readonly x402Version: typeof x402Version;
  /** Why the request was not served: absent on a first `402`, else a {@link PaymentRefusalCode}. */
  readonly error?: string;
  readonly resource: ResourceInfo;
  readonly accepts: readonly PaymentRequirements[];
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/** The scheme-specific `payload` of a Trickle payment: two tokens, base64url. */
export interface TricklePayload {
  /** The payment request exactly as offered (`accepted.extra.paymentRequest`). */
  readonly paymentRequest: string;
  /** The hub's receipt for it (see `encodeReceipt`). */
  readonly receipt: string;
}

/** x402 v2 `PaymentPayload` of scheme `trickle`: header `PAYMENT-SIGNATURE` of the paid retry. */
export interface TricklePaymentPayload {
  readonly x402Version: typeof x402Version;
  readonly resource?: ResourceInfo;
  readonly accepted: TricklePaymentRequirements;
  readonly payload: TricklePayload;
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/**
 * x402 v2 `SettlementResponse` (header `PAYMENT-RESPONSE`). For Trickle, `transaction` is the
 * invoice id and `payer` the paying channel id (hex); on refusal, `success` is false,
 * `errorReason` a {@link PaymentRefusalCode} and `transaction` empty.
 */
export interface SettlementResponse {
  readonly success: boolean;
  readonly errorReason?: string;
  readonly payer?: string;
  readonly transaction: string;
  readonly network: string;
}

// ---------------------------------------------------------------------------------------------
// Offers
// ---------------------------------------------------------------------------------------------

/** Parameters of {@link createTrickleRequirements}. */
export interface CreateTrickleRequirementsParameters {
  /** The merchant's MAC'd payment request. */
  readonly request: PaymentRequest;
  /** The resource name the request is bound to: `resourceHash(resource)` must equal `request.resource`. */
  readonly resource: string;
  readonly hubUrl: string;
  /** Now, Unix ms: `maxTimeoutSeconds` counts from here to the invoice's expiry. */
  readonly nowMs: number;
}

/**
 * The `accepts` entry that offers `request` to Trickle wallets.
 *
 * @example
 * ```ts
 * import { createTrickleRequirements, type PaymentRequest } from '@trickle/protocol';
 * declare const request: PaymentRequest;
 * const entry = createTrickleRequirements({
 *   request, resource: 'GET /articles/42', hubUrl: 'wss://hub.example', nowMs: Date.now(),
 * });
 * entry.scheme; // 'trickle'
 * ```
 */
export function createTrickleRequirements(parameters: CreateTrickleRequirementsParameters): TricklePaymentRequirements {
  const { request, resource, hubUrl, nowMs } = parameters;
  checkResourceName(resource, 'resource', RangeError);
  if (!equalBytes(resourceHash(resource), request.resource)) {
    throw new RangeError('resource: its sha256 is not the request resource');
  }
  checkHubUrl(hubUrl, 'hubUrl', RangeError);
  assertTimeMs(nowMs, 'nowMs');
  const requestAsset = checkAsset(request.asset.code, request.asset.scale);
  return {
    scheme: trickleScheme,
    network: trickleNetwork(request.networkId),
    amount: request.amount.toString(),
    asset: requestAsset.code,
    payTo: toHex(request.payee),
    maxTimeoutSeconds: Math.max(1, Math.ceil((request.expiresAtMs - nowMs) / 1000)),
    extra: {
      hubUrl,
      hubId: toHex(request.hubId),
      assetScale: requestAsset.scale,
      price: formatAmount(request.amount, requestAsset, { withCode: true }),
      resource,
      expiresAtMs: request.expiresAtMs,
      paymentRequest: encodePaymentRequest(request),
    },
  };
}

/**
 * The x402 network id of a Trickle network: `trickle:<networkId>` (valid CAIP-2).
 *
 * @example
 * ```ts
 * import { trickleNetwork } from '@trickle/protocol';
 * trickleNetwork(7); // 'trickle:7'
 * ```
 */
export function trickleNetwork(networkId: number): string {
  if (!Number.isInteger(networkId) || networkId < 0 || networkId > 0xffff_ffff) {
    throw new RangeError('networkId: expected a u32');
  }
  return `trickle:${networkId}`;
}

/** A Trickle offer read from an `accepts` list: the entry and the request token it carries. */
export interface TrickleOffer {
  readonly requirements: TricklePaymentRequirements;
  /** The decoded payment request (its MAC is for the hub and the merchant to check). */
  readonly request: PaymentRequest;
}

/**
 * Checks one `accepts` entry of scheme `trickle` strictly and decodes its token; every
 * readable field must restate the token (amount, asset, payee, network, hub, expiry,
 * resource), so a wallet's spending policy can trust what it shows. Throws
 * {@link Http402Error} (`MALFORMED_HEADER`, `UNSUPPORTED_SCHEME`, `INCONSISTENT_OFFER`).
 *
 * @example
 * ```ts
 * import { readTrickleOffer, type PaymentRequirements } from '@trickle/protocol';
 * declare const entry: PaymentRequirements;
 * const { request } = readTrickleOffer(entry);
 * request.amount; // bigint minor units
 * ```
 */
export function readTrickleOffer(entry: unknown): TrickleOffer {
  const requirements = parseTrickleRequirements(entry, 'offer');
  let request: PaymentRequest;
  try {
    request = decodePaymentRequest(requirements.extra.paymentRequest);
  } catch (cause) {
    throw new Http402Error('MALFORMED_HEADER', 'the offer carries no valid payment request', { cause });
  }
  if (!equalBytes(resourceHash(requirements.extra.resource), request.resource)) {
    throw new Http402Error('INCONSISTENT_OFFER', 'the offer says something its payment request does not', {
      details: 'field extra.resource',
    });
  }
  const expected = createTrickleRequirements({
    request,
    resource: requirements.extra.resource,
    hubUrl: requirements.extra.hubUrl,
    nowMs: 0,
  });
  const mismatch = differingField(requirements, expected);
  if (mismatch !== undefined) {
    throw new Http402Error('INCONSISTENT_OFFER', 'the offer says something its payment request does not', {
      details: `field ${mismatch}`,
    });
  }
  return { requirements, request };
}

function differingField(found: TricklePaymentRequirements, expected: TricklePaymentRequirements): string | undefined {
  const pairs: [string, unknown, unknown][] = [
    ['network', found.network, expected.network],
    ['amount', found.amount, expected.amount],
    ['asset', found.asset, expected.asset],
    ['payTo', found.payTo, expected.payTo],
    ['extra.hubId', found.extra.hubId, expected.extra.hubId],
    ['extra.assetScale', found.extra.assetScale, expected.extra.assetScale],
    ['extra.price', found.extra.price, expected.extra.price],
    ['extra.expiresAtMs', found.extra.expiresAtMs, expected.extra.expiresAtMs],
  ];
  for (const [name, a, b] of pairs) if (a !== b) return name;
  return undefined;
}

/**
 * The Trickle offers of a decoded `402`, in server order; entries of other schemes are
 * skipped, a malformed Trickle entry throws {@link Http402Error}.
 *
 * @example
 * ```ts
 * import { decodePaymentRequiredHeader, trickleOffersOf } from '@trickle/protocol';
 * declare const header: string;
 * const [offer] = trickleOffersOf(decodePaymentRequiredHeader(header));
 * ```
 */
export function trickleOffersOf(paymentRequired: PaymentRequired): TrickleOffer[] {
  return paymentRequired.accepts.filter((entry) => entry.scheme === trickleScheme).map(readTrickleOffer);
}

// ---------------------------------------------------------------------------------------------
// PAYMENT-REQUIRED
// ---------------------------------------------------------------------------------------------

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
 * x402 version 2, scheme `trickle`, exact keys, token syntax, and `payload.paymentRequest`
 * equal to `accepted.extra.paymentRequest`. Says nothing about MACs. Throws
 * {@link Http402Error}; `UNSUPPORTED_SCHEME` when the payment is for another scheme.
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
  const accepted = parseTrickleRequirements(object.accepted, 'accepted');
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

// ---------------------------------------------------------------------------------------------
// Entitlements
// ---------------------------------------------------------------------------------------------

/**
 * The signed fields of an entitlement: "payee sold `resource` under invoice `invoiceId`, paid
 * through channel `channelId`; whoever holds this may read it until `expiresAtMs`". A bearer
 * token (docs/adr/0302-entitlement-token.md): it works on any device that has it.
 */
export interface EntitlementBody {
  readonly networkId: number;
  /** The merchant that signed it: `payeeIdFromKey(merchant public key)`. */
  readonly payee: PayeeId;
  /** sha256 of the resource name (see `resourceHash`). */
  readonly resource: Uint8Array;
  /** The invoice whose payment bought it: a proof of purchase that links to the receipt. */
  readonly invoiceId: InvoiceId;
  /** The channel that paid. */
  readonly channelId: ChannelId;
  readonly issuedAtMs: number;
  /** Unix ms after which it is refused; after `issuedAtMs`. */
  readonly expiresAtMs: number;
}

/** An entitlement with the merchant's signature (64-byte compact, low-S, over sha256 of the layout). */
export interface Entitlement extends EntitlementBody {
  readonly signature: Signature;
}

/** Length of an entitlement's signed bytes: header(entitlement) || payee || resource || invoiceId || channelId || issuedAtMs || expiresAtMs. */
export const entitlementBytesLength = 13 + 32 + 32 + 16 + 32 + 8 + 8;

/** Length of an entitlement token: unpadded base64url of the signed bytes then the signature. */
export const entitlementTokenChars = Math.ceil(((entitlementBytesLength + byteSizes.signature) * 4) / 3);

const paymentRequestTokenChars = Math.ceil(((paymentRequestBytesLength + byteSizes.mac) * 4) / 3);
const receiptTokenChars = Math.ceil(((receiptBytesLength + byteSizes.mac) * 4) / 3);

/**
 * The exact bytes an entitlement's signature covers (141 bytes).
 *
 * @example
 * ```ts
 * import { entitlementBytes, type EntitlementBody } from '@trickle/protocol';
 * declare const body: EntitlementBody;
 * entitlementBytes(body).length; // 141
 * ```
 */
export function entitlementBytes(body: EntitlementBody): Uint8Array {
  const issuedAtMs = assertTimeMs(body.issuedAtMs, 'issuedAtMs');
  const expiresAtMs = assertTimeMs(body.expiresAtMs, 'expiresAtMs');
  if (expiresAtMs <= issuedAtMs) throw new RangeError('expiresAtMs: must be after issuedAtMs');
  return beginLayout('entitlement', body.networkId, entitlementBytesLength)
    .bytes(body.payee, byteSizes.payeeId, 'payee')
    .bytes(assertBytes(body.resource, byteSizes.resource, 'resource'), byteSizes.resource, 'resource')
    .bytes(body.invoiceId, byteSizes.invoiceId, 'invoiceId')
    .bytes(body.channelId, byteSizes.channelId, 'channelId')
    .u64(issuedAtMs)
    .u64(expiresAtMs)
    .finish();
}

/**
 * Signs an entitlement with the merchant's key (the signer's key must be the payee's).
 *
 * @example
 * ```ts
 * import { signEntitlement, type EntitlementBody, type Signer } from '@trickle/protocol';
 * declare const merchant: Signer, body: EntitlementBody;
 * const entitlement = signEntitlement(merchant, body);
 * ```
 */
export function signEntitlement(signer: Signer, body: EntitlementBody): Entitlement {
  if (!equalBytes(payeeIdFromKey(signer.publicKey), body.payee)) {
    throw new RangeError("payee: not the signer's payee id");
  }
  return { ...body, signature: signer.sign(entitlementBytes(body)) };
}

/**
 * An entitlement as one unpadded base64url token (274 characters), for headers and cookies.
 *
 * @example
 * ```ts
 * import { encodeEntitlement, type Entitlement } from '@trickle/protocol';
 * declare const entitlement: Entitlement;
 * const token = encodeEntitlement(entitlement);
 * ```
 */
export function encodeEntitlement(entitlement: Entitlement): string {
  return toBase64url(
    concatBytes(entitlementBytes(entitlement), assertBytes(entitlement.signature, byteSizes.signature, 'signature')),
  );
}

/**
 * Parses {@link encodeEntitlement}'s output; throws `TrickleError('MALFORMED_TOKEN')` for
 * anything else. Checks no signature (see {@link checkEntitlement}).
 *
 * @example
 * ```ts
 * import { decodeEntitlement } from '@trickle/protocol';
 * declare const token: string;
 * decodeEntitlement(token).expiresAtMs; // when it stops working
 * ```
 */
export function decodeEntitlement(tokenText: string): Entitlement {
  try {
    if (typeof tokenText !== 'string' || tokenText.length !== entitlementTokenChars) {
      throw new RangeError('wrong length');
    }
    const bytes = fromBase64url(tokenText, 'entitlement');
    const reader = new ByteReader(bytes);
    const networkId = readHeader(reader, 'entitlement');
    const entitlement: Entitlement = {
      networkId,
      payee: reader.bytes(32) as PayeeId,
      resource: reader.bytes(32),
      invoiceId: reader.bytes(16) as InvoiceId,
      channelId: reader.bytes(32) as ChannelId,
      issuedAtMs: assertTimeMs(Number(reader.u64()), 'issuedAtMs'),
      expiresAtMs: assertTimeMs(Number(reader.u64()), 'expiresAtMs'),
      signature: reader.bytes(64) as Signature,
    };
    reader.end();
    if (entitlement.expiresAtMs <= entitlement.issuedAtMs) throw new RangeError('expires before issued');
    return entitlement;
  } catch (cause) {
    throw new TrickleError('MALFORMED_TOKEN', 'not a valid trickle entitlement', { cause });
  }
}

/** What {@link checkEntitlement} needs to know about the place the entitlement is shown. */
export interface EntitlementContext {
  /** The merchant's public key (the trust anchor; an edge needs nothing secret). */
  readonly merchantKey: PublicKey;
  readonly networkId: number;
  /** sha256 of the resource being requested. */
  readonly resource: Uint8Array;
  readonly nowMs: number;
  readonly verifier: Verifier;
}

/** The outcome of {@link checkEntitlement}. */
export type EntitlementCheck =
  | 'valid'
  | 'expired'
  | 'wrongMerchant'
  | 'wrongNetwork'
  | 'wrongResource'
  | 'badSignature';

/**
 * Checks an entitlement for one resource, cheapest first: network, merchant, resource,
 * expiry, then the signature (64-byte compact low-S, by the merchant's key).
 *
 * @example
 * ```ts
 * import { checkEntitlement, decodeEntitlement, nobleVerifier, resourceHash, type PublicKey } from '@trickle/protocol';
 * declare const token: string, merchantKey: PublicKey;
 * checkEntitlement(decodeEntitlement(token), {
 *   merchantKey, networkId: 7, resource: resourceHash('GET /articles/42'), nowMs: Date.now(), verifier: nobleVerifier,
 * }); // 'valid'
 * ```
 */
export function checkEntitlement(entitlement: Entitlement, context: EntitlementContext): EntitlementCheck {
  if (entitlement.networkId !== context.networkId) return 'wrongNetwork';
  if (!equalBytes(entitlement.payee, payeeIdFromKey(context.merchantKey))) return 'wrongMerchant';
  if (!equalBytes(entitlement.resource, context.resource)) return 'wrongResource';
  if (context.nowMs >= entitlement.expiresAtMs) return 'expired';
  let bytes: Uint8Array;
  try {
    bytes = entitlementBytes(entitlement);
  } catch {
    return 'badSignature';
  }
  const check = checkSignature(context.verifier, entitlement.signature, bytes, context.merchantKey);
  return check === 'valid' ? 'valid' : 'badSignature';
}

/**
 * The `TRICKLE-ENTITLEMENT` request header for some tokens: comma-separated.
 *
 * @example
 * ```ts
 * import { formatEntitlementHeader } from '@trickle/protocol';
 * declare const token: string;
 * const headers = { 'TRICKLE-ENTITLEMENT': formatEntitlementHeader([token]) };
 * ```
 */
export function formatEntitlementHeader(tokens: readonly string[]): string {
  if (tokens.length < 1 || tokens.length > entitlementsPerRequestMax) {
    throw new RangeError(`tokens: expected 1-${entitlementsPerRequestMax} entitlement tokens`);
  }
  for (const [i, item] of tokens.entries()) token(item, entitlementTokenChars, `tokens[${i}]`, RangeError);
  return tokens.join(', ');
}

/**
 * The tokens of a `TRICKLE-ENTITLEMENT` header value: 1 to {@link entitlementsPerRequestMax}
 * comma-separated tokens of the right syntax (not yet checked). Throws {@link Http402Error}.
 *
 * @example
 * ```ts
 * import { parseEntitlementHeader } from '@trickle/protocol';
 * declare const header: string;
 * for (const token of parseEntitlementHeader(header)) console.log(token.length); // 274
 * ```
 */
export function parseEntitlementHeader(header: string): string[] {
  const charsMax = entitlementsPerRequestMax * (entitlementTokenChars + 2);
  if (typeof header !== 'string') malformed('TRICKLE-ENTITLEMENT: expected a string');
  if (header.length > charsMax) {
    throw new Http402Error('HEADER_TOO_LARGE', 'TRICKLE-ENTITLEMENT header too large', {
      details: `${header.length} > ${charsMax} characters`,
    });
  }
  const tokens = header.split(',').map((part) => part.trim());
  if (tokens.length > entitlementsPerRequestMax) malformed('TRICKLE-ENTITLEMENT: too many tokens');
  return tokens.map((item, i) => token(item, entitlementTokenChars, `TRICKLE-ENTITLEMENT[${i}]`));
}

/** Options of {@link formatEntitlementCookie}. */
export interface EntitlementCookieOptions {
  /** The cookie's `Path`: the resource's URL path, so the browser sends it only there. */
  readonly path: string;
  /** `Max-Age` in whole seconds, at least 1. */
  readonly maxAgeSeconds: number;
  /** Send only over HTTPS. Default `true`. */
  readonly secure?: boolean;
  /** Default `'Lax'`. */
  readonly sameSite?: 'Strict' | 'Lax' | 'None';
}

/**
 * A `Set-Cookie` value carrying an entitlement, `HttpOnly` (page scripts never see it).
 *
 * @example
 * ```ts
 * import { formatEntitlementCookie } from '@trickle/protocol';
 * declare const token: string;
 * formatEntitlementCookie(token, { path: '/articles/42', maxAgeSeconds: 86_400 });
 * // 'trickle_entitlement=…; Path=/articles/42; Max-Age=86400; HttpOnly; Secure; SameSite=Lax'
 * ```
 */
export function formatEntitlementCookie(tokenText: string, options: EntitlementCookieOptions): string {
  token(tokenText, entitlementTokenChars, 'token', RangeError);
  const { path, maxAgeSeconds } = options;
  // RFC 6265 path-av: any CHAR except CTLs and ";"; it must be an absolute path.
  if (typeof path !== 'string' || !/^\/[\x21-\x3a\x3c-\x7e]{0,2047}$/.test(path)) {
    throw new RangeError('path: expected an absolute URL path without ";", spaces or controls');
  }
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 1) {
    throw new RangeError('maxAgeSeconds: expected a positive integer');
  }
  const sameSite = options.sameSite ?? 'Lax';
  if (sameSite !== 'Strict' && sameSite !== 'Lax' && sameSite !== 'None') {
    throw new RangeError('sameSite: expected Strict, Lax or None');
  }
  const secure = options.secure ?? true;
  if (sameSite === 'None' && !secure) throw new RangeError('sameSite None requires secure');
  return `${entitlementCookieName}=${tokenText}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly${secure ? '; Secure' : ''}; SameSite=${sameSite}`;
}

/**
 * The entitlement tokens among a request's cookies (the `Cookie` header): values of
 * {@link entitlementCookieName} with token syntax, at most {@link entitlementsPerRequestMax};
 * other cookies and malformed values are ignored, since other code shares this header.
 *
 * @example
 * ```ts
 * import { entitlementTokensFromCookies } from '@trickle/protocol';
 * entitlementTokensFromCookies('theme=dark; other=1'); // []
 * ```
 */
export function entitlementTokensFromCookies(cookieHeader: string): string[] {
  if (typeof cookieHeader !== 'string') return [];
  const found: string[] = [];
  const prefix = `${entitlementCookieName}=`;
  let start = 0;
  while (start < cookieHeader.length && found.length < entitlementsPerRequestMax) {
    let end = cookieHeader.indexOf(';', start);
    if (end === -1) end = cookieHeader.length;
    const pair = cookieHeader.slice(start, end).trim();
    if (pair.startsWith(prefix)) {
      const value = pair.slice(prefix.length);
      if (isToken(value, entitlementTokenChars)) found.push(value);
    }
    start = end + 1;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Strict parsing helpers (private)
// ---------------------------------------------------------------------------------------------

type JsonObject = Record<string, unknown>;
type ErrorClass = new (message: string) => Error;

function malformed(details: string): never {
  throw new Http402Error('MALFORMED_HEADER', 'not a valid x402 message', { details });
}

function encodeJsonHeader(value: unknown, charsMax: number, title: string): string {
  const encoded = base64.encode(utf8.decode(JSON.stringify(value)));
  if (encoded.length > charsMax) throw new RangeError(`${title}: ${encoded.length} > ${charsMax} characters`);
  return encoded;
}

function decodeJsonHeader(header: string, charsMax: number, title: string): unknown {
  if (typeof header !== 'string') malformed(`${title}: expected a string`);
  if (header.length > charsMax) {
    throw new Http402Error('HEADER_TOO_LARGE', `${title} header too large`, {
      details: `${header.length} > ${charsMax} characters`,
    });
  }
  let json: string;
  try {
    json = utf8.encode(base64.decode(header));
  } catch (cause) {
    throw new Http402Error('MALFORMED_HEADER', `${title} is not base64 of UTF-8`, { cause });
  }
  try {
    return JSON.parse(json);
  } catch (cause) {
    throw new Http402Error('MALFORMED_HEADER', `${title} is not JSON`, { cause });
  }
}

function record(value: unknown, title: string, required: readonly string[], optional: readonly string[]): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) malformed(`${title}: expected an object`);
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key)) {
      malformed(`${title}: unexpected key ${JSON.stringify(key.slice(0, 40))}`);
    }
  }
  for (const key of required) if (!Object.hasOwn(value, key)) malformed(`${title}.${key}: missing`);
  return value as JsonObject;
}

function opaqueObject(value: unknown, title: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) malformed(`${title}: expected an object`);
  return value as Record<string, unknown>;
}

function text(value: unknown, charsMax: number, title: string, pattern?: RegExp): string {
  if (typeof value !== 'string' || value.length > charsMax) {
    malformed(`${title}: expected a string of at most ${charsMax} characters`);
  }
  if (pattern !== undefined && !pattern.test(value)) malformed(`${title}: bad syntax`);
  return value;
}

function integer(value: unknown, min: number, max: number, title: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    malformed(`${title}: expected an integer in ${min}..${max}`);
  }
  return value;
}

const base64urlPattern = /^[A-Za-z0-9_-]*$/;

function isToken(value: unknown, chars: number): value is string {
  return typeof value === 'string' && value.length === chars && base64urlPattern.test(value);
}

function token(value: unknown, chars: number, title: string, error?: ErrorClass): string {
  if (!isToken(value, chars)) {
    const details = `${title}: expected ${chars} base64url characters`;
    if (error !== undefined) throw new error(details);
    malformed(details);
  }
  return value;
}

function checkVersion(version: unknown): void {
  if (version !== x402Version) {
    const details = typeof version === 'number' ? `x402Version ${version}` : 'no x402Version';
    throw new Http402Error('UNSUPPORTED_VERSION', 'not an x402 version 2 message', { details });
  }
}

const urlPattern = /^[a-z][a-z0-9+.-]*:[\x21-\x7e]+$/i;
const hubUrlPattern = /^(wss?|https?):\/\/[\x21-\x7e]+$/;

function checkResourceName(value: unknown, title: string, error: ErrorClass): string {
  // Printable ASCII and spaces only: a resource name is hashed, so it must have one spelling.
  if (
    typeof value !== 'string' ||
    value.length < 1 ||
    value.length > resourceCharsMax ||
    !/^[\x20-\x7e]+$/.test(value)
  ) {
    throw new error(`${title}: expected 1-${resourceCharsMax} printable ASCII characters`);
  }
  return value;
}

function checkHubUrl(value: unknown, title: string, error: ErrorClass): string {
  if (typeof value !== 'string' || value.length > urlCharsMax || !hubUrlPattern.test(value)) {
    throw new error(`${title}: expected a ws:, wss:, http: or https: URL of at most ${urlCharsMax} characters`);
  }
  return value;
}

function parseResourceInfo(value: unknown, title: string): ResourceInfo {
  const object = record(value, title, ['url'], ['description', 'mimeType']);
  return {
    url: text(object.url, urlCharsMax, `${title}.url`, urlPattern),
    ...(object.description === undefined
      ? {}
      : { description: text(object.description, textCharsMax, `${title}.description`) }),
    ...(object.mimeType === undefined ? {} : { mimeType: text(object.mimeType, nameCharsMax, `${title}.mimeType`) }),
  };
}

function parseForeignRequirements(value: unknown, title: string): PaymentRequirements {
  // Another scheme's entry: check the x402 core fields, leave the rest to its own client.
  const object = opaqueObject(value, title);
  for (const key of ['scheme', 'network', 'amount', 'asset', 'payTo']) {
    text(object[key], key === 'scheme' || key === 'network' ? nameCharsMax : urlCharsMax, `${title}.${key}`);
  }
  if (typeof object.maxTimeoutSeconds !== 'number') malformed(`${title}.maxTimeoutSeconds: expected a number`);
  if (object.extra !== undefined) opaqueObject(object.extra, `${title}.extra`);
  return object as unknown as PaymentRequirements;
}

/** Characters of a 32-byte id in hex (`payTo`, `extra.hubId`). */
const hexIdChars = 64;
/** Most digits of an amount in minor units (2^63 - 1 has 19). */
const amountDigitsMax = 19;
/** Longest network id: `trickle:` and a u32 in decimal. */
const networkCharsMax = 'trickle:'.length + 10;
/** Longest human-readable price, e.g. `"9223372036854.775807 ABCDEFGHIJKL"`. */
const priceCharsMax = 64;
const hex64Pattern = /^[0-9a-f]{64}$/;
const unitsPattern = /^[1-9][0-9]{0,18}$/;
const networkPattern = /^trickle:(0|[1-9][0-9]{0,9})$/;
const assetCodePattern = /^[A-Z][A-Z0-9]{0,11}$/;

function parseTrickleRequirements(value: unknown, title: string): TricklePaymentRequirements {
  const object = record(
    value,
    title,
    ['scheme', 'network', 'amount', 'asset', 'payTo', 'maxTimeoutSeconds', 'extra'],
    [],
  );
  if (object.scheme !== trickleScheme) {
    throw new Http402Error('UNSUPPORTED_SCHEME', 'not a trickle offer', { details: `${title}.scheme` });
  }
  const network = text(object.network, networkCharsMax, `${title}.network`, networkPattern);
  if (Number(network.slice('trickle:'.length)) > 0xffff_ffff) malformed(`${title}.network: not a u32`);
  const amount = text(object.amount, amountDigitsMax, `${title}.amount`, unitsPattern);
  if (BigInt(amount) > amountMax) malformed(`${title}.amount: above the largest amount`);
  const extra = record(
    object.extra,
    `${title}.extra`,
    ['hubUrl', 'hubId', 'assetScale', 'price', 'resource', 'expiresAtMs', 'paymentRequest'],
    [],
  );
  const parsedExtra: TrickleRequirementsExtra = {
    hubUrl: checkHubUrlOrMalformed(extra.hubUrl, `${title}.extra.hubUrl`),
    hubId: text(extra.hubId, hexIdChars, `${title}.extra.hubId`, hex64Pattern),
    assetScale: integer(extra.assetScale, 0, assetScaleMax, `${title}.extra.assetScale`),
    price: text(extra.price, priceCharsMax, `${title}.extra.price`),
    resource: resourceNameOrMalformed(extra.resource, `${title}.extra.resource`),
    expiresAtMs: integer(extra.expiresAtMs, 0, timeMsMax, `${title}.extra.expiresAtMs`),
    paymentRequest: token(extra.paymentRequest, paymentRequestTokenChars, `${title}.extra.paymentRequest`),
  };
  return {
    scheme: trickleScheme,
    network,
    amount,
    asset: text(object.asset, assetCodeCharsMax, `${title}.asset`, assetCodePattern),
    payTo: text(object.payTo, hexIdChars, `${title}.payTo`, hex64Pattern),
    maxTimeoutSeconds: integer(object.maxTimeoutSeconds, 1, Math.ceil(timeMsMax / 1000), `${title}.maxTimeoutSeconds`),
    extra: parsedExtra,
  };
}

function checkHubUrlOrMalformed(value: unknown, title: string): string {
  try {
    return checkHubUrl(value, title, TypeError);
  } catch (error) {
    malformed((error as Error).message);
  }
}

function resourceNameOrMalformed(value: unknown, title: string): string {
  try {
    return checkResourceName(value, title, TypeError);
  } catch (error) {
    malformed((error as Error).message);
  }
}
