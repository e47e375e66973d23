/**
 * `@trickle/migrations`: the one schema-migration runner of Trickle's stores (the ledger,
 * the hub's channel store, the merchant's invoice store), on SQLite and PostgreSQL.
 * Versioned, ordered migrations; each applied once, in a transaction with the record of
 * its version; a database newer than the code refused with a typed error; processes that
 * start together serialized (SQLite's write lock, PostgreSQL's advisory lock). It calls the
 * driver the store already holds, through the few methods it needs, and depends on no
 * driver itself (ADR 0228).
 *
 * @packageDocumentation
 */
export { type Migration, type MigrationRun, SchemaVersionError } from './plan.js';
export {
  type PostgresConnection,
  type PostgresMigrations,
  type PostgresPool,
  runPostgresMigrations,
} from './postgres.js';
export {
  runSqliteMigrations,
  type SqliteConnection,
  type SqliteMigrations,
  type SqliteVersionPlace,
} from './sqlite.js';
