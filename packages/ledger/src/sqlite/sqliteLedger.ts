/**
 * The embedded default: the ledger in one SQLite file through better-sqlite3 12. WAL with
 * `synchronous = FULL` (an acknowledged commit survives power loss), every write in a
 * `BEGIN IMMEDIATE` transaction (the write lock is taken up front, so two connections
 * never deadlock on an upgrade), integers read as `bigint` only.
 */

import { runSqliteMigrations } from '@trickle/migrations';
import { asError } from '@trickle/protocol';
import Database from 'better-sqlite3';
import { type ChannelLedgerOptions, createChannelLedger, type TrickleLedger } from '../createChannelLedger.js';
import { LedgerError } from '../ledgerError.js';
import { sqliteBusyTimeoutMs, sqliteWalCheckpointPages } from '../limits.js';
import { type LedgerDriver, runSync, type StepHook, type Txn } from '../store/txn.js';
import { sqliteMigrations } from './sqliteSchema.js';
import { SqliteStore } from './sqliteStore.js';

/**
 * Options of {@link sqliteLedger}.
 *
 * @example
 * ```ts
 * import { sqliteLedger, type SqliteLedgerOptions } from '@trickle/ledger/sqlite';
 * declare const domain: SqliteLedgerOptions['domain'];
 * const ledger = await sqliteLedger({ filename: '.data/ledger.db', domain, feePpm: 10_000, busyTimeoutMs: 10_000 });
 * ```
 */
export interface SqliteLedgerOptions extends ChannelLedgerOptions {
  /** The database file (created when missing), e.g. `.data/ledger.db`. */
  readonly filename: string;
  /** How long to wait for another process's write lock, in ms. Default 5,000. */
  readonly busyTimeoutMs?: number;
  /** Called at every store step (fault injection in tests). */
  readonly onStep?: StepHook;
}

/** SQLite result codes that mean "the database could not do it now", not "the logic is wrong". */
const unavailableCodes = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|NOMEM|PROTOCOL|READONLY)/;

function mapError(error: unknown): unknown {
  if (error instanceof LedgerError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && unavailableCodes.test(code)) {
    return new LedgerError('UNAVAILABLE', `SQLite: ${asError(error).message}`, { details: code, cause: error });
  }
  return error;
}

/**
 * Opens (and migrates) the database with the settings this ledger relies on. A file whose
 * schema is newer than this code is refused with `SchemaVersionError` (`@trickle/migrations`).
 *
 * @example
 * ```ts
 * import { openSqliteDatabase } from '@trickle/ledger/sqlite';
 * const db = openSqliteDatabase('.data/ledger.db');
 * db.close();
 * ```
 */
export function openSqliteDatabase(filename: string, busyTimeoutMs = sqliteBusyTimeoutMs): Database.Database {
  const db = new Database(filename, { timeout: busyTimeoutMs, readonly: false, fileMustExist: false });
  db.defaultSafeIntegers(true);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma(`wal_autocheckpoint = ${sqliteWalCheckpointPages}`);
  try {
    runSqliteMigrations(db, {
      component: 'trickle-ledger',
      version: { pragma: 'user_version' },
      migrations: sqliteMigrations,
    });
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * The {@link LedgerDriver} over one better-sqlite3 connection.
 *
 * @example
 * ```ts
 * import { openSqliteDatabase, sqliteDriver } from '@trickle/ledger/sqlite';
 * const driver = sqliteDriver(openSqliteDatabase('.data/ledger.db'));
 * ```
 */
export function sqliteDriver(db: Database.Database, hook?: StepHook): LedgerDriver {
  const store = new SqliteStore(db);
  const handle = (request: Parameters<SqliteStore['handle']>[0]) => store.handle(request);
  const run = <T>(operation: string, txn: () => Txn<T>, mode: 'immediate' | 'deferred'): Promise<T> => {
    if (!db.open) return Promise.reject(new LedgerError('UNAVAILABLE', 'SQLite: the ledger is closed'));
    try {
      const counter = { step: 0 };
      const body = db.transaction(() => {
        const result = runSync(operation, txn(), handle, hook, counter);
        hook?.({ operation, step: ++counter.step, label: 'commit' });
        return result;
      });
      const result = body[mode]();
      hook?.({ operation, step: ++counter.step, label: 'committed' });
      return Promise.resolve(result);
    } catch (error) {
      return Promise.reject(mapError(error));
    }
  };
  return {
    name: 'sqlite',
    write: (operation, txn) => run(operation, txn, 'immediate'),
    read: (operation, txn) => run(operation, txn, 'deferred'),
    async close() {
      if (db.open) db.close();
    },
  };
}

/**
 * The ledger in a SQLite file: the embedded default.
 *
 * @example
 * ```ts
 * import { sqliteLedger } from '@trickle/ledger/sqlite';
 * declare const domain: Parameters<typeof sqliteLedger>[0]['domain'];
 * const ledger = await sqliteLedger({ filename: '.data/ledger.db', domain, feePpm: 10_000, clock: Date.now });
 * ```
 */
export async function sqliteLedger(options: SqliteLedgerOptions): Promise<TrickleLedger> {
  if (typeof options.filename !== 'string' || options.filename.length === 0) {
    throw new TypeError('filename: expected a path');
  }
  let db: Database.Database;
  try {
    db = openSqliteDatabase(options.filename, options.busyTimeoutMs);
  } catch (error) {
    // Whatever stops the file from opening (a missing directory, permissions, a lock) is I/O.
    throw new LedgerError('UNAVAILABLE', `SQLite: cannot open ${options.filename}: ${asError(error).message}`, {
      cause: error,
    });
  }
  return createChannelLedger(sqliteDriver(db, options.onStep), options);
}
