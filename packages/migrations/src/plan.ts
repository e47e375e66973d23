/**
 * What both dialects share: a list of numbered migrations, its checks, the choice of the
 * next one to apply, and the error for a database newer than the code.
 */
import { AssertionError, TrickleError } from '@trickle/protocol';

/**
 * One schema change: applied once, in a transaction of its own, together with the record
 * that the database is now at `version`.
 *
 * @example
 * ```ts
 * import type { Migration } from '@trickle/migrations';
 * const first: Migration<string> = { version: 1, name: 'accounts', up: 'CREATE TABLE accounts (id TEXT PRIMARY KEY)' };
 * ```
 */
export interface Migration<Up> {
  /** The schema version after this migration: a positive integer, larger than the previous migration's. */
  readonly version: number;
  /** What it does, for errors and logs, e.g. `'payee days'`. */
  readonly name: string;
  /** SQL (several statements allowed), or code for what SQL alone cannot do (packing rows, backfills). */
  readonly up: Up;
}

/**
 * What a run did: the version found, the version left, and the migrations applied in order.
 *
 * @example
 * ```ts
 * import type { MigrationRun } from '@trickle/migrations';
 * const run: MigrationRun = { from: 1, to: 2, applied: [2] };
 * ```
 */
export interface MigrationRun {
  /** The database's schema version before the run (0: no schema yet). */
  readonly from: number;
  /** Its schema version after the run: the newest migration's. */
  readonly to: number;
  /** The versions applied by this run, in order; empty when the database was up to date. */
  readonly applied: readonly number[];
}

/**
 * A database whose schema version is newer than the newest migration this code knows:
 * written by a newer release. Nothing is changed; run that release, or restore a backup
 * taken before the upgrade. `code` is `'SCHEMA_TOO_NEW'`.
 *
 * @example
 * ```ts
 * import { SchemaVersionError } from '@trickle/migrations';
 * const error = new SchemaVersionError('trickle-ledger', 3, 2);
 * error.message; // 'trickle-ledger: the database is at schema version 3, newer than 2, the newest this code knows'
 * ```
 */
export class SchemaVersionError extends TrickleError {
  override name = 'SchemaVersionError';
  declare readonly code: 'SCHEMA_TOO_NEW';
  /** Whose schema it is, e.g. `'trickle-hub'`. */
  readonly component: string;
  /** The version found in the database. */
  readonly found: number;
  /** The newest version this code knows. */
  readonly known: number;

  constructor(component: string, found: number, known: number) {
    super(
      'SCHEMA_TOO_NEW',
      `${component}: the database is at schema version ${found}, newer than ${known}, the newest this code knows`,
      { details: 'a newer release wrote it: run that release, or restore a backup taken before the upgrade' },
    );
    this.component = component;
    this.found = found;
    this.known = known;
  }
}

/** Throws a RangeError unless the versions are positive integers in increasing order and `component` is named. */
export function checkMigrations<Up>(component: string, migrations: readonly Migration<Up>[]): void {
  if (typeof component !== 'string' || component.length === 0) throw new TypeError('component: expected a name');
  let previous = 0;
  for (const migration of migrations) {
    if (!Number.isSafeInteger(migration.version) || migration.version <= previous) {
      throw new RangeError(
        `${component}: migration "${migration.name}" has version ${migration.version}; versions must be integers increasing from 1`,
      );
    }
    previous = migration.version;
  }
}

/** The newest version of `migrations` (0 for none). */
export function newestVersion<Up>(migrations: readonly Migration<Up>[]): number {
  return migrations[migrations.length - 1]?.version ?? 0;
}

/**
 * The first migration past `current`, or undefined when the database is up to date.
 * Throws {@link SchemaVersionError} when `current` is newer than every migration.
 */
export function nextMigration<Up>(
  component: string,
  migrations: readonly Migration<Up>[],
  current: number,
): Migration<Up> | undefined {
  const known = newestVersion(migrations);
  if (current > known) throw new SchemaVersionError(component, current, known);
  return migrations.find((migration) => migration.version > current);
}

/**
 * A stored version as a number: drivers hand back numbers, bigints (better-sqlite3 with
 * safe integers) or strings (pg's int8). Anything else is a bug in the runner's SQL.
 */
export function versionOf(row: unknown, column: string): number {
  const value = typeof row === 'object' && row !== null ? Reflect.get(row, column) : undefined;
  const version = typeof value === 'string' || typeof value === 'bigint' ? Number(value) : value;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw new AssertionError(
      `schema version: expected a non-negative integer in column ${column}, got ${String(value)}`,
    );
  }
  return version;
}
