/**
 * The SQLite channel store's tables, and the migration from the first layout (one row
 * per entry) to the current one (a voucher's entries in one blob, ADR 0206).
 */
import type { InvoiceId, PayeeId } from '@trickle/protocol';
import type Database from 'better-sqlite3';
import { packEntries } from './entryBlob.js';

/** `PRAGMA user_version` of the current layout. */
export const schemaVersion = 2;

export const schemaSql = `
CREATE TABLE IF NOT EXISTS channels (
  channel_id BLOB PRIMARY KEY CHECK (length(channel_id) = 32),
  client_key BLOB NOT NULL CHECK (length(client_key) = 33),
  asset_code TEXT NOT NULL,
  asset_scale INTEGER NOT NULL CHECK (asset_scale BETWEEN 0 AND 18),
  deposit INTEGER NOT NULL CHECK (deposit >= 0),
  expires_at_ms INTEGER NOT NULL,
  seq INTEGER NOT NULL CHECK (seq >= 0),
  cumulative INTEGER NOT NULL CHECK (cumulative >= 0 AND cumulative <= deposit),
  log_head BLOB NOT NULL CHECK (length(log_head) = 32),
  signature BLOB CHECK (signature IS NULL OR length(signature) = 64),
  closing_since_ms INTEGER,
  closed_at_ms INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS channels_open ON channels (closed_at_ms) WHERE closed_at_ms IS NULL;
CREATE TABLE IF NOT EXISTS vouchers (
  channel_id BLOB NOT NULL,
  seq INTEGER NOT NULL CHECK (seq >= 1),
  cumulative INTEGER NOT NULL CHECK (cumulative >= 0),
  log_head BLOB NOT NULL CHECK (length(log_head) = 32),
  signature BLOB NOT NULL CHECK (length(signature) = 64),
  entries BLOB NOT NULL DEFAULT x'' CHECK (length(entries) % 64 = 0),
  expires_at_ms_max INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (channel_id, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS vouchers_expiry ON vouchers (expires_at_ms_max);
CREATE TABLE IF NOT EXISTS merchants (
  payee_id BLOB PRIMARY KEY CHECK (length(payee_id) = 32),
  public_key BLOB NOT NULL CHECK (length(public_key) = 33),
  assets TEXT NOT NULL,
  name TEXT NOT NULL,
  registered_at_ms INTEGER NOT NULL
) STRICT;
`;

interface LegacyEntryRow {
  payee: Uint8Array;
  invoice_id: Uint8Array;
  amount: bigint;
  expires_at_ms: bigint;
}

/**
 * Creates the tables, or brings a store of the first layout up to date in one
 * transaction: the entries of each voucher are packed into its row, then the per-entry
 * table is dropped. Idempotent; run before any other connection writes.
 */
export function migrate(db: Database.Database): void {
  const hasTable = (name: string) =>
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
  db.transaction(() => {
    const legacy = hasTable('entries');
    if (legacy) {
      const columns = (db.prepare('PRAGMA table_info(vouchers)').all() as { name: string }[]).map((c) => c.name);
      if (!columns.includes('entries')) {
        db.exec("ALTER TABLE vouchers ADD COLUMN entries BLOB NOT NULL DEFAULT x'' CHECK (length(entries) % 64 = 0)");
        db.exec('ALTER TABLE vouchers ADD COLUMN expires_at_ms_max INTEGER NOT NULL DEFAULT 0');
      }
    }
    db.exec(schemaSql);
    if (legacy) {
      const update = db.prepare(
        'UPDATE vouchers SET entries = ?, expires_at_ms_max = ? WHERE channel_id = ? AND seq = ?',
      );
      const entriesOf = db.prepare(
        'SELECT payee, invoice_id, amount, expires_at_ms FROM entries WHERE channel_id = ? AND seq = ? ORDER BY idx',
      );
      const vouchers = db.prepare('SELECT channel_id, seq FROM vouchers').all() as {
        channel_id: Uint8Array;
        seq: bigint;
      }[];
      for (const voucher of vouchers) {
        const rows = entriesOf.all(voucher.channel_id, voucher.seq) as LegacyEntryRow[];
        const { blob, expiresAtMsMax } = packEntries(
          rows.map((row) => ({
            payee: row.payee as PayeeId,
            invoiceId: row.invoice_id as InvoiceId,
            amount: row.amount,
            expiresAtMs: Number(row.expires_at_ms),
          })),
        );
        update.run(blob, expiresAtMsMax, voucher.channel_id, voucher.seq);
      }
      db.exec('DROP TABLE entries');
    }
    db.pragma(`user_version = ${schemaVersion}`);
  }).immediate();
}
