import { TrickleError } from '../errors.js';

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
 * Sent as `error` in `PaymentRequired` and `errorReason` in `SettlementResponse`.
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
