-- The PostgreSQL channel store as the code before the migration runner created it (commit 35068b2),
-- with {schema} for its schema, at every start, keeping no version; the lease tables only in a cluster.
-- Frozen here: packages/hub/test/schemaUpgrade.test.ts opens such a schema with the runner.
CREATE SCHEMA IF NOT EXISTS {schema};
CREATE TABLE IF NOT EXISTS {schema}.channels (
  channel_id BYTEA PRIMARY KEY CHECK (length(channel_id) = 32),
  client_key BYTEA NOT NULL CHECK (length(client_key) = 33),
  asset_code TEXT NOT NULL,
  asset_scale SMALLINT NOT NULL CHECK (asset_scale BETWEEN 0 AND 18),
  deposit BIGINT NOT NULL CHECK (deposit >= 0),
  expires_at_ms BIGINT NOT NULL,
  seq BIGINT NOT NULL CHECK (seq >= 0),
  cumulative BIGINT NOT NULL CHECK (cumulative >= 0 AND cumulative <= deposit),
  log_head BYTEA NOT NULL CHECK (length(log_head) = 32),
  signature BYTEA CHECK (signature IS NULL OR length(signature) = 64),
  closing_since_ms BIGINT,
  closed_at_ms BIGINT
);
ALTER TABLE {schema}.channels ADD COLUMN IF NOT EXISTS claimed_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE {schema}.channels ADD COLUMN IF NOT EXISTS claimed_cumulative BIGINT NOT NULL DEFAULT 0;
ALTER TABLE {schema}.channels ADD COLUMN IF NOT EXISTS unclaimed_since_ms BIGINT;
CREATE TABLE IF NOT EXISTS {schema}.vouchers (
  channel_id BYTEA NOT NULL,
  seq BIGINT NOT NULL CHECK (seq >= 1),
  cumulative BIGINT NOT NULL CHECK (cumulative >= 0),
  log_head BYTEA NOT NULL CHECK (length(log_head) = 32),
  signature BYTEA NOT NULL CHECK (length(signature) = 64),
  PRIMARY KEY (channel_id, seq)
);
CREATE TABLE IF NOT EXISTS {schema}.entries (
  channel_id BYTEA NOT NULL,
  seq BIGINT NOT NULL,
  idx INTEGER NOT NULL CHECK (idx >= 0),
  payee BYTEA NOT NULL CHECK (length(payee) = 32),
  invoice_id BYTEA NOT NULL CHECK (length(invoice_id) = 16),
  amount BIGINT NOT NULL CHECK (amount >= 1),
  expires_at_ms BIGINT NOT NULL,
  PRIMARY KEY (channel_id, seq, idx)
);
CREATE INDEX IF NOT EXISTS entries_expiry ON {schema}.entries (expires_at_ms);
CREATE TABLE IF NOT EXISTS {schema}.invoices (
  payee BYTEA NOT NULL CHECK (length(payee) = 32),
  invoice_id BYTEA NOT NULL CHECK (length(invoice_id) = 16),
  expires_at_ms BIGINT NOT NULL,
  PRIMARY KEY (payee, invoice_id)
);
CREATE INDEX IF NOT EXISTS invoices_expiry ON {schema}.invoices (expires_at_ms);
CREATE TABLE IF NOT EXISTS {schema}.merchants (
  payee_id BYTEA PRIMARY KEY CHECK (length(payee_id) = 32),
  public_key BYTEA NOT NULL CHECK (length(public_key) = 33),
  assets TEXT NOT NULL,
  name TEXT NOT NULL,
  registered_at_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.wallet_payees (
  payee_id BYTEA PRIMARY KEY CHECK (length(payee_id) = 32),
  public_key BYTEA NOT NULL CHECK (length(public_key) = 33),
  registered_at_ms BIGINT NOT NULL,
  last_seq BIGINT NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
  acked_seq BIGINT NOT NULL DEFAULT 0 CHECK (acked_seq >= 0 AND acked_seq <= last_seq)
);
CREATE TABLE IF NOT EXISTS {schema}.peer_invoices (
  payee_id BYTEA NOT NULL CHECK (length(payee_id) = 32),
  invoice_id BYTEA NOT NULL CHECK (length(invoice_id) = 16),
  amount BIGINT NOT NULL CHECK (amount >= 1),
  memo TEXT NOT NULL,
  payer BYTEA CHECK (payer IS NULL OR length(payer) = 32),
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  PRIMARY KEY (payee_id, invoice_id)
);
CREATE TABLE IF NOT EXISTS {schema}.inbox (
  payee_id BYTEA NOT NULL CHECK (length(payee_id) = 32),
  seq BIGINT NOT NULL CHECK (seq >= 1),
  channel_id BYTEA NOT NULL CHECK (length(channel_id) = 32),
  voucher_seq BIGINT NOT NULL CHECK (voucher_seq >= 1),
  invoice_id BYTEA NOT NULL CHECK (length(invoice_id) = 16),
  asset_code TEXT NOT NULL,
  asset_scale SMALLINT NOT NULL,
  amount BIGINT NOT NULL CHECK (amount >= 1),
  mac BYTEA NOT NULL CHECK (length(mac) = 32),
  paid_at_ms BIGINT NOT NULL,
  PRIMARY KEY (payee_id, seq)
);
