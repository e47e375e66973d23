/**
 * The PostgreSQL schema, as numbered migrations recorded in `ledger_migrations`. Ids use
 * the "C" collation so that ordering (scans, lock order) is bytewise, as in SQLite and the
 * memory twin. CHECK, UNIQUE and FOREIGN KEY constraints restate the invariants.
 */
import type { Migration } from '@trickle/migrations';

/** Migrations in order. */
export const pgMigrations: readonly Migration<string>[] = [
  {
    version: 1,
    name: 'accounts, transfers and channels',
    up: `
CREATE TABLE accounts (
  id text COLLATE "C" PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
  kind text NOT NULL CHECK (kind IN ('payer', 'escrow', 'payee', 'fee', 'external')),
  asset_code text NOT NULL CHECK (length(asset_code) BETWEEN 1 AND 12),
  asset_scale int NOT NULL CHECK (asset_scale BETWEEN 0 AND 18),
  allow_negative boolean NOT NULL,
  debits_pending bigint NOT NULL CHECK (debits_pending >= 0),
  debits_posted bigint NOT NULL CHECK (debits_posted >= 0),
  credits_pending bigint NOT NULL CHECK (credits_pending >= 0),
  credits_posted bigint NOT NULL CHECK (credits_posted >= 0),
  version bigint NOT NULL CHECK (version >= 0),
  created_at_ms bigint NOT NULL,
  -- A balance never goes below zero unless the account allows it (written so that it cannot overflow).
  CHECK (allow_negative OR debits_posted <= credits_posted - debits_pending),
  CHECK (NOT allow_negative OR kind = 'external')
);

CREATE TABLE transfers (
  serial bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text COLLATE "C" NOT NULL UNIQUE CHECK (length(id) BETWEEN 1 AND 256),
  kind text NOT NULL CHECK (kind IN ('posted', 'pending', 'post', 'void')),
  debit_account_id text COLLATE "C" NOT NULL REFERENCES accounts (id),
  credit_account_id text COLLATE "C" NOT NULL REFERENCES accounts (id),
  amount bigint NOT NULL CHECK (amount >= 0),
  pending_id text COLLATE "C" REFERENCES transfers (id),
  timeout_ms bigint CHECK (timeout_ms IS NULL OR timeout_ms >= 1),
  expires_at_ms bigint,
  pending_status text CHECK (pending_status IN ('pending', 'posted', 'voided', 'expired')),
  code int NOT NULL CHECK (code BETWEEN 0 AND 65535),
  ref text COLLATE "C",
  memo text,
  created_at_ms bigint NOT NULL,
  CHECK (debit_account_id <> credit_account_id),
  CHECK ((kind = 'pending') = (pending_status IS NOT NULL)),
  CHECK ((kind IN ('post', 'void')) = (pending_id IS NOT NULL)),
  CHECK ((timeout_ms IS NULL) = (expires_at_ms IS NULL))
);
CREATE INDEX transfers_by_debit ON transfers (debit_account_id, serial);
CREATE INDEX transfers_by_credit ON transfers (credit_account_id, serial);
CREATE INDEX transfers_by_ref ON transfers (ref, serial) WHERE ref IS NOT NULL;
CREATE INDEX transfers_pending_expiry ON transfers (expires_at_ms) WHERE pending_status = 'pending';
-- A pending transfer is posted or voided at most once.
CREATE UNIQUE INDEX transfers_one_resolution ON transfers (pending_id) WHERE pending_id IS NOT NULL;

CREATE TABLE transfer_failures (
  id text COLLATE "C" PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 256),
  kind text NOT NULL CHECK (kind IN ('posted', 'pending', 'post', 'void')),
  debit_account_id text,
  credit_account_id text,
  amount bigint CHECK (amount IS NULL OR amount >= 0),
  pending_id text,
  timeout_ms bigint,
  code int NOT NULL,
  ref text,
  memo text,
  error text NOT NULL,
  created_at_ms bigint NOT NULL
);

CREATE TABLE channels (
  id text COLLATE "C" PRIMARY KEY CHECK (length(id) = 64),
  client_key bytea NOT NULL CHECK (length(client_key) = 33),
  asset_code text NOT NULL,
  asset_scale int NOT NULL,
  fee_ppm int NOT NULL CHECK (fee_ppm BETWEEN 0 AND 1000000),
  initial_deposit bigint NOT NULL CHECK (initial_deposit >= 1),
  deposit bigint NOT NULL CHECK (deposit >= initial_deposit),
  expires_at_ms bigint NOT NULL,
  opened_at_ms bigint NOT NULL,
  claimed_seq bigint NOT NULL CHECK (claimed_seq >= 0),
  claimed_cumulative bigint NOT NULL CHECK (claimed_cumulative BETWEEN 0 AND deposit),
  claimed_log_head bytea NOT NULL CHECK (length(claimed_log_head) = 32),
  claimed_entry_count bigint NOT NULL CHECK (claimed_entry_count >= 0),
  close_kind text CHECK (close_kind IN ('cooperative', 'client', 'hub', 'expiry')),
  close_started_at_ms bigint,
  challenge_ends_at_ms bigint,
  close_seq bigint,
  close_cumulative bigint,
  close_log_head bytea CHECK (close_log_head IS NULL OR length(close_log_head) = 32),
  close_entry_count bigint,
  due_at_ms bigint NOT NULL,
  finalized_at_ms bigint,
  version bigint NOT NULL CHECK (version >= 0),
  CHECK ((close_kind IS NULL) = (close_seq IS NULL)),
  CHECK ((close_kind IS NULL) = (close_cumulative IS NULL)),
  CHECK ((close_kind IS NULL) = (close_log_head IS NULL)),
  CHECK ((close_kind IS NULL) = (close_entry_count IS NULL)),
  CHECK ((close_kind IS NULL) = (challenge_ends_at_ms IS NULL)),
  CHECK (close_seq IS NULL OR close_seq >= claimed_seq),
  CHECK (close_cumulative IS NULL OR close_cumulative BETWEEN claimed_cumulative AND deposit),
  CHECK (finalized_at_ms IS NULL OR (close_kind IS NOT NULL AND close_seq = claimed_seq))
);
CREATE INDEX channels_due ON channels (due_at_ms, id) WHERE finalized_at_ms IS NULL;

CREATE TABLE channel_states (
  channel_id text COLLATE "C" NOT NULL REFERENCES channels (id),
  seq bigint NOT NULL CHECK (seq >= 1),
  cumulative bigint NOT NULL CHECK (cumulative >= 0),
  log_head bytea NOT NULL CHECK (length(log_head) = 32),
  signature bytea NOT NULL CHECK (length(signature) = 64),
  entry_count bigint NOT NULL CHECK (entry_count >= 1),
  role text NOT NULL CHECK (role IN ('claim', 'close')),
  PRIMARY KEY (channel_id, seq)
);

CREATE TABLE channel_entries (
  channel_id text COLLATE "C" NOT NULL REFERENCES channels (id),
  position bigint NOT NULL CHECK (position >= 1),
  payee text COLLATE "C" NOT NULL CHECK (length(payee) = 64),
  invoice_id bytea NOT NULL CHECK (length(invoice_id) = 16),
  amount bigint NOT NULL CHECK (amount >= 1),
  PRIMARY KEY (channel_id, position)
);

CREATE TABLE channel_payee_totals (
  channel_id text COLLATE "C" NOT NULL REFERENCES channels (id),
  payee text COLLATE "C" NOT NULL CHECK (length(payee) = 64),
  gross bigint NOT NULL CHECK (gross >= 1),
  PRIMARY KEY (channel_id, payee)
);
`,
  },
  {
    version: 2,
    name: 'closing channels and payee days (ADR 0107, ADR 0109)',
    up: `
CREATE INDEX channels_closing ON channels (due_at_ms, id) WHERE finalized_at_ms IS NULL AND close_kind IS NOT NULL;

CREATE TABLE payee_days (
  account_id text COLLATE "C" NOT NULL REFERENCES accounts (id),
  day bigint NOT NULL CHECK (day >= 0),
  gross bigint NOT NULL CHECK (gross >= 0),
  fee bigint NOT NULL CHECK (fee >= 0 AND fee <= gross),
  net bigint NOT NULL CHECK (net = gross - fee),
  paid_out bigint NOT NULL CHECK (paid_out >= 0),
  PRIMARY KEY (account_id, day)
);
`,
  },
];
