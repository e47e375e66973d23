/**
 * The merchant's limits and defaults. Each is a named constant with its unit last and is
 * enforced where it is used; the wire's own limits live in `@trickle/protocol` (http402.ts).
 */

/** Default time an invoice (a `402` offer) stays payable: 5 minutes. */
export const invoiceTtlMsDefault = 5 * 60_000;

/** Shortest invoice lifetime accepted in configuration: 1 second. */
export const invoiceTtlMsMin = 1_000;

/** Longest invoice lifetime accepted in configuration: 1 day. */
export const invoiceTtlMsMax = 24 * 60 * 60_000;

/** Default lifetime of an entitlement (read again without paying): 30 days. */
export const entitlementTtlMsDefault = 30 * 24 * 60 * 60_000;

/** Shortest entitlement lifetime accepted in configuration: 1 second. */
export const entitlementTtlMsMin = 1_000;

/** Longest entitlement lifetime accepted in configuration: 366 days. */
export const entitlementTtlMsMax = 366 * 24 * 60 * 60_000;

/**
 * Default grace after an invoice's expiry during which its paid retry is still honoured:
 * 1 minute. The hub refuses to take payment for an expired invoice, so a receipt proves the
 * payment happened in time; the grace covers the retry's trip back.
 */
export const paidRetryGraceMsDefault = 60_000;

/** Longest paid-retry grace accepted in configuration: 10 minutes. */
export const paidRetryGraceMsMax = 10 * 60_000;

/**
 * Default capacity of the memory invoice store, in used invoices remembered at once. Each is
 * kept until its invoice's expiry plus the grace; about 100 bytes each.
 */
export const memoryInvoiceStoreEntriesMaxDefault = 250_000;

/**
 * Entitlement tokens whose signature has been verified, remembered so that reading again
 * costs a map lookup instead of an ECDSA verification (about 2 ms in pure JavaScript):
 * at most 10,000 at a time (about 3 MB), the least recently used forgotten first. Every
 * other check (network, merchant, resource, expiry) still runs on each read.
 */
export const verifiedEntitlementsCachedMax = 10_000;

/**
 * Default capacity of the SQLite invoice store, in used invoices remembered at once (about
 * 250 bytes each on disk with its indexes, so about 2.5 GB when full). Like the memory store,
 * it refuses a payment rather than forget an unexpired invoice.
 */
export const sqliteInvoiceStoreEntriesMaxDefault = 10_000_000;

/** Default time a durable invoice store waits for another process's write lock: 5 seconds. */
export const invoiceStoreBusyTimeoutMsDefault = 5_000;

/**
 * Expired used invoices a durable store deletes per `markUsed`, in the same write. More than
 * the one row each call adds, so expired rows never pile up and no call does unbounded work.
 */
export const invoiceStorePruneRowsPerCall = 16;

/** Longest invoice store key accepted by the durable stores, in characters (an `invoiceKey` is 97). */
export const invoiceStoreKeyLengthMax = 256;

/** Default size of the PostgreSQL invoice store's connection pool. */
export const pgInvoiceStorePoolConnectionsDefault = 4;
