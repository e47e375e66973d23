/**
 * The merchant: its keys, its hub and its prices' asset, with the operations a paywall (ours
 * or another server's x402 plug-in) needs: make offers, check and redeem payments, issue and
 * check entitlements. Framework-free and browser-safe.
 */
import type {
  Asset,
  HubId,
  PayeeId,
  PaymentRequired,
  PublicKey,
  TrickleOffer,
  TricklePaymentPayload,
} from '@trickle/protocol';
import {
  type ExpectedPayment,
  type PaymentCheck,
  type PaymentRedemption,
  checkPayment as runCheckPayment,
  redeemPayment as runRedeemPayment,
  type VerifiedPayment,
} from './checkPayment.js';
import {
  type EntitlementTokenCheck,
  type IssuedEntitlement,
  type IssueEntitlementParameters,
  checkEntitlementToken as runCheckEntitlement,
  issueEntitlement as runIssueEntitlement,
} from './entitlements.js';
import { type EntitlementCookieSettings, type MerchantConfig, resolveMerchantConfig } from './merchantConfig.js';
import {
  type CreateOfferParameters,
  type CreatePaymentRequiredParameters,
  createOffer as runCreateOffer,
  createPaymentRequired as runCreatePaymentRequired,
} from './offer.js';

/** A configured merchant. */
export interface Merchant {
  /** The merchant's public key: what edges need to check its entitlements. */
  readonly publicKey: PublicKey;
  /** The merchant's payee id at the hub (sha256 of a tag and its public key). */
  readonly payee: PayeeId;
  readonly hubId: HubId;
  readonly hubUrl: string;
  readonly networkId: number;
  /** The x402 network id, `trickle:<networkId>`. */
  readonly network: string;
  /** The asset prices are in. */
  readonly asset: Asset;
  /** Default lifetime of the entitlements it issues, in ms. */
  readonly entitlementTtlMs: number;
  /** How entitlement cookies are set, or `false` for none. */
  readonly entitlementCookie: false | Required<EntitlementCookieSettings>;
  /** Now, by the merchant's clock (Unix ms). */
  nowMs(): number;
  /** A fresh offer (invoice) for a resource at a price. */
  createOffer(parameters: CreateOfferParameters): TrickleOffer;
  /** A whole x402 `PaymentRequired` with one fresh offer. */
  createPaymentRequired(parameters: CreatePaymentRequiredParameters): PaymentRequired;
  /** Checks a paid retry offline (a `PAYMENT-SIGNATURE` header value or its decoded payload). */
  checkPayment(payment: TricklePaymentPayload | string, expected: ExpectedPayment): PaymentCheck;
  /** Marks a checked payment's invoice used, atomically; refuses a second redemption. */
  redeemPayment(payment: VerifiedPayment): Promise<PaymentRedemption>;
  /** Signs an entitlement to a resource for the bearer. */
  issueEntitlement(parameters: IssueEntitlementParameters): IssuedEntitlement;
  /** Checks an entitlement token for a resource, now. */
  checkEntitlement(token: string, resource: string): EntitlementTokenCheck;
}

/**
 * Creates a merchant from its configuration; checks everything now, so a bad key, URL or
 * limit fails at startup with a titled `TypeError`/`RangeError`.
 *
 * @example
 * ```ts
 * import { createMerchant } from '@trickle/merchant';
 * import { fromHex } from '@trickle/protocol';
 * const merchant = createMerchant({
 *   secretKey: fromHex(process.env.MERCHANT_SECRET_KEY ?? '', 32),
 *   hub: { publicKey: fromHex(process.env.HUB_PUBLIC_KEY ?? '', 33), url: 'wss://hub.example', networkId: 1 },
 *   asset: { code: 'USD', scale: 6 },
 * });
 * ```
 */
export function createMerchant(config: MerchantConfig): Merchant {
  const context = resolveMerchantConfig(config);
  return Object.freeze({
    publicKey: context.publicKey,
    payee: context.payee,
    hubId: context.hubId,
    hubUrl: context.hubUrl,
    networkId: context.networkId,
    network: context.network,
    asset: context.asset,
    entitlementTtlMs: context.entitlementTtlMs,
    entitlementCookie: context.entitlementCookie,
    nowMs: () => context.clock.nowMs(),
    createOffer: (parameters: CreateOfferParameters) => runCreateOffer(context, parameters),
    createPaymentRequired: (parameters: CreatePaymentRequiredParameters) =>
      runCreatePaymentRequired(context, parameters),
    checkPayment: (payment: TricklePaymentPayload | string, expected: ExpectedPayment) =>
      runCheckPayment(context, payment, expected),
    redeemPayment: (payment: VerifiedPayment) => runRedeemPayment(context, payment),
    issueEntitlement: (parameters: IssueEntitlementParameters) => runIssueEntitlement(context, parameters),
    checkEntitlement: (token: string, resource: string) => runCheckEntitlement(context, token, resource),
  });
}
