/**
 * Offers: a fresh single-use invoice for one resource at one price, as the merchant's MAC'd
 * payment request wrapped in an x402 `accepts` entry of scheme `trickle`.
 */
import {
  asInvoiceId,
  assertAmount,
  createPaymentRequest,
  createTrickleRequirements,
  type PaymentRefusalCode,
  type PaymentRequired,
  resourceCharsMax,
  resourceHash,
  type TrickleOffer,
  x402Version,
} from '@trickle/protocol';
import type { MerchantContext } from './merchantConfig.js';

/** Parameters of {@link createOffer}. */
export interface CreateOfferParameters {
  /** The resource name the invoice is bound to (e.g. `GET /articles/42`). */
  readonly resource: string;
  /** The price in minor units of the merchant's asset, at least 1. */
  readonly amount: bigint;
}

/**
 * A fresh invoice for `resource` at `amount`, valid for the merchant's invoice TTL.
 *
 * @example
 * ```ts
 * import { createMerchant } from '@trickle/merchant';
 * declare const merchant: ReturnType<typeof createMerchant>;
 * const { requirements } = merchant.createOffer({ resource: 'GET /articles/42', amount: 2000n });
 * ```
 */
export function createOffer(context: MerchantContext, parameters: CreateOfferParameters): TrickleOffer {
  const { resource } = parameters;
  checkResourceName(resource);
  const amount = assertAmount(parameters.amount, 'amount');
  if (amount < 1n) throw new RangeError('amount: an offer is for at least 1 minor unit');
  const nowMs = context.clock.nowMs();
  const request = createPaymentRequest(context.macKey, {
    networkId: context.networkId,
    hubId: context.hubId,
    payee: context.payee,
    invoiceId: asInvoiceId(context.randomBytes(16)),
    asset: context.asset,
    amount,
    expiresAtMs: nowMs + context.invoiceTtlMs,
    resource: resourceHash(resource),
  });
  return {
    request,
    requirements: createTrickleRequirements({ request, resource, hubUrl: context.hubUrl, nowMs }),
  };
}

/** Parameters of {@link createPaymentRequired}. */
export interface CreatePaymentRequiredParameters extends CreateOfferParameters {
  /** The absolute URL of the resource, for `resource.url`. */
  readonly url: string;
  readonly description?: string;
  readonly mimeType?: string;
  /** Why an attempt was refused, when it was. */
  readonly error?: PaymentRefusalCode;
}

/**
 * A whole x402 `PaymentRequired` with one fresh Trickle offer.
 *
 * @example
 * ```ts
 * import { createMerchant } from '@trickle/merchant';
 * declare const merchant: ReturnType<typeof createMerchant>;
 * const body = merchant.createPaymentRequired({ resource: 'GET /a', amount: 1n, url: 'https://x.example/a' });
 * body.accepts[0]?.scheme; // 'trickle'
 * ```
 */
export function createPaymentRequired(
  context: MerchantContext,
  parameters: CreatePaymentRequiredParameters,
): PaymentRequired {
  const { requirements } = createOffer(context, parameters);
  return {
    x402Version,
    ...(parameters.error === undefined ? {} : { error: parameters.error }),
    resource: {
      url: parameters.url,
      ...(parameters.description === undefined ? {} : { description: parameters.description }),
      ...(parameters.mimeType === undefined ? {} : { mimeType: parameters.mimeType }),
    },
    accepts: [requirements],
  };
}

/**
 * Checks a resource name: 1 to 1,024 printable ASCII characters (it is hashed, so it must
 * have exactly one spelling). Throws a titled `TypeError`.
 *
 * @example
 * ```ts
 * import { checkResourceName } from '@trickle/merchant';
 * checkResourceName('GET /articles/42');
 * ```
 */
export function checkResourceName(resource: unknown): string {
  if (
    typeof resource !== 'string' ||
    resource.length < 1 ||
    resource.length > resourceCharsMax ||
    !/^[\x20-\x7e]+$/.test(resource)
  ) {
    throw new TypeError(`resource: expected 1-${resourceCharsMax} printable ASCII characters`);
  }
  return resource;
}
