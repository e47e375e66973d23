/**
 * The paid retry: check a Trickle payment offline (no round trip to the hub), then redeem its
 * invoice exactly once. Split like x402's verify and settle, so the same two steps can sit
 * behind our paywall or behind another server's plug-in interface.
 */
import {
  checkPaymentRequestMac,
  checkReceiptMac,
  decodePaymentRequest,
  decodePaymentSignatureHeader,
  decodeReceipt,
  equalBytes,
  Http402Error,
  type PaymentRefusalCode,
  type PaymentRequest,
  type Receipt,
  readTrickleOffer,
  resourceHash,
  sameAsset,
  type TricklePaymentPayload,
  toHex,
} from '@trickle/protocol';
import { invoiceKey } from './invoiceStore.js';
import type { MerchantContext } from './merchantConfig.js';

/** A payment that passed every offline check of {@link checkPayment}; only that function makes one. */
export interface VerifiedPayment {
  /** The merchant's own payment request, MAC checked. */
  readonly request: PaymentRequest;
  /** The hub's receipt for it, MAC checked. */
  readonly receipt: Receipt;
  /** The resource name it was checked against. */
  readonly resource: string;
}

/** A refusal: the code sent to the client, and details for logs only. */
export interface PaymentRefusal {
  readonly ok: false;
  readonly reason: PaymentRefusalCode;
  readonly details: string;
}

/** The outcome of {@link checkPayment}. */
export type PaymentCheck = { readonly ok: true; readonly payment: VerifiedPayment } | PaymentRefusal;

/** The outcome of {@link redeemPayment}. */
export type PaymentRedemption = { readonly ok: true; readonly payment: VerifiedPayment } | PaymentRefusal;

/** What this request costs, as the route prices it now. */
export interface ExpectedPayment {
  /** The resource name of this request. */
  readonly resource: string;
  /** The current price in minor units; an invoice for less is refused (`UNDERPAID`). */
  readonly amount: bigint;
}

const verifiedPayments = new WeakSet<VerifiedPayment>();

function refuse(reason: PaymentRefusalCode, details: string): PaymentRefusal {
  return { ok: false, reason, details };
}

/**
 * Checks a paid retry without the hub and without touching the invoice store, cheapest
 * first: the header's shape, and the echoed offer restating its payment request field by
 * field (else `MALFORMED_PAYMENT`); the request's network, hub and payee, then its MAC; its
 * resource; its expiry (plus the paid-retry grace); its asset and amount against the current
 * price; the receipt's fields against the request; then the receipt's MAC. MACs are compared
 * in constant time. Never throws for a client's bad input: every failure is a refusal code.
 *
 * @example
 * ```ts
 * import { createMerchant } from '@trickle/merchant';
 * declare const merchant: ReturnType<typeof createMerchant>, header: string;
 * const check = merchant.checkPayment(header, { resource: 'GET /articles/42', amount: 2000n });
 * if (!check.ok) console.log(check.reason); // e.g. 'RECEIPT_INVALID'
 * ```
 */
export function checkPayment(
  context: MerchantContext,
  payment: TricklePaymentPayload | string,
  expected: ExpectedPayment,
): PaymentCheck {
  let payload: TricklePaymentPayload;
  try {
    payload = typeof payment === 'string' ? decodePaymentSignatureHeader(payment) : payment;
  } catch (error) {
    const unsupported =
      error instanceof Http402Error && (error.code === 'UNSUPPORTED_SCHEME' || error.code === 'UNSUPPORTED_VERSION');
    return refuse(unsupported ? 'UNSUPPORTED_SCHEME' : 'MALFORMED_PAYMENT', describeError(error));
  }
  if (typeof payment !== 'string') {
    // Handed over decoded: the checks the header's decoder makes. The echoed offer must
    // restate the payment request it carries (protocol.md, section 13).
    if (payload.payload.paymentRequest !== payload.accepted.extra.paymentRequest) {
      return refuse('MALFORMED_PAYMENT', 'payload.paymentRequest differs from accepted.extra.paymentRequest');
    }
    try {
      readTrickleOffer(payload.accepted, 'accepted');
    } catch (error) {
      return refuse('MALFORMED_PAYMENT', describeError(error));
    }
  }
  let request: PaymentRequest;
  let receipt: Receipt;
  try {
    request = decodePaymentRequest(payload.payload.paymentRequest);
    receipt = decodeReceipt(payload.payload.receipt);
  } catch (error) {
    return refuse('MALFORMED_PAYMENT', describeError(error));
  }

  if (request.networkId !== context.networkId) return refuse('REQUEST_INVALID', 'request names another network');
  if (!equalBytes(request.hubId, context.hubId)) return refuse('REQUEST_INVALID', 'request names another hub');
  if (!equalBytes(request.payee, context.payee)) return refuse('REQUEST_INVALID', 'request names another payee');
  if (!checkPaymentRequestMac(context.macKey, request)) return refuse('REQUEST_INVALID', 'request MAC does not verify');

  if (!equalBytes(request.resource, resourceHash(expected.resource))) {
    return refuse('WRONG_RESOURCE', `invoice is not for ${expected.resource}`);
  }
  const nowMs = context.clock.nowMs();
  if (nowMs >= request.expiresAtMs + context.paidRetryGraceMs) {
    return refuse('INVOICE_EXPIRED', `invoice expired at ${request.expiresAtMs}, now ${nowMs}`);
  }
  if (!sameAsset(request.asset, context.asset)) return refuse('UNDERPAID', `invoice is in ${request.asset.code}`);
  if (request.amount < expected.amount) {
    return refuse('UNDERPAID', `invoice amount ${request.amount} < price ${expected.amount}`);
  }

  const mismatch = receiptMismatch(request, receipt);
  if (mismatch !== undefined) return refuse('RECEIPT_MISMATCH', `receipt ${mismatch} differs from the request's`);
  if (!checkReceiptMac(context.macKey, receipt)) return refuse('RECEIPT_INVALID', 'receipt MAC does not verify');

  const verified: VerifiedPayment = Object.freeze({ request, receipt, resource: expected.resource });
  verifiedPayments.add(verified);
  return { ok: true, payment: verified };
}

/**
 * Redeems a checked payment: marks its invoice used in the invoice store, atomically, until
 * no retry could be honoured any more (expiry plus grace). The second redemption of an
 * invoice is refused with `INVOICE_USED`. Rejects only when the store fails.
 *
 * @example
 * ```ts
 * import { createMerchant } from '@trickle/merchant';
 * declare const merchant: ReturnType<typeof createMerchant>, header: string;
 * const check = merchant.checkPayment(header, { resource: 'GET /a', amount: 1n });
 * if (check.ok) {
 *   const redeemed = await merchant.redeemPayment(check.payment);
 *   if (redeemed.ok) console.log('serve it');
 * }
 * ```
 */
export async function redeemPayment(context: MerchantContext, payment: VerifiedPayment): Promise<PaymentRedemption> {
  if (!verifiedPayments.has(payment)) throw new TypeError('payment: not one returned by checkPayment');
  const { request } = payment;
  const key = invoiceKey(request.payee, request.invoiceId);
  const result = await context.invoiceStore.markUsed(key, request.expiresAtMs + context.paidRetryGraceMs);
  if (result === 'alreadyUsed')
    return refuse('INVOICE_USED', `invoice ${toHex(request.invoiceId)} was already redeemed`);
  if (result !== 'marked') throw new TypeError(`invoiceStore.markUsed: unexpected result ${String(result)}`);
  return { ok: true, payment };
}

function receiptMismatch(request: PaymentRequest, receipt: Receipt): string | undefined {
  if (receipt.networkId !== request.networkId) return 'network';
  if (!equalBytes(receipt.hubId, request.hubId)) return 'hub';
  if (!equalBytes(receipt.payee, request.payee)) return 'payee';
  if (!equalBytes(receipt.invoiceId, request.invoiceId)) return 'invoice';
  if (!sameAsset(receipt.asset, request.asset)) return 'asset';
  if (receipt.amount !== request.amount) return 'amount';
  return undefined;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error';
}
