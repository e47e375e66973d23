/**
 * The channel store on SQLite (better-sqlite3 12): WAL with `synchronous = FULL` (so a
 * resolved commit survives power loss), `BEGIN IMMEDIATE` transactions, integers read as
 * bigint, CHECK constraints for the invariants. The default store: a file in the hub's
 * data folder. better-sqlite3 is synchronous; a group commit blocks the event loop for
 * one fsync, shared by every write in the batch (ADR 0203).
 */

import type { Asset, InvoiceId, LogHead, PayeeId, PublicKey, Signature } from '@trickle/protocol';
import Database from 'better-sqlite3';
import { HubError } from '../errors.js';
import type { AcceptedVoucher, ChannelStore, ChannelWrite, MerchantRecord, PaidInvoice } from './channelStore.js';
import { bytesOf, type ChannelRow, channelColumns, channelFromRow, channelValues, numberOf } from './rows.js';

const schema = `
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
  PRIMARY KEY (channel_id, seq)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (
  channel_id BLOB NOT NULL,
  seq INTEGER NOT NULL,
  idx INTEGER NOT NULL CHECK (idx >= 0),
  payee BLOB NOT NULL CHECK (length(payee) = 32),
  invoice_id BLOB NOT NULL CHECK (length(invoice_id) = 16),
  amount INTEGER NOT NULL CHECK (amount >= 1),
  expires_at_ms INTEGER NOT NULL,
  PRIMARY KEY (channel_id, seq, idx)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_expiry ON entries (expires_at_ms);
CREATE TABLE IF NOT EXISTS merchants (
  payee_id BLOB PRIMARY KEY CHECK (length(payee_id) = 32),
  public_key BLOB NOT NULL CHECK (length(public_key) = 33),
  assets TEXT NOT NULL,
  name TEXT NOT NULL,
  registered_at_ms INTEGER NOT NULL
) STRICT;
`;

/** Options of {@link sqliteChannelStore}. */
export interface SqliteChannelStoreOptions {
  /** The database file (created if missing), or `:memory:` for tests. */
  readonly path: string;
}

/**
 * Opens (creating if needed) the SQLite channel store.
 *
 * @example
 * ```ts
 * import { sqliteChannelStore } from '@trickle/hub';
 * const store = sqliteChannelStore({ path: '/var/lib/trickle/channels.sqlite' });
 * await store.close();
 * ```
 */
export function sqliteChannelStore(options: SqliteChannelStoreOptions): ChannelStore {
  let db: Database.Database;
  try {
    db = new Database(options.path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.defaultSafeIntegers(true);
    db.exec(schema);
  } catch (cause) {
    throw new HubError('STORE_FAILED', `cannot open the channel store at ${options.path}`, { cause });
  }
  const placeholders = channelColumns.map(() => '?').join(', ');
  const upsertChannel = db.prepare(
    `INSERT OR REPLACE INTO channels (${channelColumns.join(', ')}) VALUES (${placeholders})`,
  );
  const insertVoucher = db.prepare(
    'INSERT INTO vouchers (channel_id, seq, cumulative, log_head, signature) VALUES (?, ?, ?, ?, ?)',
  );
  const insertEntry = db.prepare(
    'INSERT INTO entries (channel_id, seq, idx, payee, invoice_id, amount, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const selectChannel = db.prepare('SELECT * FROM channels WHERE channel_id = ?');
  const selectOpen = db.prepare('SELECT * FROM channels WHERE closed_at_ms IS NULL');
  const selectVouchers = db.prepare(
    'SELECT seq, cumulative, log_head, signature FROM vouchers WHERE channel_id = ? AND seq >= ? AND seq < ? ORDER BY seq',
  );
  const selectEntries = db.prepare(
    'SELECT seq, payee, invoice_id, amount, expires_at_ms FROM entries WHERE channel_id = ? AND seq >= ? AND seq < ? ORDER BY seq, idx',
  );
  const selectInvoices = db.prepare('SELECT payee, invoice_id, expires_at_ms FROM entries WHERE expires_at_ms > ?');
  const upsertMerchant = db.prepare(
    'INSERT OR REPLACE INTO merchants (payee_id, public_key, assets, name, registered_at_ms) VALUES (?, ?, ?, ?, ?)',
  );
  const selectMerchants = db.prepare('SELECT * FROM merchants');

  const commitAll = db.transaction((writes: readonly ChannelWrite[]) => {
    for (const write of writes) {
      upsertChannel.run(...channelValues(write.channel));
      for (const voucher of write.vouchers ?? []) {
        const id = write.channel.channelId;
        insertVoucher.run(id, voucher.seq, voucher.cumulative, voucher.logHead, voucher.signature);
        voucher.entries.forEach((entry, idx) => {
          insertEntry.run(id, voucher.seq, idx, entry.payee, entry.invoiceId, entry.amount, entry.expiresAtMs);
        });
      }
    }
  });

  function guarded<T>(what: string, fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (cause) {
      return Promise.reject(new HubError('STORE_FAILED', `sqlite channel store: ${what} failed`, { cause }));
    }
  }

  return {
    name: 'sqlite',
    commit: (writes) => guarded('commit', () => commitAll.immediate(writes)),
    channel: (channelId) =>
      guarded('channel', () => {
        const row = selectChannel.get(channelId) as ChannelRow | undefined;
        return row === undefined ? undefined : channelFromRow(row);
      }),
    openChannels: () => guarded('openChannels', () => (selectOpen.all() as ChannelRow[]).map(channelFromRow)),
    vouchers: (channelId, fromSeq, limit) =>
      guarded('vouchers', () => {
        const end = fromSeq + limit;
        const rows = selectVouchers.all(channelId, fromSeq, end) as {
          seq: bigint;
          cumulative: bigint;
          log_head: Uint8Array;
          signature: Uint8Array;
        }[];
        const entryRows = selectEntries.all(channelId, fromSeq, end) as {
          seq: bigint;
          payee: Uint8Array;
          invoice_id: Uint8Array;
          amount: bigint;
          expires_at_ms: bigint;
        }[];
        const bySeq = new Map<number, AcceptedVoucher['entries'][number][]>();
        for (const row of entryRows) {
          const seq = numberOf(row.seq);
          let list = bySeq.get(seq);
          if (list === undefined) {
            list = [];
            bySeq.set(seq, list);
          }
          list.push({
            payee: bytesOf(row.payee) as PayeeId,
            invoiceId: bytesOf(row.invoice_id) as InvoiceId,
            amount: row.amount,
            expiresAtMs: numberOf(row.expires_at_ms),
          });
        }
        return rows.map((row) => ({
          seq: numberOf(row.seq),
          cumulative: row.cumulative,
          logHead: bytesOf(row.log_head) as LogHead,
          signature: bytesOf(row.signature) as Signature,
          entries: bySeq.get(numberOf(row.seq)) ?? [],
        }));
      }),
    unexpiredInvoices: (nowMs) =>
      guarded('unexpiredInvoices', () =>
        (selectInvoices.all(nowMs) as { payee: Uint8Array; invoice_id: Uint8Array; expires_at_ms: bigint }[]).map(
          (row): PaidInvoice => ({
            payee: bytesOf(row.payee) as PayeeId,
            invoiceId: bytesOf(row.invoice_id) as InvoiceId,
            expiresAtMs: numberOf(row.expires_at_ms),
          }),
        ),
      ),
    putMerchant: (merchant) =>
      guarded('putMerchant', () => {
        upsertMerchant.run(
          merchant.payeeId,
          merchant.publicKey,
          JSON.stringify(merchant.assets),
          merchant.name,
          merchant.registeredAtMs,
        );
      }),
    merchants: () =>
      guarded('merchants', () =>
        (
          selectMerchants.all() as {
            payee_id: Uint8Array;
            public_key: Uint8Array;
            assets: string;
            name: string;
            registered_at_ms: bigint;
          }[]
        ).map(
          (row): MerchantRecord => ({
            payeeId: bytesOf(row.payee_id) as PayeeId,
            publicKey: bytesOf(row.public_key) as PublicKey,
            assets: JSON.parse(row.assets) as Asset[],
            name: row.name,
            registeredAtMs: numberOf(row.registered_at_ms),
          }),
        ),
      ),
    close: () => guarded('close', () => void db.close()),
  };
}
