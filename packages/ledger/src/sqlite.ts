/**
 * `@trickle/ledger/sqlite`: the ledger in one SQLite file through better-sqlite3 12, the
 * embedded default. A subpath of its own so that the core never loads a native module:
 * install `better-sqlite3` (an optional peer dependency) to use it.
 *
 * @packageDocumentation
 */
export { openSqliteDatabase, type SqliteLedgerOptions, sqliteDriver, sqliteLedger } from './sqlite/sqliteLedger.js';
