/**
 * Entitlements: after a paid request, a token signed by the merchant's key that lets whoever
 * holds it read the same resource again, on any device, until it expires, without paying.
 * Checking one needs only the merchant's public key (docs/adr/0302-entitlement-token.md).
 */
import {
  checkEntitlement,
  decodeEntitlement,
  type Entitlement,
  encodeEntitlement,
  type PaymentRefusalCode,
  type Receipt,
  resourceHash,
  signEntitlement,
  type Verifier,
} from '@trickle/protocol';
import { entitlementTtlMsMax, entitlementTtlMsMin } from './limits.js';
import { checkDurationMs, type MerchantContext } from './merchantConfig.js';

/** Parameters of {@link issueEntitlement}. */
export interface IssueEntitlementParameters {
  /** The receipt of the payment that bought it (names the invoice and the channel). */
  readonly receipt: Receipt;
  /** The resource name it opens. */
  readonly resource: string;
  /** Lifetime; default the merchant's `entitlementTtlMs`. */
  readonly ttlMs?: number;
}

/** An entitlement and its token. */
export interface IssuedEntitlement {
  readonly entitlement: Entitlement;
  /** What the client keeps and presents (`TRICKLE-ENTITLEMENT` header or cookie). */
  readonly token: string;
}

/**
 * Signs an entitlement to `resource` for the bearer, from now for `ttlMs`.
 *
 * @example
 * ```ts
 * import { createMerchant } from '@trickle/merchant';
 * import type { Receipt } from '@trickle/protocol';
 * declare const merchant: ReturnType<typeof createMerchant>, receipt: Receipt;
 * const { token } = merchant.issueEntitlement({ receipt, resource: 'GET /articles/42' });
 * ```
 */
export function issueEntitlement(context: MerchantContext, parameters: IssueEntitlementParameters): IssuedEntitlement {
  const ttlMs = checkDurationMs(
    parameters.ttlMs ?? context.entitlementTtlMs,
    'ttlMs',
    entitlementTtlMsMin,
    entitlementTtlMsMax,
  );
  const issuedAtMs = context.clock.nowMs();
  const entitlement = signEntitlement(context.signer, {
    networkId: context.networkId,
    payee: context.payee,
    resource: resourceHash(parameters.resource),
    invoiceId: parameters.receipt.invoiceId,
    channelId: parameters.receipt.channelId,
    issuedAtMs,
    expiresAtMs: issuedAtMs + ttlMs,
  });
  return { entitlement, token: encodeEntitlement(entitlement) };
}

/** The outcome of {@link checkEntitlementToken}. */
export type EntitlementTokenCheck =
  | { readonly ok: true; readonly entitlement: Entitlement; readonly token: string }
  | {
      readonly ok: false;
      readonly reason: Extract<PaymentRefusalCode, `ENTITLEMENT_${string}`>;
      readonly details: string;
    };

/**
 * Checks an entitlement token for `resource` now: syntax, network, merchant, resource,
 * expiry, then the signature. A token whose signature verified before is not verified
 * again (the token is its signed bytes and signature, so the same string is the same
 * signed content); the other checks run every time. Never throws for a bad token.
 *
 * @example
 * ```ts
 * import { createMerchant } from '@trickle/merchant';
 * declare const merchant: ReturnType<typeof createMerchant>, token: string;
 * merchant.checkEntitlement(token, 'GET /articles/42').ok; // true while it lasts
 * ```
 */
export function checkEntitlementToken(
  context: MerchantContext,
  token: string,
  resource: string,
): EntitlementTokenCheck {
  let entitlement: Entitlement;
  try {
    entitlement = decodeEntitlement(token);
  } catch {
    return { ok: false, reason: 'ENTITLEMENT_INVALID', details: 'not an entitlement token' };
  }
  const cache = context.verifiedEntitlements;
  const seen = cache.delete(token);
  const check = checkEntitlement(entitlement, {
    merchantKey: context.publicKey,
    networkId: context.networkId,
    resource: resourceHash(resource),
    nowMs: context.clock.nowMs(),
    verifier: seen ? alreadyVerified : context.verifier,
  });
  if (check === 'valid') {
    cache.set(token, true);
    return { ok: true, entitlement, token };
  }
  if (check === 'expired') {
    return { ok: false, reason: 'ENTITLEMENT_EXPIRED', details: `expired at ${entitlement.expiresAtMs}` };
  }
  return { ok: false, reason: 'ENTITLEMENT_INVALID', details: check };
}

/** Stands in for the verifier for a token whose signature verified before (see the cache above). */
const alreadyVerified: Verifier = { name: 'verified-before', verify: () => true };
