/**
 * The store requests in PostgreSQL, on one client inside a SERIALIZABLE transaction.
 * Reads that the logic will write after are `SELECT ... FOR UPDATE` in id order (so that
 * concurrent transactions lock in the same order); every write of a row read earlier is a
 * compare-and-set on its version; batches go through `unnest` so that a batch of any size
 * costs one round trip per table.
 */
import type pg from 'pg';
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

/** A compare-and-set update found another version: the transaction is re-run. */
export class WriteConflict extends Error {
  override name = 'WriteConflict';
}

/** A value as pg should send it: bigints as decimal strings, bytes as Buffers. */
function pgValue(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

type Column = readonly [name: string, type: string];

const accountColumns: readonly Column[] = [
  ['id', 'text'],
  ['kind', 'text'],
  ['asset_code', 'text'],
  ['asset_scale', 'int4'],
  ['allow_negative', 'bool'],
  ['debits_pending', 'int8'],
  ['debits_posted', 'int8'],
  ['credits_pending', 'int8'],
  ['credits_posted', 'int8'],
  ['version', 'int8'],
  ['created_at_ms', 'int8'],
];
const transferColumns: readonly Column[] = [
  ['id', 'text'],
  ['kind', 'text'],
  ['debit_account_id', 'text'],
  ['credit_account_id', 'text'],
  ['amount', 'int8'],
  ['pending_id', 'text'],
  ['timeout_ms', 'int8'],
  ['expires_at_ms', 'int8'],
  ['pending_status', 'text'],
  ['code', 'int4'],
  ['ref', 'text'],
  ['memo', 'text'],
  ['created_at_ms', 'int8'],
];
const failureColumns: readonly Column[] = [
  ['id', 'text'],
  ['kind', 'text'],
  ['debit_account_id', 'text'],
  ['credit_account_id', 'text'],
  ['amount', 'int8'],
  ['pending_id', 'text'],
  ['timeout_ms', 'int8'],
  ['code', 'int4'],
  ['ref', 'text'],
  ['memo', 'text'],
  ['error', 'text'],
  ['created_at_ms', 'int8'],
];
const channelTypes: Record<(typeof channelColumns)[number], string> = {
  id: 'text',
  client_key: 'bytea',
  asset_code: 'text',
  asset_scale: 'int4',
  fee_ppm: 'int4',
  initial_deposit: 'int8',
  deposit: 'int8',
  expires_at_ms: 'int8',
  opened_at_ms: 'int8',
  claimed_seq: 'int8',
  claimed_cumulative: 'int8',
  claimed_log_head: 'bytea',
  claimed_entry_count: 'int8',
  close_kind: 'text',
  close_started_at_ms: 'int8',
  challenge_ends_at_ms: 'int8',
  close_seq: 'int8',
  close_cumulative: 'int8',
  close_log_head: 'bytea',
  close_entry_count: 'int8',
  due_at_ms: 'int8',
  finalized_at_ms: 'int8',
  version: 'int8',
};
const channelCols: readonly Column[] = channelColumns.map((name) => [name, channelTypes[name]] as const);

/** `unnest($1::t1[], $2::t2[], ...)` over columns, and the arrays to bind. */
function unnest(columns: readonly Column[], rows: readonly (readonly unknown[])[], offset = 0) {
  const text = `unnest(${columns.map(([, type], i) => `$${i + 1 + offset}::${type}[]`).join(', ')})`;
  const values = columns.map((_, i) => rows.map((row) => pgValue(row[i])));
  return { text, values };
}

const lock = (locked: boolean) => (locked ? ' ORDER BY id FOR UPDATE' : '');

/** Answers store requests on one pg client (inside the driver's transaction). */
export class PgStore {
  constructor(private readonly client: pg.PoolClient) {}

  private async rows(text: string, values: readonly unknown[]): Promise<SqlRow[]> {
    const result = await this.client.query({ text, values: values.map(pgValue) });
    return result.rows as SqlRow[];
  }

  private async byId<T extends { id: string }>(
    table: string,
    ids: readonly string[],
    locked: boolean,
    decode: (row: SqlRow) => T,
  ): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    if (ids.length === 0) return out;
    for (const row of await this.rows(`SELECT * FROM ${table} WHERE id = ANY($1::text[])${lock(locked)}`, [ids])) {
      const decoded = decode(row);
      out.set(decoded.id, decoded);
    }
    return out;
  }

  /** Answers one request. */
  async handle(request: StoreRequest): Promise<StoreReplies[StoreRequest['kind']]> {
    switch (request.kind) {
      case 'accounts':
        return this.byId('accounts', request.ids, request.lock, accountFromSql);
      case 'transfers':
        return this.byId('transfers', request.ids, false, transferFromSql);
      case 'failures':
        return this.byId('transfer_failures', request.ids, false, failureFromSql);
      case 'channels':
        return this.byId('channels', request.ids, request.lock, channelFromSql);
      case 'dueChannels': {
        const { after } = request;
        const rows = await this.rows(
          `SELECT * FROM channels WHERE finalized_at_ms IS NULL AND due_at_ms <= $1 AND (due_at_ms, id) > ($2, $3)
           ORDER BY due_at_ms, id LIMIT $4 FOR UPDATE SKIP LOCKED`,
          [request.nowMs, after?.dueAtMs ?? -1, after?.id ?? '', request.limit],
        );
        return rows.map(channelFromSql);
      }
      case 'closingChannels': {
        const { after } = request;
        const rows = await this.rows(
          `SELECT * FROM channels WHERE finalized_at_ms IS NULL AND close_kind IS NOT NULL AND due_at_ms > $1
           AND (due_at_ms, id) > ($2, $3) ORDER BY due_at_ms, id LIMIT $4`,
          [request.nowMs, after?.challengeEndsAtMs ?? -1, after?.id ?? '', request.limit],
        );
        return rows.map(channelFromSql);
      }
      case 'stateAt': {
        const [row] = await this.rows('SELECT * FROM channel_states WHERE channel_id = $1 AND seq = $2', [
          request.channelId,
          request.seq,
        ]);
        return row === undefined ? undefined : stateFromSql(row);
      }
      case 'transfersByPrefix': {
        const { from, to } = prefixRange(request.prefix);
        const rows = await this.rows('SELECT * FROM transfers WHERE id >= $1 AND id < $2 ORDER BY serial', [from, to]);
        return rows.map(transferFromSql);
      }
      case 'payeeDays': {
        const rows = await this.rows(
          'SELECT * FROM payee_days WHERE account_id = $1 AND day >= $2 AND day < $3 ORDER BY day',
          [request.accountId, request.fromDay, request.toDay],
        );
        return rows.map(payeeDayFromSql);
      }
      case 'entries': {
        const query = unnest(
          [
            ['channel_id', 'text'],
            ['after_position', 'int8'],
            ['up_to_position', 'int8'],
          ],
          request.channels.map((c) => [c.channelId, c.afterPosition, c.upToPosition ?? Number.MAX_SAFE_INTEGER]),
        );
        const rows = await this.rows(
          `SELECT e.* FROM channel_entries e JOIN ${query.text} AS q (channel_id, after_position, up_to_position)
           ON e.channel_id = q.channel_id AND e.position > q.after_position AND e.position <= q.up_to_position
           ORDER BY e.channel_id, e.position`,
          query.values,
        );
        const out = new Map(request.channels.map((c) => [c.channelId, [] as ReturnType<typeof entryFromSql>[]]));
        for (const row of rows) out.get(row.channel_id as string)?.push(entryFromSql(row));
        return out;
      }
      case 'states':
        return (
          await this.rows('SELECT * FROM channel_states WHERE channel_id = $1 ORDER BY seq', [request.channelId])
        ).map(stateFromSql);
      case 'payeeTotals': {
        const rows = await this.rows(
          'SELECT channel_id, payee, gross FROM channel_payee_totals WHERE channel_id = ANY($1::text[])',
          [request.channelIds],
        );
        const out = new Map(request.channelIds.map((id) => [id, new Map<string, bigint>()]));
        for (const row of rows)
          out.get(row.channel_id as string)?.set(row.payee as string, BigInt(row.gross as string));
        return out;
      }
      case 'transfersByRef':
        return (await this.rows('SELECT * FROM transfers WHERE ref = $1 ORDER BY serial', [request.ref])).map(
          transferFromSql,
        );
      case 'accountTransfers': {
        const rows = await this.rows(
          `SELECT * FROM transfers WHERE serial > $1 AND (debit_account_id = $2 OR credit_account_id = $2)
           ORDER BY serial LIMIT $3`,
          [request.afterSerial, request.accountId, request.limit],
        );
        return rows.map(transferFromSql);
      }
      case 'expiredPending': {
        const rows = await this.rows(
          `SELECT * FROM transfers WHERE pending_status = 'pending' AND expires_at_ms <= $1
           ORDER BY serial LIMIT $2 FOR UPDATE`,
          [request.nowMs, request.limit],
        );
        return rows.map(transferFromSql);
      }
      case 'scanAccounts':
        return (
          await this.rows('SELECT * FROM accounts WHERE id > $1 ORDER BY id LIMIT $2', [request.afterId, request.limit])
        ).map(accountFromSql);
      case 'scanTransfers':
        return (
          await this.rows('SELECT * FROM transfers WHERE serial > $1 ORDER BY serial LIMIT $2', [
            request.afterSerial,
            request.limit,
          ])
        ).map(transferFromSql);
      case 'scanChannels':
        return (
          await this.rows('SELECT * FROM channels WHERE id > $1 ORDER BY id LIMIT $2', [request.afterId, request.limit])
        ).map(channelFromSql);
      case 'write':
        await this.write(request.writes);
        return undefined;
    }
  }

  private async insert(table: string, columns: readonly Column[], rows: readonly (readonly unknown[])[], suffix = '') {
    if (rows.length === 0) return;
    const query = unnest(columns, rows);
    const names = columns.map(([name]) => name).join(', ');
    await this.client.query({
      text: `INSERT INTO ${table} (${names}) SELECT * FROM ${query.text}${suffix}`,
      values: query.values,
    });
  }

  /** A compare-and-set update of many rows: each `id` at `expected_version` gets the new values. */
  private async update(table: string, columns: readonly Column[], rows: readonly (readonly unknown[])[]) {
    if (rows.length === 0) return;
    const all = [...columns, ['expected_version', 'int8'] as const];
    const query = unnest(all, rows);
    const sets = columns
      .filter(([name]) => name !== 'id')
      .map(([name]) => `${name} = v.${name}`)
      .join(', ');
    const names = all.map(([name]) => name).join(', ');
    const result = await this.client.query({
      text: `UPDATE ${table} AS t SET ${sets} FROM ${query.text} AS v (${names})
             WHERE t.id = v.id AND t.version = v.expected_version`,
      values: query.values,
    });
    if (result.rowCount !== rows.length) throw new WriteConflict(`${table}: a row changed since it was read`);
  }

  private async write(w: WriteSet): Promise<void> {
    await this.insert('accounts', accountColumns, (w.accountsInsert ?? []).map(accountValues));
    await this.insert('transfers', transferColumns, (w.transfersInsert ?? []).map(transferValues));
    await this.insert('transfer_failures', failureColumns, (w.failuresInsert ?? []).map(failureValues));
    const sums: readonly Column[] = [accountColumns[0], ...accountColumns.slice(5, 10)] as Column[];
    await this.update(
      'accounts',
      sums,
      (w.accountsUpdate ?? []).map(({ row: a, expectedVersion }) => [
        a.id,
        a.debitsPending,
        a.debitsPosted,
        a.creditsPending,
        a.creditsPosted,
        a.version,
        expectedVersion,
      ]),
    );
    await this.resolvePending(w.pendingUpdate ?? []);
    await this.insert('channels', channelCols, (w.channelsInsert ?? []).map(channelValues));
    await this.update(
      'channels',
      channelCols,
      (w.channelsUpdate ?? []).map(({ row, expectedVersion }) => [...channelValues(row), expectedVersion]),
    );
    for (const { channelId, afterPosition } of w.closeEvidenceDelete ?? []) {
      await this.client.query('DELETE FROM channel_entries WHERE channel_id = $1 AND position > $2', [
        channelId,
        afterPosition,
      ]);
      await this.client.query(`DELETE FROM channel_states WHERE channel_id = $1 AND role = 'close'`, [channelId]);
    }
    await this.writeEvidence(w);
  }

  private async resolvePending(updates: NonNullable<WriteSet['pendingUpdate']>): Promise<void> {
    if (updates.length === 0) return;
    const query = unnest(
      [
        ['id', 'text'],
        ['status', 'text'],
      ],
      updates.map((u) => [u.id, u.status]),
    );
    const result = await this.client.query({
      text: `UPDATE transfers AS t SET pending_status = v.status FROM ${query.text} AS v (id, status)
             WHERE t.id = v.id AND t.pending_status = 'pending'`,
      values: query.values,
    });
    if (result.rowCount !== updates.length)
      throw new WriteConflict('transfers: a pending transfer was resolved concurrently');
  }

  private async writeEvidence(w: WriteSet): Promise<void> {
    await this.insert(
      'channel_states',
      [
        ['channel_id', 'text'],
        ['seq', 'int8'],
        ['cumulative', 'int8'],
        ['log_head', 'bytea'],
        ['signature', 'bytea'],
        ['entry_count', 'int8'],
        ['role', 'text'],
      ],
      (w.statesInsert ?? []).map((s) => [
        s.channelId,
        s.seq,
        s.cumulative,
        s.logHead,
        s.signature,
        s.entryCount,
        s.role,
      ]),
    );
    await this.insert(
      'channel_entries',
      [
        ['channel_id', 'text'],
        ['position', 'int8'],
        ['payee', 'text'],
        ['invoice_id', 'bytea'],
        ['amount', 'int8'],
      ],
      (w.entriesInsert ?? []).map((e) => [e.channelId, e.position, e.payee, e.invoiceId, e.amount]),
    );
    await this.insert(
      'channel_payee_totals',
      [
        ['channel_id', 'text'],
        ['payee', 'text'],
        ['gross', 'int8'],
      ],
      (w.payeeTotalsUpsert ?? []).map((t) => [t.channelId, t.payee, t.gross]),
      ' ON CONFLICT (channel_id, payee) DO UPDATE SET gross = excluded.gross',
    );
    await this.insert(
      'payee_days',
      [
        ['account_id', 'text'],
        ['day', 'int8'],
        ['gross', 'int8'],
        ['fee', 'int8'],
        ['net', 'int8'],
        ['paid_out', 'int8'],
      ],
      (w.payeeDaysAdd ?? []).map((d) => [d.accountId, d.day, d.gross, d.fee, d.net, d.paidOut]),
      ` ON CONFLICT (account_id, day) DO UPDATE SET gross = payee_days.gross + excluded.gross,
        fee = payee_days.fee + excluded.fee, net = payee_days.net + excluded.net,
        paid_out = payee_days.paid_out + excluded.paid_out`,
    );
  }
}
