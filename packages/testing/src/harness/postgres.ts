/**
 * PostgreSQL for tests: the server `.ci/run` starts (127.0.0.1:5432, database `test`), one
 * fresh schema per test run so that parallel runs never meet, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The test database: `TRICKLE_TEST_POSTGRES_URL`, else `TRICKLE_PG_URL`, else
 * `postgres://postgres@127.0.0.1:5432/test`.
 */
export const postgresUrl: string =
  process.env.TRICKLE_TEST_POSTGRES_URL ?? process.env.TRICKLE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A schema name no other run uses: `prefix`, then 12 random hex digits.
 *
 * @example
 * ```ts
 * import { uniqueSchema } from '@trickle/testing/harness';
 * const schema = uniqueSchema('ledger_test'); // e.g. ledger_test_3fa85f64a1b2
 * ```
 */
export function uniqueSchema(prefix: string): string {
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix)) throw new RangeError(`uniqueSchema: bad prefix ${prefix}`);
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/**
 * Runs one statement on the test database, on a connection of its own.
 *
 * @example
 * ```ts
 * import { postgresQuery } from '@trickle/testing/harness';
 * const { rows } = await postgresQuery('SELECT 1 AS one');
 * ```
 */
export async function postgresQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/**
 * Drops a test schema and everything in it.
 *
 * @example
 * ```ts
 * import { dropSchema, uniqueSchema } from '@trickle/testing/harness';
 * const schema = uniqueSchema('hub_test');
 * await dropSchema(schema);
 * ```
 */
export async function dropSchema(schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new RangeError(`dropSchema: bad schema name ${schema}`);
  await postgresQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}
