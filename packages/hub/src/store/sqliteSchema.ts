/**
 * The SQLite channel store's tables, and the migrations: from the first layout (one row
 * per entry) to a voucher's entries in one blob (version 2, ADR 0206), then the unique
 * invoice index (version 3, ADR 0210), then the claim marks on channels (version 4, ADR 0211),
 * then the wallet-payees, their inboxes and the peer invoices (version 5, ADR 0240: new
 * tables only, created by the same `CREATE TABLE IF NOT EXISTS`), then the clearing notices of
 * wallet-payees' inboxes (version 6, ADR 0243: one new table), then each channel's count of
 * unclaimed entries and the settlement indexes (version 7, ADR 0419). Versions up to 5 were kept
 * by checks of what the file holds; since the one migration runner (ADR 0228) each change
 * is a migration of its own, from 6 on.
 */
import { runSqliteMigrations } from '@trickle/migrations';
import { asInvoiceId, asPayeeId } from '@trickle/protocol';
import type Database from 'better-sqlite3';
import { packEntries, unpackEntries } from './entryBlob.js';
import { settlementIndexSql } from './rows.js';

/** The tables of version 5, created when missing (the baseline: see {@link migrate}). */
const schemaSql = `
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
  closed_at_ms INTEGER,
  claimed_seq INTEGER NOT NULL DEFAULT 0 CHECK (claimed_seq >= 0),
  claimed_cumulative INTEGER NOT NULL DEFAULT 0 CHECK (claimed_cumulative >= 0),
  unclaimed_since_ms INTEGER
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
CREATE TABLE IF NOT EXISTS invoices (
  key BLOB PRIMARY KEY CHECK (length(key) = 48),
  expires_at_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS invoices_expiry ON invoices (expires_at_ms);
CREATE TABLE IF NOT EXISTS merchants (
  payee_id BLOB PRIMARY KEY CHECK (length(payee_id) = 32),
  public_key BLOB NOT NULL CHECK (length(public_key) = 33),
  assets TEXT NOT NULL,
  name TEXT NOT NULL,
  registered_at_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS wallet_payees (
  payee_id BLOB PRIMARY KEY CHECK (length(payee_id) = 32),
  public_key BLOB NOT NULL CHECK (length(public_key) = 33),
  registered_at_ms INTEGER NOT NULL,
  last_seq INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
  acked_seq INTEGER NOT NULL DEFAULT 0 CHECK (acked_seq >= 0 AND acked_seq <= last_seq)
) STRICT;
CREATE TABLE IF NOT EXISTS peer_invoices (
  payee_id BLOB NOT NULL CHECK (length(payee_id) = 32),
  invoice_id BLOB NOT NULL CHECK (length(invoice_id) = 16),
  amount INTEGER NOT NULL CHECK (amount >= 1),
  memo TEXT NOT NULL,
  payer BLOB CHECK (payer IS NULL OR length(payer) = 32),
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  PRIMARY KEY (payee_id, invoice_id)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbox (
  payee_id BLOB NOT NULL CHECK (length(payee_id) = 32),
  seq INTEGER NOT NULL CHECK (seq >= 1),
  channel_id BLOB NOT NULL CHECK (length(channel_id) = 32),
  voucher_seq INTEGER NOT NULL CHECK (voucher_seq >= 1),
  invoice_id BLOB NOT NULL CHECK (length(invoice_id) = 16),
  asset_code TEXT NOT NULL,
  asset_scale INTEGER NOT NULL,
  amount INTEGER NOT NULL CHECK (amount >= 1),
  mac BLOB NOT NULL CHECK (length(mac) = 32),
  paid_at_ms INTEGER NOT NULL,
  PRIMARY KEY (payee_id, seq)
) STRICT, WITHOUT ROWID;
`;

interface LegacyEntryRow {
  payee: Uint8Array;
  invoice_id: Uint8Array;
  amount: bigint;
  expires_at_ms: bigint;
}

/** An invoice's key in the unique index: payee (32 bytes) || invoice id (16 bytes). */
export function invoiceKey(payee: Uint8Array, invoiceId: Uint8Array): Uint8Array {
  const key = new Uint8Array(48);
  key.set(payee, 0);
  key.set(invoiceId, 32);
  return key;
}

/**
 * Creates the tables, or brings an older store up to date, through the one migration
 * runner (`@trickle/migrations`, ADR 0228); the version is `PRAGMA user_version`. Stores
 * from before the runner were kept at versions 0 to 5 by checks of what the file holds
 * (ADR 0206, 0210, 0211, 0240), so version 5 is the baseline: one migration that reads
 * what the file has and brings any of those layouts to version 5. Later changes are
 * migrations 6, 7, ... of their own (a file that the code before the runner left at 6
 * already has 6's table). A file newer than this code is refused with `SchemaVersionError`.
 */
export function migrate(db: Database.Database, nowMs: number): void {
  runSqliteMigrations(db, {
    component: 'trickle-hub channel store',
    version: { pragma: 'user_version' },
    migrations: [
      {
        version: 5,
        name: 'channels, vouchers with their entries in one blob, invoice index, claim marks, wallet payees',
        up: (conn) => upgradeToVersion5(conn, nowMs),
      },
      {
        version: 6,
        name: 'clearing notices of wallet-payees (ADR 0243)',
        up: `CREATE TABLE inbox_cleared (
  payee_id BLOB NOT NULL CHECK (length(payee_id) = 32),
  seq INTEGER NOT NULL CHECK (seq >= 1),
  channel_id BLOB NOT NULL CHECK (length(channel_id) = 32),
  after_voucher_seq INTEGER NOT NULL CHECK (after_voucher_seq >= 0),
  through_voucher_seq INTEGER NOT NULL CHECK (through_voucher_seq > after_voucher_seq),
  asset_code TEXT NOT NULL,
  asset_scale INTEGER NOT NULL,
  payments INTEGER NOT NULL CHECK (payments >= 1),
  amount INTEGER NOT NULL CHECK (amount >= 1),
  cleared_at_ms INTEGER NOT NULL,
  PRIMARY KEY (payee_id, seq)
) STRICT, WITHOUT ROWID;`,
      },
      {
        version: 7,
        name: "settlement indexes of open channels, with each channel's count of unclaimed entries (ADR 0419)",
        up: (conn) => upgradeToVersion7(conn, nowMs),
      },
    ],
  });
}

/**
 * Version 7 (ADR 0419): each channel keeps its count of entries not claimed yet
 * (`unclaimed_entries`, kept by every commit, claim and revert), filled here for the open
 * channels from their vouchers beyond the claim (a one-time cost of the upgrade); an open
 * channel with unclaimed entries and no time of the oldest gets `nowMs` (what a start used to
 * guess); and the partial indexes the settlement scheduler pages through instead of holding
 * every open channel in memory.
 */
function upgradeToVersion7(db: Database.Database, nowMs: number): void {
  db.exec(
    'ALTER TABLE channels ADD COLUMN unclaimed_entries INTEGER NOT NULL DEFAULT 0 CHECK (unclaimed_entries >= 0)',
  );
  db.exec(
    `UPDATE channels SET unclaimed_entries = (SELECT coalesce(sum(length(v.entries)), 0) / 64 FROM vouchers v
       WHERE v.channel_id = channels.channel_id AND v.seq > channels.claimed_seq)
     WHERE closed_at_ms IS NULL`,
  );
  db.prepare(
    'UPDATE channels SET unclaimed_since_ms = ? WHERE closed_at_ms IS NULL AND unclaimed_entries > 0 AND unclaimed_since_ms IS NULL',
  ).run(nowMs);
  for (const sql of settlementIndexSql) db.exec(sql.replaceAll('{p}', '').replaceAll('{t}', 'channels'));
}

/**
 * The baseline: creates the tables of version 5, or brings an older layout to them: the
 * first layout's entries are packed into their vouchers' rows (then the per-entry table is
 * dropped), and a store without the invoice index gets it, filled with the invoices of its
 * vouchers that have not expired at `nowMs` (a one-time cost of the upgrade, never of a
 * start). Runs inside the runner's transaction.
 */
function upgradeToVersion5(db: Database.Database, nowMs: number): void {
  const hasTable = (name: string) =>
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
  const hadVouchers = hasTable('vouchers');
  const hadInvoices = hasTable('invoices');
  const legacy = hasTable('entries');
  if (hadVouchers) {
    const columns = (db.prepare('PRAGMA table_info(channels)').all() as { name: string }[]).map((c) => c.name);
    if (!columns.includes('claimed_seq')) {
      db.exec('ALTER TABLE channels ADD COLUMN claimed_seq INTEGER NOT NULL DEFAULT 0 CHECK (claimed_seq >= 0)');
      db.exec(
        'ALTER TABLE channels ADD COLUMN claimed_cumulative INTEGER NOT NULL DEFAULT 0 CHECK (claimed_cumulative >= 0)',
      );
      db.exec('ALTER TABLE channels ADD COLUMN unclaimed_since_ms INTEGER');
    }
  }
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
          payee: asPayeeId(row.payee),
          invoiceId: asInvoiceId(row.invoice_id),
          amount: row.amount,
          expiresAtMs: Number(row.expires_at_ms),
        })),
      );
      update.run(blob, expiresAtMsMax, voucher.channel_id, voucher.seq);
    }
    db.exec('DROP TABLE entries');
  }
  if (hadVouchers && !hadInvoices) fillInvoices(db, nowMs);
}

/** Vouchers read per page when the invoice index is filled on an upgrade. */
const invoiceFillPageVouchers = 1000;

/** Puts every unexpired invoice of the stored vouchers into the invoice index (upgrade to version 3), a page at a time. */
function fillInvoices(db: Database.Database, nowMs: number): void {
  const insert = db.prepare('INSERT INTO invoices (key, expires_at_ms) VALUES (?, ?) ON CONFLICT DO NOTHING');
  const page = db.prepare(
    `SELECT channel_id, seq, entries FROM vouchers WHERE expires_at_ms_max > ? AND (channel_id, seq) > (?, ?)
     ORDER BY channel_id, seq LIMIT ${invoiceFillPageVouchers}`,
  );
  let after: { channel_id: Uint8Array; seq: bigint } = { channel_id: new Uint8Array(0), seq: 0n };
  for (;;) {
    const rows = page.all(nowMs, after.channel_id, after.seq) as {
      channel_id: Uint8Array;
      seq: bigint;
      entries: Uint8Array;
    }[];
    for (const row of rows) {
      for (const entry of unpackEntries(row.entries)) {
        if (entry.expiresAtMs > nowMs) insert.run(invoiceKey(entry.payee, entry.invoiceId), entry.expiresAtMs);
      }
    }
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < invoiceFillPageVouchers) return;
    after = last;
  }
}
