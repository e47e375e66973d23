/**
 * The runner on SQLite. It speaks to the connection through the two methods every
 * better-sqlite3 `Database` has (`exec`, `prepare`), so this package loads no driver.
 */
import { checkMigrations, type Migration, type MigrationRun, nextMigration, versionOf } from './plan.js';

/**
 * The part of a SQLite connection the runner uses; a better-sqlite3 `Database` is one.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * import type { SqliteConnection } from '@trickle/migrations';
 * const db: SqliteConnection = new Database(':memory:');
 * ```
 */
export interface SqliteConnection {
  /** Runs SQL (several statements allowed), no result. */
  exec(sql: string): unknown;
  /** A prepared statement. */
  prepare(sql: string): {
    get(...params: unknown[]): unknown;
    run(...params: unknown[]): unknown;
  };
}

/**
 * Where a SQLite file keeps its schema version: `PRAGMA user_version` (for a file the store
 * owns alone), or a table of the store's own (a file that may hold other tables too).
 *
 * @example
 * ```ts
 * import type { SqliteVersionPlace } from '@trickle/migrations';
 * const own: SqliteVersionPlace = { pragma: 'user_version' };
 * const shared: SqliteVersionPlace = { table: 'trickle_merchant_schema' };
 * ```
 */
export type SqliteVersionPlace = { readonly pragma: 'user_version' } | { readonly table: string };

/**
 * A store's migrations on SQLite.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * import type { SqliteMigrations } from '@trickle/migrations';
 * const plan: SqliteMigrations<Database.Database> = {
 *   component: 'example',
 *   version: { pragma: 'user_version' },
 *   migrations: [{ version: 1, name: 'notes', up: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)' }],
 * };
 * ```
 */
export interface SqliteMigrations<Db extends SqliteConnection> {
  /** Whose schema, for errors, e.g. `'trickle-ledger'`. */
  readonly component: string;
  /** Where the version is kept. */
  readonly version: SqliteVersionPlace;
  /** In increasing order of version; a function runs inside the migration's transaction. */
  readonly migrations: readonly Migration<string | ((db: Db) => void)>[];
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Brings a SQLite database up to the newest migration: each missing migration once, in
 * order, in a `BEGIN IMMEDIATE` transaction of its own that also records the new version.
 * The version is read inside that transaction, under the write lock, so processes that
 * open one file together apply each migration once (the others wait up to the
 * connection's busy timeout, then find it done). A failing migration rolls back alone and
 * leaves the database at the version before it. A database newer than the newest migration
 * is refused with {@link SchemaVersionError}, unchanged.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * import { runSqliteMigrations } from '@trickle/migrations';
 * const db = new Database(':memory:');
 * const run = runSqliteMigrations(db, {
 *   component: 'example',
 *   version: { pragma: 'user_version' },
 *   migrations: [
 *     { version: 1, name: 'notes', up: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)' },
 *     { version: 2, name: 'a first note', up: (conn) => void conn.prepare('INSERT INTO notes (text) VALUES (?)').run('hello') },
 *   ],
 * });
 * run.applied; // [1, 2]
 * ```
 */
export function runSqliteMigrations<Db extends SqliteConnection>(db: Db, plan: SqliteMigrations<Db>): MigrationRun {
  checkMigrations(plan.component, plan.migrations);
  const place = plan.version;
  if ('table' in place && !identifier.test(place.table)) {
    throw new RangeError(`${plan.component}: version table "${place.table}" is not a plain identifier`);
  }
  const read = (): number => {
    if ('pragma' in place) return versionOf(db.prepare('PRAGMA user_version').get(), 'user_version');
    db.exec(`CREATE TABLE IF NOT EXISTS ${place.table} (version INTEGER PRIMARY KEY)`);
    return versionOf(db.prepare(`SELECT coalesce(max(version), 0) AS version FROM ${place.table}`).get(), 'version');
  };
  const record = (version: number): void => {
    if ('pragma' in place) db.exec(`PRAGMA user_version = ${version}`);
    else db.prepare(`INSERT INTO ${place.table} (version) VALUES (?)`).run(version);
  };
  let from: number | undefined;
  const applied: number[] = [];
  for (;;) {
    db.exec('BEGIN IMMEDIATE');
    try {
      const current = read();
      from ??= current;
      const next = nextMigration(plan.component, plan.migrations, current);
      if (next !== undefined) {
        if (typeof next.up === 'string') db.exec(next.up);
        else next.up(db);
        record(next.version);
        applied.push(next.version);
      }
      db.exec('COMMIT');
      if (next === undefined) return { from, to: current, applied };
    } catch (error) {
      rollback(db);
      throw error;
    }
  }
}

/** Ends the failed transaction; SQLite may have ended it already (some errors roll back on their own). */
function rollback(db: SqliteConnection): void {
  try {
    db.exec('ROLLBACK');
  } catch {
    // no transaction left to roll back: the error that brought us here is the one to report
  }
}
