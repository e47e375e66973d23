/**
 * Ledgers created by the code from before the one migration runner (ADR 0228) open with it
 * unchanged. The migrations' SQL did not change; what the runner replaced is the code that
 * applied it, so the stores are built here as that code did (SQLite: each migration, then
 * `PRAGMA user_version`, in one immediate transaction; PostgreSQL: each migration and a row
 * in `ledger_migrations`, under its advisory lock), with an account written by hand. And a
 * ledger newer than the code is refused, unchanged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaVersionError } from '@trickle/migrations';
import { domain, dropSchema, postgresQuery, postgresUrl, uniqueSchema } from '@trickle/testing/harness';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { LedgerError } from '../src/index.js';
import { pgMigrations } from '../src/postgres/pgSchema.js';
import { postgresLedger } from '../src/postgres.js';
import { sqliteMigrations } from '../src/sqlite/sqliteSchema.js';
import { sqliteLedger } from '../src/sqlite.js';

const insertAccount = (table: string, p: (i: number) => string) =>
  `INSERT INTO ${table} (id, kind, asset_code, asset_scale, allow_negative, debits_pending, debits_posted,
     credits_pending, credits_posted, version, created_at_ms)
   VALUES (${Array.from({ length: 11 }, (_, i) => p(i + 1)).join(', ')})`;
const account = ['payer:before-the-runner', 'payer', 'USD', 6, false, 0, 0, 0, 500, 1, 1_700_000_000_000];
const expected = { id: 'payer:before-the-runner', kind: 'payer', creditsPosted: 500n, balance: 500n };

describe('SQLite ledger from before the runner', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-ledger-upgrade-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function oldLedger(path: string, version = sqliteMigrations.length): void {
    const db = new Database(path);
    db.transaction(() => {
      for (let i = 0; i < version; i++) {
        db.exec(sqliteMigrations[i]?.up ?? '');
        db.pragma(`user_version = ${i + 1}`);
      }
      db.prepare(insertAccount('accounts', () => '?')).run(
        ...account.map((v) => (typeof v === 'boolean' ? Number(v) : v)),
      );
    }).immediate();
    db.close();
  }

  it('opens unchanged at every version that code wrote, its accounts as they were', async () => {
    for (const version of [1, 2]) {
      const filename = join(dir, `v${version}.sqlite`);
      oldLedger(filename, version);
      const ledger = await sqliteLedger({ filename, domain, feePpm: 0 });
      try {
        expect(await ledger.lookupAccounts([expected.id])).toEqual([expect.objectContaining(expected)]);
      } finally {
        await ledger.close();
      }
      const check = new Database(filename, { readonly: true });
      expect(check.pragma('user_version', { simple: true })).toBe(2);
      check.close();
    }
  });

  it('refuses a newer file, naming both versions, and leaves it as it was', async () => {
    const filename = join(dir, 'v3.sqlite');
    oldLedger(filename);
    const db = new Database(filename);
    db.pragma('user_version = 3');
    db.close();
    const error = await sqliteLedger({ filename, domain, feePpm: 0 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LedgerError);
    expect((error as LedgerError).cause).toBeInstanceOf(SchemaVersionError);
    expect((error as LedgerError).message).toContain('schema version 3, newer than 2');
    const check = new Database(filename, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(3);
    check.close();
  });
});

describe('PostgreSQL ledger from before the runner', () => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  it('opens unchanged, its accounts as they were', async () => {
    const schema = uniqueSchema('ledger_upgrade_test');
    schemas.push(schema);
    await postgresQuery(`CREATE SCHEMA ${schema}`);
    await postgresQuery(
      `CREATE TABLE ${schema}.ledger_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    for (const migration of pgMigrations) {
      await postgresQuery(`SET search_path TO ${schema}; ${migration.up}`);
      await postgresQuery(`INSERT INTO ${schema}.ledger_migrations (version) VALUES ($1)`, [migration.version]);
    }
    await postgresQuery(
      insertAccount(`${schema}.accounts`, (i) => `$${i}`),
      account,
    );
    const ledger = await postgresLedger({ connectionString: postgresUrl, schema, domain, feePpm: 0 });
    try {
      expect(await ledger.lookupAccounts([expected.id])).toEqual([expect.objectContaining(expected)]);
    } finally {
      await ledger.close();
    }
    const { rows } = await postgresQuery(`SELECT version FROM ${schema}.ledger_migrations ORDER BY version`);
    expect(rows).toEqual([{ version: 1 }, { version: 2 }]);
  });
});
