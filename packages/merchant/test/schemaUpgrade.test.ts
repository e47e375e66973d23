/**
 * Invoice stores created by the code from before the one migration runner (ADR 0228) open
 * with it unchanged: built here with the statements that code ran, with a used invoice
 * written by hand, then opened by today's stores, which still find the invoice used.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropSchema, postgresQuery, postgresUrl, uniqueSchema } from '@trickle/testing/harness';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { postgresInvoiceStore } from '../src/stores/postgresInvoiceStore.js';
import { sqliteInvoiceStore } from '../src/stores/sqliteInvoiceStore.js';

const key = 'invoice-used-before-the-runner';
const keepUntilMs = 4_000_000_000_000;

describe('invoice stores from before the runner', () => {
  it('SQLite: opens unchanged; the used invoice is still used and counted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trickle-invoices-upgrade-'));
    try {
      const path = join(dir, 'invoices.db');
      const db = new Database(path);
      // What that code ran on a new file: its version table (one row, updated in place), then migration 1.
      db.exec(`
        CREATE TABLE trickle_merchant_schema (version INTEGER NOT NULL);
        INSERT INTO trickle_merchant_schema (version) VALUES (0);
        CREATE TABLE trickle_used_invoices (key TEXT PRIMARY KEY NOT NULL, keep_until_ms INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX trickle_used_invoices_keep_until ON trickle_used_invoices (keep_until_ms);
        CREATE TABLE trickle_used_invoices_count (id INTEGER PRIMARY KEY CHECK (id = 1), entries INTEGER NOT NULL);
        INSERT INTO trickle_used_invoices_count (id, entries) VALUES (1, 0);
        CREATE TRIGGER trickle_used_invoices_inserted AFTER INSERT ON trickle_used_invoices
          BEGIN UPDATE trickle_used_invoices_count SET entries = entries + 1 WHERE id = 1; END;
        CREATE TRIGGER trickle_used_invoices_deleted AFTER DELETE ON trickle_used_invoices
          BEGIN UPDATE trickle_used_invoices_count SET entries = entries - 1 WHERE id = 1; END;
        UPDATE trickle_merchant_schema SET version = 1;`);
      db.prepare('INSERT INTO trickle_used_invoices (key, keep_until_ms) VALUES (?, ?)').run(key, keepUntilMs);
      db.close();
      const store = sqliteInvoiceStore({ path });
      try {
        expect(store.size()).toBe(1);
        expect(await store.markUsed(key, keepUntilMs)).toBe('alreadyUsed');
        expect(await store.markUsed('a new one', keepUntilMs)).toBe('marked');
        expect(store.size()).toBe(2);
      } finally {
        await store.close();
      }
      const check = new Database(path, { readonly: true });
      expect(check.prepare('SELECT max(version) FROM trickle_merchant_schema').pluck().get()).toBe(1);
      check.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL: opens unchanged; the used invoice is still used', async () => {
    const schema = uniqueSchema('merchant_upgrade_test');
    try {
      // What that code ran at every start (no version kept).
      await postgresQuery(`CREATE SCHEMA IF NOT EXISTS ${schema};
        CREATE TABLE IF NOT EXISTS ${schema}.trickle_used_invoices (key text PRIMARY KEY, keep_until_ms bigint NOT NULL);
        CREATE INDEX IF NOT EXISTS trickle_used_invoices_keep_until ON ${schema}.trickle_used_invoices (keep_until_ms);`);
      await postgresQuery(`INSERT INTO ${schema}.trickle_used_invoices (key, keep_until_ms) VALUES ($1, $2)`, [
        key,
        keepUntilMs,
      ]);
      const store = await postgresInvoiceStore({ connectionString: postgresUrl, schema });
      try {
        expect(await store.markUsed(key, keepUntilMs)).toBe('alreadyUsed');
        expect(await store.markUsed('a new one', keepUntilMs)).toBe('marked');
      } finally {
        await store.close();
      }
      const { rows } = await postgresQuery(`SELECT version FROM ${schema}.trickle_merchant_schema`);
      expect(rows).toEqual([{ version: 1 }]);
    } finally {
      await dropSchema(schema);
    }
  });
});
