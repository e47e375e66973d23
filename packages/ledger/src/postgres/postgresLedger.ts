/**
 * The ledger on PostgreSQL through `pg`: for several hub processes sharing one database.
 * The pool is configured explicitly: int8 and numeric arrive as strings (this package
 * turns them into `bigint`; pg never makes them JavaScript numbers), and every connection
 * uses the ledger's schema.
 */

import { runPostgresMigrations } from '@trickle/migrations';
import { asError } from '@trickle/protocol';
import pg from 'pg';
import { type ChannelLedgerOptions, createChannelLedger, type TrickleLedger } from '../createChannelLedger.js';
import { LedgerError } from '../ledgerError.js';
import { pgPoolConnectionsDefault } from '../limits.js';
import type { StepHook } from '../store/txn.js';
import { pgDriver } from './pgDriver.js';
import { pgMigrations } from './pgSchema.js';

/**
 * Options of {@link postgresLedger}.
 *
 * @example
 * ```ts
 * import { postgresLedger, type PostgresLedgerOptions } from '@trickle/ledger/postgres';
 * declare const domain: PostgresLedgerOptions['domain'];
 * const ledger = await postgresLedger({ connectionString: 'postgres://postgres@127.0.0.1:5432/trickle', schema: 'ledger', poolSize: 16, domain, feePpm: 0 });
 * ```
 */
export interface PostgresLedgerOptions extends ChannelLedgerOptions {
  /** e.g. `postgres://postgres@127.0.0.1:5432/trickle`. */
  readonly connectionString: string;
  /** The schema holding the ledger's tables (created when missing). Default `public`. */
  readonly schema?: string;
  /** Connections in the pool. Default 8. */
  readonly poolSize?: number;
  /** Called at every store step (fault injection in tests). */
  readonly onStep?: StepHook;
}

const int8Oid = 20;
const numericOid = 1700;
const schemaPattern = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * pg type parsers: int8 and numeric stay strings (then `BigInt`); the rest as pg does it.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { ledgerPgTypes } from '@trickle/ledger/postgres';
 * const pool = new pg.Pool({ connectionString: 'postgres://127.0.0.1/trickle', types: ledgerPgTypes });
 * ```
 */
export const ledgerPgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === int8Oid || oid === numericOid
      ? (value: string) => value
      : pg.types.getTypeParser(oid, (format ?? 'text') as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * Applies the missing migrations, one process at a time (advisory lock), and returns the
 * schema version. A schema newer than this code is refused with `SchemaVersionError`
 * (`@trickle/migrations`).
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { ledgerPgTypes, migratePostgres } from '@trickle/ledger/postgres';
 * const pool = new pg.Pool({ connectionString: 'postgres://127.0.0.1/trickle', types: ledgerPgTypes });
 * await migratePostgres(pool, 'trickle_ledger');
 * ```
 */
export async function migratePostgres(pool: pg.Pool, schema: string): Promise<number> {
  const run = await runPostgresMigrations(pool, {
    component: 'trickle-ledger',
    schema,
    versionTable: 'ledger_migrations',
    // The key this ledger locked before the runner, so an older process starting beside a newer one waits too.
    lockKey: `trickle-ledger-migrations:${schema}`,
    migrations: pgMigrations,
  });
  return run.to;
}

/**
 * The ledger in PostgreSQL.
 *
 * @example
 * ```ts
 * import { postgresLedger } from '@trickle/ledger/postgres';
 * declare const domain: Parameters<typeof postgresLedger>[0]['domain'];
 * const ledger = await postgresLedger({
 *   connectionString: 'postgres://postgres@127.0.0.1:5432/postgres',
 *   schema: 'trickle_ledger',
 *   domain,
 *   feePpm: 10_000,
 * });
 * ```
 */
export async function postgresLedger(options: PostgresLedgerOptions): Promise<TrickleLedger> {
  const schema = options.schema ?? 'public';
  if (!schemaPattern.test(schema))
    throw new RangeError('schema: expected 1-63 of a-z 0-9 _, not starting with a digit');
  if (typeof options.connectionString !== 'string') throw new TypeError('connectionString: expected a string');
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? pgPoolConnectionsDefault,
    types: ledgerPgTypes,
    options: `-c search_path=${schema}`,
    application_name: 'trickle-ledger',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its connection is dropped by the pool; the next query reports it.
  pool.on('error', () => undefined);
  try {
    await migratePostgres(pool, schema);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new LedgerError('UNAVAILABLE', `PostgreSQL: ${asError(error).message}`, { cause: error });
  }
  return createChannelLedger(pgDriver(pool, schema, options.onStep), options);
}
