/** The merchant's own failures (never a client's bad payment: those are refusal codes). */
import { TrickleError } from '@trickle/protocol';

/**
 * Codes of {@link MerchantError}: `INVOICE_STORE_FULL` (a store at capacity with unexpired
 * invoices), `INVOICE_STORE_UNAVAILABLE` (a durable store's database failed, was busy past
 * its timeout, or was closed).
 */
export type MerchantErrorCode = 'INVOICE_STORE_FULL' | 'INVOICE_STORE_UNAVAILABLE';

/**
 * A failure on the merchant's side that stops it from deciding safely, e.g. an invoice store
 * that cannot remember one more used invoice. Adapters pass it to the framework's error
 * handling (a 5xx); the invoice was not marked used, so the client may retry.
 *
 * @example
 * ```ts
 * import { MerchantError } from '@trickle/merchant';
 * const error = new MerchantError('INVOICE_STORE_FULL', 'the invoice store is full');
 * error.code; // 'INVOICE_STORE_FULL'
 * ```
 */
export class MerchantError extends TrickleError {
  override name = 'MerchantError';
  declare readonly code: MerchantErrorCode;
  constructor(code: MerchantErrorCode, shortMessage: string, options?: { details?: string; cause?: unknown }) {
    super(code, shortMessage, options);
  }
}
