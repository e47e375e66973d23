/**
 * Invoices paid recently, in memory: a bounded cache that lets the pure voucher checks
 * refuse a replayed invoice at once (INVOICE_ALREADY_PAID with the entry's index), before
 * a signature check and a commit are spent on it. It is an optimisation only: what makes an
 * invoice single-use is the store's unique invoice index, which every commit goes through
 * (ADR 0210), so the cache starts empty, holds at most `entriesMax` invoices, and forgets
 * the oldest first. Start-up and memory never depend on how many invoices were ever paid.
 */
import { type InvoiceId, LruMap, type PayeeId } from '@trickle/protocol';
import { bytesKey } from './bytesKey.js';

/** Invoices known to be paid. */
export interface PaidInvoices {
  has(payee: PayeeId, invoiceId: InvoiceId): boolean;
  add(payee: PayeeId, invoiceId: InvoiceId): void;
  readonly size: number;
}

/** A map key naming (payee, invoice) exactly. */
export function invoiceKeyOf(payee: PayeeId, invoiceId: InvoiceId): string {
  // Runs for every entry of every voucher: bytesKey is ~3x cheaper than a Buffer's latin1 decode.
  return bytesKey(payee) + bytesKey(invoiceId);
}

/**
 * An empty cache of at most `entriesMax` invoices (oldest forgotten first). An {@link LruMap}
 * whose entries are never read back as uses, so it forgets in the order invoices were added,
 * each step O(1) however many went through (finding the oldest key by iterating a Set is not:
 * V8 steps over every deleted entry still in its table, ~19 µs per payment once 65,536
 * invoices were cached; `bench/hotpath/caches.ts`).
 */
export function createPaidInvoices(entriesMax: number): PaidInvoices {
  const keys = new LruMap<string, true>(entriesMax); // refuses a bound that is not a positive integer
  return {
    has: (payee, invoiceId) => keys.has(invoiceKeyOf(payee, invoiceId)),
    add(payee, invoiceId) {
      const key = invoiceKeyOf(payee, invoiceId);
      // Added again: it keeps its place (first in, first out).
      if (!keys.has(key)) keys.set(key, true);
    },
    get size() {
      return keys.size;
    },
  };
}
