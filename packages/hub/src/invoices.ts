/**
 * Invoice uniqueness per (payee, invoice id) across every channel, kept in memory until
 * the invoice expires (after that the expiry check refuses it anyway). Rebuilt from the
 * store on start. Invoices are reserved when a voucher passes its checks, so two channels
 * racing on one invoice cannot both be accepted, and released if the voucher then fails.
 */
import type { InvoiceId, PayeeId } from '@trickle/protocol';
import { bytesKey } from './bytesKey.js';

/** The set of paid (or reserved) invoices. */
export interface InvoiceSet {
  has(payee: PayeeId, invoiceId: InvoiceId): boolean;
  add(payee: PayeeId, invoiceId: InvoiceId, expiresAtMs: number): void;
  remove(payee: PayeeId, invoiceId: InvoiceId): void;
  /** Forgets invoices that expired at or before `nowMs`. */
  sweep(nowMs: number): void;
  readonly size: number;
}

/** Creates an empty set. */
export function createInvoiceSet(): InvoiceSet {
  const invoices = new Map<string, number>();
  // Runs for every entry of every voucher: bytesKey is ~3x cheaper than a Buffer's latin1 decode.
  const keyOf = (payee: PayeeId, invoiceId: InvoiceId) => bytesKey(payee) + bytesKey(invoiceId);
  return {
    has: (payee, invoiceId) => invoices.has(keyOf(payee, invoiceId)),
    add: (payee, invoiceId, expiresAtMs) => void invoices.set(keyOf(payee, invoiceId), expiresAtMs),
    remove: (payee, invoiceId) => void invoices.delete(keyOf(payee, invoiceId)),
    sweep(nowMs) {
      for (const [key, expiresAtMs] of invoices) if (expiresAtMs <= nowMs) invoices.delete(key);
    },
    get size() {
      return invoices.size;
    },
  };
}
