/**
 * The store requests in SQLite: prepared statements over one better-sqlite3 connection.
 * Runs inside a `BEGIN IMMEDIATE` transaction, which already holds the database's write
 * lock, so `lock` needs nothing more here; compare-and-set updates still check versions.
 */
import { assert } from '@trickle/protocol';
import type Database from 'better-sqlite3';
import {
  accountFromSql,
  accountValues,
  channelColumns,
  channelFromSql,
  channelValues,
  entryFromSql,
  failureFromSql,
  failureValues,
  payeeDayFromSql,
  prefixRange,
  type SqlRow,
  stateFromSql,
  transferFromSql,
  transferValues,
} from '../store/sqlRows.js';
import type { StoreReplies, StoreRequest, WriteSet } from '../store/txn.js';

type Value = bigint | number | string | Buffer | null;

/** Bytes as a Buffer view (no copy) for better-sqlite3. */
function blob(bytes: Uint8Array | null): Buffer | null {
  return bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function bind(values: readonly unknown[]): Value[] {
  return values.map((v) => (v instanceof Uint8Array ? blob(v) : typeof v === 'boolean' ? (v ? 1 : 0) : (v as Value)));
}

const inList = (table: string, column: string) =>
  `SELECT * FROM ${table} WHERE ${column} IN (SELECT value FROM json_each(?))`;

const sql = {
  accounts: inList('accounts', 'id'),
  transfers: inList('transfers', 'id'),
  failures: inList('transfer_failures', 'id'),
  channels: inList('channels', 'id'),
  dueChannels: `SELECT * FROM channels WHERE finalized_at_ms IS NULL AND due_at_ms <= ?
    AND (due_at_ms, id) > (?, ?) ORDER BY due_at_ms, id LIMIT ?`,
  closingChannels: `SELECT * FROM channels WHERE finalized_at_ms IS NULL AND close_kind IS NOT NULL AND due_at_ms > ?
    AND (due_at_ms, id) > (?, ?) ORDER BY due_at_ms, id LIMIT ?`,
  entries: 'SELECT * FROM channel_entries WHERE channel_id = ? AND position > ? AND position <= ? ORDER BY position',
  states: 'SELECT * FROM channel_states WHERE channel_id = ? ORDER BY seq',
  stateAt: 'SELECT * FROM channel_states WHERE channel_id = ? AND seq = ?',
  transfersByPrefix: 'SELECT * FROM transfers WHERE id >= ? AND id < ? ORDER BY serial',
  payeeDays: 'SELECT * FROM payee_days WHERE account_id = ? AND day >= ? AND day < ? ORDER BY day',
  payeeTotals: 'SELECT payee, gross FROM channel_payee_totals WHERE channel_id = ?',
  transfersByRef: 'SELECT * FROM transfers WHERE ref = ? ORDER BY serial',
  accountTransfers: `SELECT * FROM transfers WHERE serial > ? AND (debit_account_id = ? OR credit_account_id = ?)
    ORDER BY serial LIMIT ?`,
  expiredPending: `SELECT * FROM transfers WHERE pending_status = 'pending' AND expires_at_ms <= ?
    ORDER BY serial LIMIT ?`,
  scanAccounts: 'SELECT * FROM accounts WHERE id > ? ORDER BY id LIMIT ?',
  scanTransfers: 'SELECT * FROM transfers WHERE serial > ? ORDER BY serial LIMIT ?',
  scanChannels: 'SELECT * FROM channels WHERE id > ? ORDER BY id LIMIT ?',
  insertAccount: `INSERT INTO accounts (id, kind, asset_code, asset_scale, allow_negative, debits_pending,
    debits_posted, credits_pending, credits_posted, version, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  updateAccount: `UPDATE accounts SET debits_pending = ?, debits_posted = ?, credits_pending = ?, credits_posted = ?,
    version = ? WHERE id = ? AND version = ?`,
  insertTransfer: `INSERT INTO transfers (id, kind, debit_account_id, credit_account_id, amount, pending_id, timeout_ms,
    expires_at_ms, pending_status, code, ref, memo, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  insertFailure: `INSERT INTO transfer_failures (id, kind, debit_account_id, credit_account_id, amount, pending_id,
    timeout_ms, code, ref, memo, error, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  resolvePending: `UPDATE transfers SET pending_status = ? WHERE id = ? AND pending_status = 'pending'`,
  insertChannel: `INSERT INTO channels (${channelColumns.join(', ')}) VALUES (${channelColumns.map(() => '?').join(', ')})`,
  updateChannel: `UPDATE channels SET ${channelColumns
    .slice(1)
    .map((c) => `${c} = ?`)
    .join(', ')} WHERE id = ? AND version = ?`,
  deleteCloseEntries: 'DELETE FROM channel_entries WHERE channel_id = ? AND position > ?',
  deleteCloseStates: `DELETE FROM channel_states WHERE channel_id = ? AND role = 'close'`,
  insertState: `INSERT INTO channel_states (channel_id, seq, cumulative, log_head, signature, entry_count, role)
    VALUES (?, ?, ?, ?, ?, ?, ?)`,
  insertEntry: 'INSERT INTO channel_entries (channel_id, position, payee, invoice_id, amount) VALUES (?, ?, ?, ?, ?)',
  upsertTotal: `INSERT INTO channel_payee_totals (channel_id, payee, gross) VALUES (?, ?, ?)
    ON CONFLICT (channel_id, payee) DO UPDATE SET gross = excluded.gross`,
  addPayeeDay: `INSERT INTO payee_days (account_id, day, gross, fee, net, paid_out) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (account_id, day) DO UPDATE SET gross = gross + excluded.gross, fee = fee + excluded.fee,
    net = net + excluded.net, paid_out = paid_out + excluded.paid_out`,
} as const;

/** Answers store requests on one connection. */
export class SqliteStore {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  private statement(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (statement === undefined) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  private all(text: string, ...values: unknown[]): SqlRow[] {
    return this.statement(text).all(...bind(values)) as SqlRow[];
  }

  private run(text: string, ...values: unknown[]): number {
    return this.statement(text).run(...bind(values)).changes;
  }

  private byId<T extends { id: string }>(
    text: string,
    ids: readonly string[],
    decode: (r: SqlRow) => T,
  ): Map<string, T> {
    const out = new Map<string, T>();
    if (ids.length === 0) return out;
    for (const row of this.all(text, JSON.stringify(ids))) {
      const decoded = decode(row);
      out.set(decoded.id, decoded);
    }
    return out;
  }

  /** Answers one request. */
  handle(request: StoreRequest): StoreReplies[StoreRequest['kind']] {
    switch (request.kind) {
      case 'accounts':
        return this.byId(sql.accounts, request.ids, accountFromSql);
      case 'transfers':
        return this.byId(sql.transfers, request.ids, transferFromSql);
      case 'failures':
        return this.byId(sql.failures, request.ids, failureFromSql);
      case 'channels':
        return this.byId(sql.channels, request.ids, channelFromSql);
      case 'dueChannels': {
        const { after } = request;
        const dueAtMs = after?.dueAtMs ?? -1;
        return this.all(sql.dueChannels, request.nowMs, dueAtMs, after?.id ?? '', request.limit).map(channelFromSql);
      }
      case 'closingChannels': {
        const { after } = request;
        const endsAtMs = after?.challengeEndsAtMs ?? -1;
        return this.all(sql.closingChannels, request.nowMs, endsAtMs, after?.id ?? '', request.limit).map(
          channelFromSql,
        );
      }
      case 'entries':
        return new Map(
          request.channels.map(({ channelId, afterPosition, upToPosition }) => [
            channelId,
            this.all(sql.entries, channelId, afterPosition, upToPosition ?? Number.MAX_SAFE_INTEGER).map(entryFromSql),
          ]),
        );
      case 'states':
        return this.all(sql.states, request.channelId).map(stateFromSql);
      case 'stateAt': {
        const [row] = this.all(sql.stateAt, request.channelId, request.seq);
        return row === undefined ? undefined : stateFromSql(row);
      }
      case 'transfersByPrefix': {
        const { from, to } = prefixRange(request.prefix);
        return this.all(sql.transfersByPrefix, from, to).map(transferFromSql);
      }
      case 'payeeDays':
        return this.all(sql.payeeDays, request.accountId, request.fromDay, request.toDay).map(payeeDayFromSql);
      case 'payeeTotals':
        return new Map(
          request.channelIds.map((id) => [
            id,
            new Map(this.all(sql.payeeTotals, id).map((r) => [r.payee as string, r.gross as bigint])),
          ]),
        );
      case 'transfersByRef':
        return this.all(sql.transfersByRef, request.ref).map(transferFromSql);
      case 'accountTransfers': {
        const { afterSerial, accountId, limit } = request;
        return this.all(sql.accountTransfers, afterSerial, accountId, accountId, limit).map(transferFromSql);
      }
      case 'expiredPending':
        return this.all(sql.expiredPending, request.nowMs, request.limit).map(transferFromSql);
      case 'scanAccounts':
        return this.all(sql.scanAccounts, request.afterId, request.limit).map(accountFromSql);
      case 'scanTransfers':
        return this.all(sql.scanTransfers, request.afterSerial, request.limit).map(transferFromSql);
      case 'scanChannels':
        return this.all(sql.scanChannels, request.afterId, request.limit).map(channelFromSql);
      case 'write':
        this.write(request.writes);
        return undefined;
    }
  }

  private write(w: WriteSet): void {
    for (const a of w.accountsInsert ?? []) this.run(sql.insertAccount, ...accountValues(a));
    for (const t of w.transfersInsert ?? []) this.run(sql.insertTransfer, ...transferValues(t));
    for (const f of w.failuresInsert ?? []) this.run(sql.insertFailure, ...failureValues(f));
    for (const { row, expectedVersion } of w.accountsUpdate ?? []) {
      const changed = this.run(
        sql.updateAccount,
        row.debitsPending,
        row.debitsPosted,
        row.creditsPending,
        row.creditsPosted,
        row.version,
        row.id,
        expectedVersion,
      );
      assert(changed === 1, `account ${row.id} changed under a write lock`);
    }
    for (const { id, status } of w.pendingUpdate ?? []) {
      assert(this.run(sql.resolvePending, status, id) === 1, `transfer ${id} is not pending`);
    }
    for (const row of w.channelsInsert ?? []) this.run(sql.insertChannel, ...channelValues(row));
    for (const { row, expectedVersion } of w.channelsUpdate ?? []) {
      const changed = this.run(sql.updateChannel, ...channelValues(row).slice(1), row.id, expectedVersion);
      assert(changed === 1, `channel ${row.id} changed under a write lock`);
    }
    for (const { channelId, afterPosition } of w.closeEvidenceDelete ?? []) {
      this.run(sql.deleteCloseEntries, channelId, afterPosition);
      this.run(sql.deleteCloseStates, channelId);
    }
    for (const s of w.statesInsert ?? []) {
      this.run(sql.insertState, s.channelId, s.seq, s.cumulative, s.logHead, s.signature, s.entryCount, s.role);
    }
    for (const e of w.entriesInsert ?? [])
      this.run(sql.insertEntry, e.channelId, e.position, e.payee, e.invoiceId, e.amount);
    for (const t of w.payeeTotalsUpsert ?? []) this.run(sql.upsertTotal, t.channelId, t.payee, t.gross);
    for (const d of w.payeeDaysAdd ?? []) {
      this.run(sql.addPayeeDay, d.accountId, d.day, d.gross, d.fee, d.net, d.paidOut);
    }
  }
}
