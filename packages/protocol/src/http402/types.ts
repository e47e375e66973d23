import type { PaymentRefusalCode } from './errors.js';
import type { trickleScheme, x402Version } from './names.js';

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
