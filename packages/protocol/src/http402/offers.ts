import { asset as checkAsset, formatAmount } from '../amount.js';
import { equalBytes, toHex } from '../bytes.js';
import { assertTimeMs } from '../channelRequests.js';
import { decodePaymentRequest, encodePaymentRequest, type PaymentRequest, resourceHash } from '../paymentRequest.js';
import { Http402Error } from './errors.js';
import { checkHubUrl, checkResourceName, parseTrickleRequirements } from './json.js';
import { trickleScheme } from './names.js';
import type { PaymentRequired, TricklePaymentRequirements } from './types.js';

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
 * resource), so a wallet's spending policy can trust what it shows, and a merchant can
 * trust the `accepted` entry a paid retry echoes. `path` names the entry in error messages.
 * Throws {@link Http402Error} (`MALFORMED_HEADER`, `UNSUPPORTED_SCHEME`,
 * `INCONSISTENT_OFFER`).
 *
 * @example
 * ```ts
 * import { readTrickleOffer, type PaymentRequirements } from '@trickle/protocol';
 * declare const entry: PaymentRequirements;
 * const { request } = readTrickleOffer(entry);
 * request.amount; // bigint minor units
 * ```
 */
export function readTrickleOffer(entry: unknown, path = 'offer'): TrickleOffer {
  const requirements = parseTrickleRequirements(entry, path);
  let request: PaymentRequest;
  try {
    request = decodePaymentRequest(requirements.extra.paymentRequest);
  } catch (cause) {
    throw new Http402Error('MALFORMED_HEADER', `${path} carries no valid payment request`, { cause });
  }
  if (!equalBytes(resourceHash(requirements.extra.resource), request.resource)) {
    throw new Http402Error('INCONSISTENT_OFFER', `${path} says something its payment request does not`, {
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
    throw new Http402Error('INCONSISTENT_OFFER', `${path} says something its payment request does not`, {
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
  return paymentRequired.accepts
    .filter((entry) => entry.scheme === trickleScheme)
    .map((entry) => readTrickleOffer(entry));
}
