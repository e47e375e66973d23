/**
 * Between x402's objects and Trickle's strict readers: x402 core adds protocol-level keys to
 * an entry's `extra` (`paymentFlow`, `assetTransferMethod`) that are no part of a Trickle
 * offer, so they are set aside before `readTrickleOffer` and `checkPayment` read the entry.
 */
import type { TricklePaymentPayload, TricklePaymentRequirements } from '@trickle/protocol';
import type { PaymentPayload, PaymentRequirements } from '@x402/core/types';

/** The `extra` keys x402 core owns on every scheme's entry (`@x402/core`'s payment flows). */
export const x402ReservedExtraKeys: readonly string[] = Object.freeze(['paymentFlow', 'assetTransferMethod']);

/** The payment flow the Trickle scheme declares: the invoice is redeemed before the handler runs. */
export const tricklePaymentFlow = 'upfront';

/**
 * An x402 requirements entry as Trickle's readers take it: the same, without x402's reserved
 * `extra` keys. Nothing is checked here; `readTrickleOffer` checks what it returns.
 *
 * @example
 * ```ts
 * import { trickleEntryOf } from '@trickle/x402';
 * import type { PaymentRequirements } from '@x402/core/types';
 * declare const entry: PaymentRequirements;
 * trickleEntryOf(entry).extra.paymentFlow; // undefined
 * ```
 */
export function trickleEntryOf(entry: PaymentRequirements): PaymentRequirements {
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry.extra ?? {})) {
    if (!x402ReservedExtraKeys.includes(key)) extra[key] = value;
  }
  return { ...entry, extra };
}

/** A decoded x402 payload as the merchant's `checkPayment` takes it (its own checks follow). */
export function tricklePayloadOf(payload: PaymentPayload): TricklePaymentPayload {
  return {
    ...payload,
    accepted: trickleEntryOf(payload.accepted) as unknown as TricklePaymentRequirements,
  } as unknown as TricklePaymentPayload;
}
