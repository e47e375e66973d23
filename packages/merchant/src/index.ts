/**
 * `@trickle/merchant`: sell per article or per API call over HTTP 402. A framework-free core
 * (offers, offline receipt checks, single-use invoices, entitlements) and thin adapters:
 * `@trickle/merchant/node-http`, `/express`, `/fastify`, `/hono`; durable invoice stores at
 * `@trickle/merchant/sqlite` and `/postgres`. See docs/merchant.md.
 *
 * @packageDocumentation
 *
 * @module index
 */
export type {
  ExpectedPayment,
  PaymentCheck,
  PaymentRedemption,
  PaymentRefusal,
  VerifiedPayment,
} from './checkPayment.js';
export { type Clock, systemClock } from './clock.js';
export type { EntitlementTokenCheck, IssuedEntitlement, IssueEntitlementParameters } from './entitlements.js';
export { MerchantError, type MerchantErrorCode } from './errors.js';
export { type InvoiceStore, invoiceKey, type MarkUsedResult } from './invoiceStore.js';
export * from './limits.js';
export {
  createMemoryInvoiceStore,
  type MemoryInvoiceStore,
  type MemoryInvoiceStoreOptions,
} from './memoryInvoiceStore.js';
export { createMerchant, type Merchant } from './merchant.js';
export type { EntitlementCookieSettings, HubSettings, MerchantConfig } from './merchantConfig.js';
export { type CreateOfferParameters, type CreatePaymentRequiredParameters, checkResourceName } from './offer.js';
export { paymentOf, recordPayment } from './paymentOf.js';
export {
  createPaywall,
  defaultResourceName,
  type HeaderList,
  type Paywall,
  type PaywallAllowed,
  type PaywallDecision,
  type PaywallPaymentRequired,
  type PaywallRoute,
  type PriceSetting,
} from './paywall.js';
export { createRequestFacts, joinHeader, type RequestFacts, requestPath, requestUrl } from './requestFacts.js';
