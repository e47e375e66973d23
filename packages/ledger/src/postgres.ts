/**
 * `@trickle/ledger/postgres`: the ledger on PostgreSQL through `pg`, for several hub
 * processes sharing one database. A subpath of its own so that the core never loads a
 * database driver: install `pg` (an optional peer dependency) to use it.
 *
 * @packageDocumentation
 */
export {
  ledgerPgTypes,
  migratePostgres,
  type PostgresLedgerOptions,
  postgresLedger,
} from './postgres/postgresLedger.js';
