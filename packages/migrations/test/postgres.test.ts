/**
 * The runner on PostgreSQL: order, once only, a failing step alone rolled back, a newer
 * schema refused unchanged, and several starters at once on a fresh schema (each with its
 * own pool and connections, as separate processes have).
 */
import { dropSchema, postgresUrl, uniqueSchema } from '@trickle/testing/harness';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type PostgresMigrations, runPostgresMigrations, SchemaVersionError } from '../src/index.js';

const schemas: string[] = [];
const pools: pg.Pool[] = [];

function newPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: postgresUrl, max: 2 });
  pools.push(pool);
  return pool;
}

function planFor(schema: string, count = 3): PostgresMigrations {
  const all: PostgresMigrations['migrations'] = [
    // No IF NOT EXISTS: applied twice, it fails.
    { version: 1, name: 'notes', up: `CREATE TABLE ${schema}.notes (id serial PRIMARY KEY, text text NOT NULL)` },
    { version: 2, name: 'a first note', up: `INSERT INTO ${schema}.notes (text) VALUES ('first')` },
    {
      version: 3,
      name: 'notes in upper case',
      up: async (connection) => {
        await connection.query(`UPDATE ${schema}.notes SET text = upper(text)`);
      },
    },
  ];
  return { component: 'example', schema, versionTable: 'example_migrations', migrations: all.slice(0, count) };
}

async function rows(pool: pg.Pool, sql: string): Promise<unknown[]> {
  return (await pool.query(sql)).rows;
}

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  for (const schema of schemas) await dropSchema(schema);
});

describe('runPostgresMigrations', () => {
  it('applies every migration in order, once, creating the schema, and records each version', async () => {
    const schema = uniqueSchema('migrations_test');
    schemas.push(schema);
    const pool = newPool();
    expect(await runPostgresMigrations(pool, planFor(schema))).toEqual({ from: 0, to: 3, applied: [1, 2, 3] });
    expect(await runPostgresMigrations(pool, planFor(schema))).toEqual({ from: 3, to: 3, applied: [] });
    expect(await rows(pool, `SELECT text FROM ${schema}.notes`)).toEqual([{ text: 'FIRST' }]);
    expect(await rows(pool, `SELECT version FROM ${schema}.example_migrations ORDER BY version`)).toEqual([
      { version: 1 },
      { version: 2 },
      { version: 3 },
    ]);
  });

  it('applies only what is missing, and rolls back a failing migration alone', async () => {
    const schema = uniqueSchema('migrations_test');
    schemas.push(schema);
    const pool = newPool();
    expect((await runPostgresMigrations(pool, planFor(schema, 1))).applied).toEqual([1]);
    const plan = planFor(schema);
    const failing = {
      version: 4,
      name: 'half done',
      up: `INSERT INTO ${schema}.notes (text) VALUES ('half'); SELECT 1 / 0`,
    };
    await expect(runPostgresMigrations(pool, { ...plan, migrations: [...plan.migrations, failing] })).rejects.toThrow(
      'division by zero',
    );
    expect(await rows(pool, `SELECT max(version) AS version FROM ${schema}.example_migrations`)).toEqual([
      { version: 3 },
    ]);
    expect(await rows(pool, `SELECT text FROM ${schema}.notes`)).toEqual([{ text: 'FIRST' }]);
  });

  it('refuses a schema newer than the code, naming both versions, and changes nothing', async () => {
    const schema = uniqueSchema('migrations_test');
    schemas.push(schema);
    const pool = newPool();
    await runPostgresMigrations(pool, planFor(schema));
    const error = await runPostgresMigrations(pool, planFor(schema, 2)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaVersionError);
    expect(error).toMatchObject({ code: 'SCHEMA_TOO_NEW', component: 'example', found: 3, known: 2 });
    expect(await rows(pool, `SELECT count(*)::int AS n FROM ${schema}.example_migrations`)).toEqual([{ n: 3 }]);
  });

  it('applies each migration once when several starters, each with its own connections, start together on a fresh schema', async () => {
    const schema = uniqueSchema('migrations_test');
    schemas.push(schema);
    // Each "process" has its own pool and connections; migration 1 is slow so that the others arrive meanwhile.
    const plan = planFor(schema);
    const slow = {
      ...plan,
      migrations: plan.migrations.map((m) => (m.version === 1 ? { ...m, up: `SELECT pg_sleep(0.2); ${m.up}` } : m)),
    };
    const starters = 6;
    const runs = await Promise.all(Array.from({ length: starters }, () => runPostgresMigrations(newPool(), slow)));
    expect(runs.flatMap((run) => run.applied).sort()).toEqual([1, 2, 3]);
    for (const run of runs) expect(run.to).toBe(3);
    const pool = newPool();
    expect(await rows(pool, `SELECT text FROM ${schema}.notes`)).toEqual([{ text: 'FIRST' }]);
  });
});
