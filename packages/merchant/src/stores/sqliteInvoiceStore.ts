/**
 * `@trickle/merchant/sqlite`: the invoice store in one SQLite file through better-sqlite3 12,
 * for a merchant that restarts, or several merchant processes on one machine (cluster mode,
 * several instances behind a load balancer). A subpath of its own so that the core never
 * loads a native module. See docs/merchant.md ("Durable invoice store") and ADR 0305.
 *
 * The file is opened as the ledger opens its own: WAL (readers and one writer at a time,
 * across processes), `synchronous = FULL` (a `'marked'` survives power loss: persist, then
 * promise), a busy timeout for another process's write lock, and every write in a
 * `BEGIN IMMEDIATE` transaction (the write lock taken up front).
 *
 * @packageDocumentation
 */

import { type Migration, runSqliteMigrations } from '@trickle/migrations';
import { asError } from '@trickle/protocol';
import Database from 'better-sqlite3';
import { type Clock, systemClock } from '../clock.js';
import { MerchantError } from '../errors.js';
import type { InvoiceStore, MarkUsedResult } from '../invoiceStore.js';
import {
  invoiceStoreBusyTimeoutMsDefault,
  invoiceStorePruneRowsPerCall,
  sqliteInvoiceStoreEntriesMaxDefault,
} from '../limits.js';
import { checkMarkUsedArguments, checkPositiveInteger } from './markUsedArguments.js';

/**
 * Options of {@link sqliteInvoiceStore}.
 *
 * @example
 * ```ts
 * import type { SqliteInvoiceStoreOptions } from '@trickle/merchant/sqlite';
 * const options: SqliteInvoiceStoreOptions = { path: '.data/invoices.db', busyTimeoutMs: 10_000 };
 * ```
 */
export interface SqliteInvoiceStoreOptions {
  /**
   * The database file, created when missing, e.g. `.data/invoices.db`. Every process that
   * sells must open the same file, on a local disk of one machine (WAL needs shared memory,
   * so not a network file system).
   */
  readonly path: string;
  /** Most used invoices remembered at once. Default {@link sqliteInvoiceStoreEntriesMaxDefault} (10,000,000). */
  readonly entriesMax?: number;
  /** How long to wait for another process's write lock, in ms. Default {@link invoiceStoreBusyTimeoutMsDefault} (5,000). */
  readonly busyTimeoutMs?: number;
  /** Decides which rows have expired and may be deleted. Default {@link systemClock}. */
  readonly clock?: Clock;
}

/**
 * A SQLite invoice store: an {@link InvoiceStore} with its size and a `close`.
 *
 * @example
 * ```ts
 * import { sqliteInvoiceStore, type SqliteInvoiceStore } from '@trickle/merchant/sqlite';
 * const store: SqliteInvoiceStore = sqliteInvoiceStore({ path: '.data/invoices.db' });
 * store.size(); // used invoices on file, expired ones not yet deleted included
 * await store.close();
 * ```
 */
export interface SqliteInvoiceStore extends InvoiceStore {
  /** Rows on file (for tests and metrics): used invoices, plus expired ones not yet deleted. */
  size(): number;
  /** Closes the connection; `markUsed` then rejects with `INVOICE_STORE_UNAVAILABLE`. Idempotent. */
  close(): Promise<void>;
}

/**
 * The schema, run by the one migration runner (`@trickle/migrations`, ADR 0228); the version
 * applied is kept in the file itself, in a table of its own (not `user_version`, so the
 * tables may live in a file shared with others). The row count is kept by triggers under the
 * write lock that every write already holds, so the capacity check never counts rows.
 */
const migrations: readonly Migration<string>[] = [
  {
    version: 1,
    name: 'used invoices, their expiry index and their count',
    up: `CREATE TABLE trickle_used_invoices (
     key TEXT PRIMARY KEY NOT NULL,
     keep_until_ms INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX trickle_used_invoices_keep_until ON trickle_used_invoices (keep_until_ms);
   CREATE TABLE trickle_used_invoices_count (id INTEGER PRIMARY KEY CHECK (id = 1), entries INTEGER NOT NULL);
   INSERT INTO trickle_used_invoices_count (id, entries) VALUES (1, 0);
   CREATE TRIGGER trickle_used_invoices_inserted AFTER INSERT ON trickle_used_invoices
     BEGIN UPDATE trickle_used_invoices_count SET entries = entries + 1 WHERE id = 1; END;
   CREATE TRIGGER trickle_used_invoices_deleted AFTER DELETE ON trickle_used_invoices
     BEGIN UPDATE trickle_used_invoices_count SET entries = entries - 1 WHERE id = 1; END;`,
  },
];

const sql = {
  prune: `DELETE FROM trickle_used_invoices WHERE key IN (
    SELECT key FROM trickle_used_invoices WHERE keep_until_ms <= ? ORDER BY keep_until_ms LIMIT ?)`,
  entries: 'SELECT entries FROM trickle_used_invoices_count WHERE id = 1',
  exists: 'SELECT 1 FROM trickle_used_invoices WHERE key = ?',
  insert: 'INSERT INTO trickle_used_invoices (key, keep_until_ms) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
} as const;

/** Opens `path` with the settings this store relies on and brings its schema up to date. */
function openDatabase(path: string, busyTimeoutMs: number): Database.Database {
  const db = new Database(path, { timeout: busyTimeoutMs, readonly: false, fileMustExist: false });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    runSqliteMigrations(db, {
      component: 'trickle-merchant invoice store',
      version: { table: 'trickle_merchant_schema' },
      migrations,
    });
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** A database failure as the merchant's I/O error, with the driver's error as its cause. */
function unavailable(error: unknown, what: string): MerchantError {
  const code = (error as { code?: unknown } | null)?.code;
  return new MerchantError('INVOICE_STORE_UNAVAILABLE', `SQLite invoice store: ${what}`, {
    details: `${typeof code === 'string' ? `${code}: ` : ''}${asError(error).message}`,
    cause: error,
  });
}

/**
 * Opens (creating when missing) a SQLite invoice store. `markUsed` is one `BEGIN IMMEDIATE`
 * transaction: it deletes up to {@link invoiceStorePruneRowsPerCall} expired rows, then
 * `INSERT ... ON CONFLICT (key) DO NOTHING`; one row inserted is `'marked'`. It resolves only
 * after the commit is on disk. Rows stay until their `keepUntilMs`, whatever restarts in
 * between; no timer runs. When `entriesMax` unexpired invoices are on file it refuses with
 * `MerchantError('INVOICE_STORE_FULL')` rather than forget one, as the memory store does.
 *
 * better-sqlite3 is synchronous: a `markUsed` that meets another process's write lock waits
 * (up to `busyTimeoutMs`) on the event loop. Each write holds the lock for one small
 * transaction and its fsync.
 *
 * @example
 * ```ts
 * import { createMerchant } from '@trickle/merchant';
 * import { sqliteInvoiceStore } from '@trickle/merchant/sqlite';
 * declare const config: Omit<Parameters<typeof createMerchant>[0], 'invoiceStore'>;
 * const invoiceStore = sqliteInvoiceStore({ path: '.data/invoices.db' }); // the same file in every process
 * const merchant = createMerchant({ ...config, invoiceStore });
 * process.on('SIGTERM', () => void invoiceStore.close());
 * ```
 */
export function sqliteInvoiceStore(options: SqliteInvoiceStoreOptions): SqliteInvoiceStore {
  if (typeof options?.path !== 'string' || options.path.length === 0) throw new TypeError('path: expected a file path');
  const entriesMax = checkPositiveInteger(options.entriesMax ?? sqliteInvoiceStoreEntriesMaxDefault, 'entriesMax');
  const busyTimeoutMs = options.busyTimeoutMs ?? invoiceStoreBusyTimeoutMsDefault;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new RangeError('busyTimeoutMs: expected a non-negative integer');
  }
  const clock = options.clock ?? systemClock;
  let db: Database.Database;
  try {
    db = openDatabase(options.path, busyTimeoutMs);
  } catch (error) {
    // Whatever stops the file from opening (a missing directory, permissions, a lock) is I/O.
    throw unavailable(error, `cannot open ${options.path}`);
  }
  const prune = db.prepare(sql.prune);
  const entries = db.prepare(sql.entries).pluck();
  const exists = db.prepare(sql.exists).pluck();
  const insert = db.prepare(sql.insert);

  const markUsedWrite = db.transaction((key: string, keepUntilMs: number, nowMs: number) => {
    prune.run(nowMs, invoiceStorePruneRowsPerCall);
    // At capacity a repeat is still 'alreadyUsed'; only a new invoice is refused.
    if ((entries.get() as number) >= entriesMax) return exists.get(key) === undefined ? 'full' : 'alreadyUsed';
    return insert.run(key, keepUntilMs).changes === 1 ? 'marked' : 'alreadyUsed';
  });

  const markUsed = (key: string, keepUntilMs: number): MarkUsedResult => {
    checkMarkUsedArguments(key, keepUntilMs);
    if (!db.open) throw new MerchantError('INVOICE_STORE_UNAVAILABLE', 'SQLite invoice store: closed');
    let result: MarkUsedResult | 'full';
    try {
      result = markUsedWrite.immediate(key, keepUntilMs, clock.nowMs());
    } catch (error) {
      throw unavailable(error, 'markUsed failed');
    }
    if (result === 'full') {
      throw new MerchantError('INVOICE_STORE_FULL', 'the SQLite invoice store is full', {
        details: `${entriesMax} unexpired used invoices; raise entriesMax or shorten invoiceTtlMs`,
      });
    }
    return result;
  };

  return {
    markUsed: async (key, keepUntilMs) => markUsed(key, keepUntilMs),
    size: () => {
      if (!db.open) throw new MerchantError('INVOICE_STORE_UNAVAILABLE', 'SQLite invoice store: closed');
      return entries.get() as number;
    },
    close: async () => {
      if (db.open) db.close();
    },
  };
}
