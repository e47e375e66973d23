/**
 * The default {@link InvoiceStore}: a bounded in-memory map for one process. Used invoices
 * are swept once they pass their keep-until time. It never forgets an invoice early: when it
 * is full of unexpired entries it refuses (a {@link MerchantError}) rather than evict one,
 * because forgetting a used invoice would let its receipt be replayed.
 */
import { type Clock, systemClock } from './clock.js';
import { MerchantError } from './errors.js';
import type { InvoiceStore, MarkUsedResult } from './invoiceStore.js';
import { memoryInvoiceStoreEntriesMaxDefault } from './limits.js';

/** Options of {@link createMemoryInvoiceStore}. */
export interface MemoryInvoiceStoreOptions {
  /** Most used invoices remembered at once. Default {@link memoryInvoiceStoreEntriesMaxDefault} (250,000). */
  readonly entriesMax?: number;
  /** Decides when entries may be swept. Default {@link systemClock}. */
  readonly clock?: Clock;
}

/** A memory invoice store, with its size for tests and metrics. */
export interface MemoryInvoiceStore extends InvoiceStore {
  /** Used invoices currently remembered (swept ones excluded). */
  readonly size: () => number;
}

/** Inserts between two sweeps of the oldest entries. */
const sweepEveryInserts = 256;

/**
 * Creates a memory invoice store. Single process only: with several processes, each would
 * accept the same receipt once, and a restart forgets every used invoice; use
 * `sqliteInvoiceStore` (`@trickle/merchant/sqlite`), `postgresInvoiceStore`
 * (`@trickle/merchant/postgres`) or another shared {@link InvoiceStore} instead.
 *
 * @example
 * ```ts
 * import { createMemoryInvoiceStore } from '@trickle/merchant';
 * const store = createMemoryInvoiceStore({ entriesMax: 10_000 });
 * await store.markUsed('payee:invoice', Date.now() + 60_000); // 'marked'
 * await store.markUsed('payee:invoice', Date.now() + 60_000); // 'alreadyUsed'
 * ```
 */
export function createMemoryInvoiceStore(options: MemoryInvoiceStoreOptions = {}): MemoryInvoiceStore {
  const entriesMax = options.entriesMax ?? memoryInvoiceStoreEntriesMaxDefault;
  if (!Number.isSafeInteger(entriesMax) || entriesMax < 1) {
    throw new RangeError('entriesMax: expected a positive integer');
  }
  const clock = options.clock ?? systemClock;
  const keepUntil = new Map<string, number>();
  let insertsSinceSweep = 0;

  // Entries are inserted roughly in keep-until order (one TTL), so the oldest come first:
  // sweep from the front until an unexpired one. A full pass runs only when the map is full.
  const sweepOldest = (nowMs: number) => {
    for (const [key, until] of keepUntil) {
      if (until > nowMs) break;
      keepUntil.delete(key);
    }
  };
  const sweepAll = (nowMs: number) => {
    for (const [key, until] of keepUntil) if (until <= nowMs) keepUntil.delete(key);
  };

  const markUsed = (key: string, keepUntilMs: number): MarkUsedResult => {
    if (typeof key !== 'string' || key.length === 0) throw new TypeError('key: expected a non-empty string');
    if (!Number.isSafeInteger(keepUntilMs)) throw new TypeError('keepUntilMs: expected integer milliseconds');
    if (keepUntil.has(key)) return 'alreadyUsed';
    const nowMs = clock.nowMs();
    if (++insertsSinceSweep >= sweepEveryInserts) {
      insertsSinceSweep = 0;
      sweepOldest(nowMs);
    }
    if (keepUntil.size >= entriesMax) sweepAll(nowMs);
    if (keepUntil.size >= entriesMax) {
      throw new MerchantError('INVOICE_STORE_FULL', 'the memory invoice store is full', {
        details: `${entriesMax} unexpired used invoices; raise entriesMax or shorten invoiceTtlMs`,
      });
    }
    keepUntil.set(key, keepUntilMs);
    return 'marked';
  };

  return {
    markUsed: async (key, keepUntilMs) => markUsed(key, keepUntilMs),
    size: () => keepUntil.size,
  };
}
