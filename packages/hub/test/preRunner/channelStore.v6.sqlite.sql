-- What the code before the migration runner added for version 6 (commit 92f4dc7), run after
-- channelStore.sqlite.sql, then PRAGMA user_version = 6.
CREATE TABLE IF NOT EXISTS inbox_cleared (
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
) STRICT, WITHOUT ROWID;
