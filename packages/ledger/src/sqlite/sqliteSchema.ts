/**
 * The SQLite schema, as numbered migrations tracked in `PRAGMA user_version`. STRICT
 * tables, and CHECK, UNIQUE and FOREIGN KEY constraints that restate the invariants the
 * logic keeps, so a bug (or a hand edit) that breaks one fails loudly instead of storing it.
 */
import type { Migration } from '@trickle/migrations';

/** Migrations in order. */
export const sqliteMigrations: readonly Migration<string>[] = [
  {
    version: 1,
    name: 'accounts, transfers and channels',
    up: `
CREATE TABLE accounts (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
  kind TEXT NOT NULL CHECK (kind IN ('payer', 'escrow', 'payee', 'fee', 'external')),
  asset_code TEXT NOT NULL CHECK (length(asset_code) BETWEEN 1 AND 12),
  asset_scale INTEGER NOT NULL CHECK (asset_scale BETWEEN 0 AND 18),
  allow_negative INTEGER NOT NULL CHECK (allow_negative IN (0, 1)),
  debits_pending INTEGER NOT NULL CHECK (debits_pending >= 0),
  debits_posted INTEGER NOT NULL CHECK (debits_posted >= 0),
  credits_pending INTEGER NOT NULL CHECK (credits_pending >= 0),
  credits_posted INTEGER NOT NULL CHECK (credits_posted >= 0),
  version INTEGER NOT NULL CHECK (version >= 0),
  created_at_ms INTEGER NOT NULL,
  -- A balance never goes below zero unless the account allows it (written so that it cannot overflow).
  CHECK (allow_negative = 1 OR debits_posted <= credits_posted - debits_pending),
  CHECK (allow_negative = 0 OR kind = 'external')
) STRICT;

CREATE TABLE transfers (
  serial INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE CHECK (length(id) BETWEEN 1 AND 256),
  kind TEXT NOT NULL CHECK (kind IN ('posted', 'pending', 'post', 'void')),
  debit_account_id TEXT NOT NULL REFERENCES accounts (id),
  credit_account_id TEXT NOT NULL REFERENCES accounts (id),
  amount INTEGER NOT NULL CHECK (amount >= 0),
  pending_id TEXT REFERENCES transfers (id),
  timeout_ms INTEGER CHECK (timeout_ms IS NULL OR timeout_ms >= 1),
  expires_at_ms INTEGER,
  pending_status TEXT CHECK (pending_status IN ('pending', 'posted', 'voided', 'expired')),
  code INTEGER NOT NULL CHECK (code BETWEEN 0 AND 65535),
  ref TEXT,
  memo TEXT,
  created_at_ms INTEGER NOT NULL,
  CHECK (debit_account_id <> credit_account_id),
  CHECK ((kind = 'pending') = (pending_status IS NOT NULL)),
  CHECK ((kind IN ('post', 'void')) = (pending_id IS NOT NULL)),
  CHECK ((timeout_ms IS NULL) = (expires_at_ms IS NULL))
) STRICT;
CREATE INDEX transfers_by_debit ON transfers (debit_account_id, serial);
CREATE INDEX transfers_by_credit ON transfers (credit_account_id, serial);
CREATE INDEX transfers_by_ref ON transfers (ref, serial) WHERE ref IS NOT NULL;
CREATE INDEX transfers_pending_expiry ON transfers (expires_at_ms) WHERE pending_status = 'pending';
-- A pending transfer is posted or voided at most once.
CREATE UNIQUE INDEX transfers_one_resolution ON transfers (pending_id) WHERE pending_id IS NOT NULL;

CREATE TABLE transfer_failures (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 256),
  kind TEXT NOT NULL CHECK (kind IN ('posted', 'pending', 'post', 'void')),
  debit_account_id TEXT,
  credit_account_id TEXT,
  amount INTEGER CHECK (amount IS NULL OR amount >= 0),
  pending_id TEXT,
  timeout_ms INTEGER,
  code INTEGER NOT NULL,
  ref TEXT,
  memo TEXT,
  error TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE channels (
  id TEXT PRIMARY KEY CHECK (length(id) = 64),
  client_key BLOB NOT NULL CHECK (length(client_key) = 33),
  asset_code TEXT NOT NULL,
  asset_scale INTEGER NOT NULL,
  fee_ppm INTEGER NOT NULL CHECK (fee_ppm BETWEEN 0 AND 1000000),
  initial_deposit INTEGER NOT NULL CHECK (initial_deposit >= 1),
  deposit INTEGER NOT NULL CHECK (deposit >= initial_deposit),
  expires_at_ms INTEGER NOT NULL,
  opened_at_ms INTEGER NOT NULL,
  claimed_seq INTEGER NOT NULL CHECK (claimed_seq >= 0),
  claimed_cumulative INTEGER NOT NULL CHECK (claimed_cumulative BETWEEN 0 AND deposit),
  claimed_log_head BLOB NOT NULL CHECK (length(claimed_log_head) = 32),
  claimed_entry_count INTEGER NOT NULL CHECK (claimed_entry_count >= 0),
  close_kind TEXT CHECK (close_kind IN ('cooperative', 'client', 'hub', 'expiry')),
  close_started_at_ms INTEGER,
  challenge_ends_at_ms INTEGER,
  close_seq INTEGER,
  close_cumulative INTEGER,
  close_log_head BLOB CHECK (close_log_head IS NULL OR length(close_log_head) = 32),
  close_entry_count INTEGER,
  due_at_ms INTEGER NOT NULL,
  finalized_at_ms INTEGER,
  version INTEGER NOT NULL CHECK (version >= 0),
  CHECK ((close_kind IS NULL) = (close_seq IS NULL)),
  CHECK ((close_kind IS NULL) = (close_cumulative IS NULL)),
  CHECK ((close_kind IS NULL) = (close_log_head IS NULL)),
  CHECK ((close_kind IS NULL) = (close_entry_count IS NULL)),
  CHECK ((close_kind IS NULL) = (challenge_ends_at_ms IS NULL)),
  CHECK (close_seq IS NULL OR close_seq >= claimed_seq),
  CHECK (close_cumulative IS NULL OR close_cumulative BETWEEN claimed_cumulative AND deposit),
  CHECK (finalized_at_ms IS NULL OR (close_kind IS NOT NULL AND close_seq = claimed_seq))
) STRICT;
CREATE INDEX channels_due ON channels (due_at_ms, id) WHERE finalized_at_ms IS NULL;

CREATE TABLE channel_states (
  channel_id TEXT NOT NULL REFERENCES channels (id),
  seq INTEGER NOT NULL CHECK (seq >= 1),
  cumulative INTEGER NOT NULL CHECK (cumulative >= 0),
  log_head BLOB NOT NULL CHECK (length(log_head) = 32),
  signature BLOB NOT NULL CHECK (length(signature) = 64),
  entry_count INTEGER NOT NULL CHECK (entry_count >= 1),
  role TEXT NOT NULL CHECK (role IN ('claim', 'close')),
  PRIMARY KEY (channel_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE channel_entries (
  channel_id TEXT NOT NULL REFERENCES channels (id),
  position INTEGER NOT NULL CHECK (position >= 1),
  payee TEXT NOT NULL CHECK (length(payee) = 64),
  invoice_id BLOB NOT NULL CHECK (length(invoice_id) = 16),
  amount INTEGER NOT NULL CHECK (amount >= 1),
  PRIMARY KEY (channel_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE channel_payee_totals (
  channel_id TEXT NOT NULL REFERENCES channels (id),
  payee TEXT NOT NULL CHECK (length(payee) = 64),
  gross INTEGER NOT NULL CHECK (gross >= 1),
  PRIMARY KEY (channel_id, payee)
) STRICT, WITHOUT ROWID;
`,
  },
  {
    version: 2,
    name: 'closing channels and payee days (ADR 0107, ADR 0109)',
    up: `
-- Closing channels by the end of their challenge window: what a hub watches (ADR 0107).
CREATE INDEX channels_closing ON channels (due_at_ms, id) WHERE finalized_at_ms IS NULL AND close_kind IS NOT NULL;

-- Each payee account's sums per UTC day, kept in the transactions that move the money: statements (ADR 0109).
CREATE TABLE payee_days (
  account_id TEXT NOT NULL REFERENCES accounts (id),
  day INTEGER NOT NULL CHECK (day >= 0),
  gross INTEGER NOT NULL CHECK (gross >= 0),
  fee INTEGER NOT NULL CHECK (fee >= 0 AND fee <= gross),
  net INTEGER NOT NULL CHECK (net = gross - fee),
  paid_out INTEGER NOT NULL CHECK (paid_out >= 0),
  PRIMARY KEY (account_id, day)
) STRICT, WITHOUT ROWID;
`,
  },
];
