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

export * from './entitlement.js';
export * from './errors.js';
export * from './headers.js';
export * from './names.js';
export * from './offers.js';
export * from './tokens.js';
export * from './types.js';
