/**
 * `@trickle/merchant/postgres`: the invoice store in PostgreSQL through `pg`, for merchant
 * processes on several machines. A subpath of its own so that the core never loads `pg`.
 * See docs/merchant.md ("Durable invoice store") and ADR 0305.
 *
 * @packageDocumentation
 */

import { runPostgresMigrations } from '@trickle/migrations';
import { asError } from '@trickle/protocol';
import pg from 'pg';
import { type Clock, systemClock } from '../clock.js';
import { MerchantError } from '../errors.js';
import type { InvoiceStore, MarkUsedResult } from '../invoiceStore.js';
import { invoiceStorePruneRowsPerCall, pgInvoiceStorePoolConnectionsDefault } from '../limits.js';
import { checkMarkUsedArguments, checkPositiveInteger } from './markUsedArguments.js';

/**
 * Options of {@link postgresInvoiceStore}.
 *
 * @example
 * ```ts
 * import type { PostgresInvoiceStoreOptions } from '@trickle/merchant/postgres';
 * const options: PostgresInvoiceStoreOptions = {
 *   connectionString: 'postgres://shop@db.internal:5432/shop',
 *   schema: 'trickle_merchant',
 * };
 * ```
 */
export interface PostgresInvoiceStoreOptions {
  /** e.g. `postgres://shop@db.internal:5432/shop`. */
  readonly connectionString: string;
  /** The schema holding the table (created when missing). Default `public`. */
  readonly schema?: string;
  /** Connections in the pool. Default {@link pgInvoiceStorePoolConnectionsDefault} (4). */
  readonly poolSize?: number;
  /** Decides which rows have expired and may be deleted. Default {@link systemClock}. */
  readonly clock?: Clock;
}

/**
 * A PostgreSQL invoice store: an {@link InvoiceStore} with a `close`.
 *
 * @example
 * ```ts
 * import { postgresInvoiceStore, type PostgresInvoiceStore } from '@trickle/merchant/postgres';
 * const store: PostgresInvoiceStore = await postgresInvoiceStore({ connectionString: 'postgres://127.0.0.1/shop' });
 * await store.close();
 * ```
 */
export interface PostgresInvoiceStore extends InvoiceStore {
  /** Ends the pool; `markUsed` then rejects with `INVOICE_STORE_UNAVAILABLE`. Idempotent. */
  close(): Promise<void>;
}

const schemaPattern = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The table, through the one migration runner (`@trickle/migrations`, ADR 0228): under an
 * advisory lock, so that processes starting together do not race, with the version in
 * `trickle_merchant_schema`. Stores from before the runner kept no version and created the
 * same table and index `IF NOT EXISTS` at every start; version 1 is those statements, so
 * it leaves such a store's rows as they are.
 */
async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  await runPostgresMigrations(pool, {
    component: 'trickle-merchant invoice store',
    schema,
    versionTable: 'trickle_merchant_schema',
    // The key this store locked before the runner, so an older process starting beside a newer one waits too.
    lockKey: `trickle-merchant-invoices:${schema}`,
    migrations: [
      {
        version: 1,
        name: 'used invoices and their expiry index',
        up: `CREATE TABLE IF NOT EXISTS ${schema}.trickle_used_invoices (key text PRIMARY KEY, keep_until_ms bigint NOT NULL);
CREATE INDEX IF NOT EXISTS trickle_used_invoices_keep_until ON ${schema}.trickle_used_invoices (keep_until_ms);`,
      },
    ],
  });
}

/**
 * One statement, one round trip, autocommit: delete a few expired rows (skipping rows another
 * writer is deleting, and never the key being marked), then insert unless present. Two
 * concurrent inserts of one key: the second waits for the first to commit, then inserts
 * nothing. One row inserted is `'marked'`.
 */
const markUsedSql = (schema: string) => `WITH pruned AS (
  DELETE FROM ${schema}.trickle_used_invoices WHERE key IN (
    SELECT key FROM ${schema}.trickle_used_invoices
    WHERE keep_until_ms <= $3 AND key <> $1
    ORDER BY keep_until_ms LIMIT $4 FOR UPDATE SKIP LOCKED))
INSERT INTO ${schema}.trickle_used_invoices (key, keep_until_ms) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`;

function unavailable(error: unknown, what: string): MerchantError {
  const code = (error as { code?: unknown } | null)?.code;
  return new MerchantError('INVOICE_STORE_UNAVAILABLE', `PostgreSQL invoice store: ${what}`, {
    details: `${typeof code === 'string' ? `${code}: ` : ''}${asError(error).message}`,
    cause: error,
  });
}

/**
 * Connects, creates the table when missing, and returns a PostgreSQL invoice store. Each
 * `markUsed` is one autocommitted statement (`INSERT ... ON CONFLICT (key) DO NOTHING`, with
 * up to {@link invoiceStorePruneRowsPerCall} expired rows deleted on the way) that resolves
 * once PostgreSQL has committed it. No timer runs. There is no row limit: rows are bounded by
 * paid sales in one invoice lifetime, and a full disk fails the sale (5xx) rather than forget
 * an invoice.
 *
 * @example
 * ```ts
 * import { createMerchant } from '@trickle/merchant';
 * import { postgresInvoiceStore } from '@trickle/merchant/postgres';
 * declare const config: Omit<Parameters<typeof createMerchant>[0], 'invoiceStore'>;
 * const invoiceStore = await postgresInvoiceStore({
 *   connectionString: 'postgres://shop@db.internal:5432/shop',
 *   schema: 'trickle_merchant',
 * });
 * const merchant = createMerchant({ ...config, invoiceStore });
 * ```
 */
export async function postgresInvoiceStore(options: PostgresInvoiceStoreOptions): Promise<PostgresInvoiceStore> {
  if (typeof options?.connectionString !== 'string') throw new TypeError('connectionString: expected a string');
  const schema = options.schema ?? 'public';
  if (!schemaPattern.test(schema)) {
    throw new RangeError('schema: expected 1-63 of a-z 0-9 _, not starting with a digit');
  }
  const poolSize = checkPositiveInteger(options.poolSize ?? pgInvoiceStorePoolConnectionsDefault, 'poolSize');
  const clock = options.clock ?? systemClock;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: poolSize,
    application_name: 'trickle-merchant',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    // Idle connections do not keep the process alive; the pool still needs `close()` to end.
    allowExitOnIdle: true,
  });
  // An idle client that loses its connection is dropped by the pool; the next query reports it.
  pool.on('error', () => undefined);
  try {
    await migrate(pool, schema);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw unavailable(error, 'cannot create its table');
  }
  const text = markUsedSql(schema);
  let closed = false;

  const markUsed = async (key: string, keepUntilMs: number): Promise<MarkUsedResult> => {
    checkMarkUsedArguments(key, keepUntilMs);
    if (closed) throw new MerchantError('INVOICE_STORE_UNAVAILABLE', 'PostgreSQL invoice store: closed');
    let rowCount: number | null;
    try {
      ({ rowCount } = await pool.query({
        text,
        values: [key, keepUntilMs, clock.nowMs(), invoiceStorePruneRowsPerCall],
      }));
    } catch (error) {
      throw unavailable(error, 'markUsed failed');
    }
    return rowCount === 1 ? 'marked' : 'alreadyUsed';
  };

  return {
    markUsed,
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
