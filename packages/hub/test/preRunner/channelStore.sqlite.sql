-- The SQLite channel store as the code before the migration runner created it at version 5 (commit 35068b2):
-- these statements, then PRAGMA user_version = 5. Frozen here: packages/hub/test/schemaUpgrade.test.ts
-- opens such a file with the runner.
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
