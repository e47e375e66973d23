/** The x402 protocol version whose message shapes Trickle's HTTP wire follows. */
export const x402Version = 2;

/** The x402 `scheme` name of Trickle payments. */
export const trickleScheme = 'trickle';

/**
 * The HTTP header names of the wire. HTTP header names are case-insensitive; these are the
 * spellings x402 v2 uses, and the one Trickle adds for entitlements.
 */
export const http402Headers = {
  /** Server to client, on `402`: base64 JSON `PaymentRequired`. */
  paymentRequired: 'PAYMENT-REQUIRED',
  /** Client to server, on the paid retry: base64 JSON `TricklePaymentPayload`. */
  paymentSignature: 'PAYMENT-SIGNATURE',
  /** Server to client: base64 JSON `SettlementResponse` (success or refusal). */
  paymentResponse: 'PAYMENT-RESPONSE',
  /** Both ways: entitlement tokens (server: the one just issued; client: up to {@link entitlementsPerRequestMax}). */
  entitlement: 'TRICKLE-ENTITLEMENT',
  /**
   * Server to client, on a paid answer of a per-call route: base64 JSON `PaymentRequired`
   * for the next call to the same resource, so the client pays before it asks and skips the
   * `402` round trip (ADR 0425). A fresh single-use invoice, like any `402`'s.
   */
  nextOffer: 'TRICKLE-NEXT-OFFER',
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
export const nameCharsMax = 128;
