/**
 * The runner on PostgreSQL. It speaks to the pool through what every `pg.Pool` has
 * (`connect`, then `query` and `release`), so this package loads no driver.
 */
import { checkMigrations, type Migration, type MigrationRun, nextMigration, versionOf } from './plan.js';

/**
 * One pooled PostgreSQL connection as the runner uses it; a `pg.PoolClient` is one.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import type { PostgresConnection } from '@trickle/migrations';
 * const pool = new pg.Pool({ connectionString: 'postgres://127.0.0.1/trickle' });
 * const connection: PostgresConnection = await pool.connect();
 * connection.release();
 * ```
 */
export interface PostgresConnection {
  /** One query (without `values`, several statements allowed). */
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  /** Gives the connection back to its pool. */
  release(): void;
}

/**
 * What the runner needs of a pool; a `pg.Pool` is one.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import type { PostgresPool } from '@trickle/migrations';
 * const pool: PostgresPool = new pg.Pool({ connectionString: 'postgres://127.0.0.1/trickle' });
 * ```
 */
export interface PostgresPool {
  /** A connection of its own, for one transaction at a time. */
  connect(): Promise<PostgresConnection>;
}

/**
 * A store's migrations on PostgreSQL. The version is kept in `schema.versionTable`, one row
 * per migration applied (`version` and `applied_at`).
 *
 * @example
 * ```ts
 * import type { PostgresMigrations } from '@trickle/migrations';
 * const plan: PostgresMigrations = {
 *   component: 'example',
 *   schema: 'example',
 *   versionTable: 'example_migrations',
 *   migrations: [{ version: 1, name: 'notes', up: 'CREATE TABLE example.notes (id bigint PRIMARY KEY)' }],
 * };
 * ```
 */
export interface PostgresMigrations {
  /** Whose schema, for errors, e.g. `'trickle-hub'`. */
  readonly component: string;
  /** The PostgreSQL schema that holds the tables (created when missing). */
  readonly schema: string;
  /** The table in `schema` that records the versions applied. */
  readonly versionTable: string;
  /**
   * The advisory lock's key (hashed with `hashtext`). Default
   * `trickle-migrations:<component>:<schema>`. A store that took an advisory lock of its
   * own before this runner keeps its key, so an older process starting beside a newer one
   * still waits for it.
   */
  readonly lockKey?: string;
  /** In increasing order of version; a function runs inside the migration's transaction, on its connection. */
  readonly migrations: readonly Migration<string | ((connection: PostgresConnection) => Promise<void>)>[];
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Brings a PostgreSQL schema up to the newest migration: each missing migration once, in
 * order, in a transaction of its own that first takes a transaction-scoped advisory lock
 * (`pg_advisory_xact_lock`), then reads the version, applies the migration and records it.
 * Processes that start together queue on the lock; each finds what the one before it did,
 * so every migration is applied once. A failing migration rolls back alone and leaves the
 * schema at the version before it. A schema newer than the newest migration is refused
 * with {@link SchemaVersionError}, unchanged.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { runPostgresMigrations } from '@trickle/migrations';
 * const pool = new pg.Pool({ connectionString: 'postgres://127.0.0.1/trickle' });
 * const run = await runPostgresMigrations(pool, {
 *   component: 'example',
 *   schema: 'example',
 *   versionTable: 'example_migrations',
 *   migrations: [{ version: 1, name: 'notes', up: 'CREATE TABLE example.notes (id bigint PRIMARY KEY)' }],
 * });
 * run.to; // 1
 * ```
 */
export async function runPostgresMigrations(pool: PostgresPool, plan: PostgresMigrations): Promise<MigrationRun> {
  checkMigrations(plan.component, plan.migrations);
  for (const [what, name] of [
    ['schema', plan.schema],
    ['version table', plan.versionTable],
  ] as const) {
    if (!identifier.test(name)) throw new RangeError(`${plan.component}: ${what} "${name}" is not a plain identifier`);
  }
  const table = `${plan.schema}.${plan.versionTable}`;
  const lockKey = plan.lockKey ?? `trickle-migrations:${plan.component}:${plan.schema}`;
  const connection = await pool.connect();
  try {
    let from: number | undefined;
    const applied: number[] = [];
    for (;;) {
      await connection.query('BEGIN');
      try {
        await connection.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey]);
        await connection.query(`CREATE SCHEMA IF NOT EXISTS ${plan.schema}`);
        await connection.query(
          `CREATE TABLE IF NOT EXISTS ${table} (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
        );
        const { rows } = await connection.query(`SELECT coalesce(max(version), 0) AS version FROM ${table}`);
        const current = versionOf(rows[0], 'version');
        from ??= current;
        const next = nextMigration(plan.component, plan.migrations, current);
        if (next !== undefined) {
          if (typeof next.up === 'string') await connection.query(next.up);
          else await next.up(connection);
          await connection.query(`INSERT INTO ${table} (version) VALUES ($1)`, [next.version]);
          applied.push(next.version);
        }
        await connection.query('COMMIT');
        if (next === undefined) return { from, to: current, applied };
      } catch (error) {
        await connection.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }
  } finally {
    connection.release();
  }
}
