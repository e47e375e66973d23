/** The settings a SQLite ledger's connection is opened with: what its durability and speed rest on. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteWalCheckpointPages } from '../src/limits.js';
import { openSqliteDatabase } from '../src/sqlite/sqliteLedger.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('openSqliteDatabase', () => {
  it('opens in WAL mode, synchronous FULL, foreign keys on, checkpointing every sqliteWalCheckpointPages', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trickle-ledger-pragmas-'));
    dirs.push(dir);
    const db = openSqliteDatabase(join(dir, 'ledger.db'));
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(Number(db.pragma('synchronous', { simple: true }))).toBe(2); // FULL
      expect(Number(db.pragma('foreign_keys', { simple: true }))).toBe(1);
      expect(Number(db.pragma('wal_autocheckpoint', { simple: true }))).toBe(sqliteWalCheckpointPages);
      expect(sqliteWalCheckpointPages).toBe(10_000);
    } finally {
      db.close();
    }
  });

  it('a second connection reads what the first committed before any checkpoint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trickle-ledger-pragmas-'));
    dirs.push(dir);
    const file = join(dir, 'ledger.db');
    const writer = openSqliteDatabase(file);
    const reader = openSqliteDatabase(file);
    try {
      writer.exec('CREATE TABLE probe (n INTEGER NOT NULL) STRICT');
      writer.prepare('INSERT INTO probe (n) VALUES (?)').run(42n);
      const row = reader.prepare('SELECT n FROM probe').get() as { n: bigint } | undefined;
      expect(row?.n).toBe(42n);
    } finally {
      writer.close();
      reader.close();
    }
  });
});
