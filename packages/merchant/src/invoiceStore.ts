/**
 * The invoice store port: where a merchant remembers which invoices were already redeemed,
 * so that each invoice (and so each receipt) serves exactly one request. It is the only
 * state the merchant keeps; with several server processes, or to survive restarts, back it
 * with a shared durable store: `sqliteInvoiceStore` (`@trickle/merchant/sqlite`),
 * `postgresInvoiceStore` (`@trickle/merchant/postgres`), or your own.
 */
import { type InvoiceId, type PayeeId, toHex } from '@trickle/protocol';

/** The outcome of {@link InvoiceStore.markUsed}. */
export type MarkUsedResult = 'marked' | 'alreadyUsed';

/**
 * Remembers used invoices until their expiry. One operation, atomic per key, so two
 * concurrent retries with the same receipt cannot both be served.
 *
 * Backends, in one line each:
 * - Redis: `SET key 1 NX PXAT keepUntilMs` ("OK" is `'marked'`, nil is `'alreadyUsed'`).
 * - SQL: `INSERT INTO used_invoices (key, keep_until_ms) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`
 *   (one row inserted is `'marked'`), plus a periodic `DELETE ... WHERE keep_until_ms < now`.
 *
 * @example
 * ```ts
 * import type { InvoiceStore } from '@trickle/merchant';
 * declare const redis: { set(...args: unknown[]): Promise<string | null> };
 * const redisInvoiceStore: InvoiceStore = {
 *   async markUsed(key, keepUntilMs) {
 *     const reply = await redis.set(`trickle:invoice:${key}`, '1', 'PXAT', keepUntilMs, 'NX');
 *     return reply === 'OK' ? 'marked' : 'alreadyUsed';
 *   },
 * };
 * ```
 */
export interface InvoiceStore {
  /**
   * Records `key` as used until `keepUntilMs` (Unix ms) unless it is already recorded.
   * Resolves only once the record is as durable as the store promises; rejects on I/O failure
   * (the merchant then serves nothing).
   */
  markUsed(key: string, keepUntilMs: number): Promise<MarkUsedResult>;
}

/**
 * The store key of an invoice: payee id and invoice id in hex, so merchants may share a store.
 *
 * @example
 * ```ts
 * import { invoiceKey } from '@trickle/merchant';
 * import type { InvoiceId, PayeeId } from '@trickle/protocol';
 * invoiceKey(new Uint8Array(32) as PayeeId, new Uint8Array(16) as InvoiceId).length; // 97
 * ```
 */
export function invoiceKey(payee: PayeeId, invoiceId: InvoiceId): string {
  return `${toHex(payee)}:${toHex(invoiceId)}`;
}
