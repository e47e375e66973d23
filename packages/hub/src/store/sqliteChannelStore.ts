/**
 * The channel store on SQLite (better-sqlite3 12): WAL with `synchronous = FULL` (so a
 * resolved commit survives power loss), `BEGIN IMMEDIATE` transactions, integers read as
 * bigint, CHECK constraints for the invariants. The default store: a file in the hub's
 * data folder.
 *
 * better-sqlite3 is synchronous, so a commit on the event loop blocks it for the fsync.
 * With `writer: 'auto'` (the default for a file) a commit of one channel's write runs
 * inline (the lowest latency when nothing else waits: no thread hop) and a group commit of
 * several channels runs on the writer thread, so the event loop reads, checks and
 * verifies other channels' frames during the fsync. Commits never overlap; reads use the
 * event loop's connection and see every resolved commit (ADR 0203, 0206).
 */

import { asLogHead, asSignature, present } from '@trickle/protocol';
import Database from 'better-sqlite3';
import { HubError } from '../errors.js';
import type { AcceptedVoucher, ChannelStore, ChannelWrite, SettlementQuery, WriteOutcome } from './channelStore.js';
import { packEntries, unpackEntries } from './entryBlob.js';
import {
  bytesOf,
  type ChannelRow,
  type ClaimMarkRow,
  type ClearedRow,
  channelColumns,
  channelFromRow,
  channelValues,
  checkedQuery,
  claimMarkFromRow,
  clearedEntryFromRow,
  type InboxRow,
  inboxEntryFromRow,
  type MerchantRow,
  merchantFromRow,
  numberOf,
  openTotalOf,
  openTotalsSql,
  settlementPageSql,
  settlementRowOf,
  unclaimedTotalOf,
  unclaimedTotalsSql,
  type WalletPayeeRow,
  walletPayeeFromRow,
} from './rows.js';
import { type SqlBatchResult, type SqlGroup, type SqlStatement, type SqlValue, sqlBatchSource } from './sqlBatch.js';
import { invoiceKey, migrate } from './sqliteSchema.js';
import { type SqliteWriter, startSqliteWriter } from './sqliteWriter.js';

/** Options of {@link sqliteChannelStore}. */
export interface SqliteChannelStoreOptions {
  /** The database file (created if missing), or `:memory:` for tests. */
  readonly path: string;
  /**
   * Where commits run: `'inline'` on the event loop (blocking it for the fsync),
   * `'thread'` always on the writer thread, `'auto'` (default) inline for one channel's
   * write and on the thread for a group of several. `:memory:` is always inline.
   */
  readonly writer?: 'auto' | 'inline' | 'thread';
}

/** How long a write waits for the file's write lock (held by the other connection only between commits). */
const busyTimeoutMs = 5_000;

/**
 * WAL pages written before a commit checkpoints them into the database file (SQLite's
 * default is 1,000, ~4 MB). A commit of many channels dirties a page or more per channel,
 * so the default checkpointed every second or third group commit, copying pages that the
 * next commits dirty again; at 10,000 pages (~40 MB of WAL) the writer thread spent ~30%
 * less CPU per payment (bench/hotpath/storeCost.ts, issue 17), and a one-channel payment
 * meets a checkpoint ten times less often (P1's p99).
 */
const walCheckpointPages = 10_000;

/** The statements every write is made of, by index (the writer thread prepares the same list). */
const writeSql = [
  // An upsert of the channel's state that leaves the claim marks alone; the oldest unclaimed
  // time is kept, and the write's entries are added to the unclaimed count (ADR 0419).
  `INSERT INTO channels (${channelColumns.join(', ')}, unclaimed_since_ms, unclaimed_entries)
   VALUES (${channelColumns.map(() => '?').join(', ')}, ?, ?)
   ON CONFLICT (channel_id) DO UPDATE SET ${channelColumns
     .slice(1)
     .map((c) => `${c} = excluded.${c}`)
     .join(', ')}, unclaimed_since_ms = coalesce(channels.unclaimed_since_ms, excluded.unclaimed_since_ms),
     unclaimed_entries = channels.unclaimed_entries + excluded.unclaimed_entries`,
  'INSERT INTO vouchers (channel_id, seq, cumulative, log_head, signature, entries, expires_at_ms_max) VALUES (?, ?, ?, ?, ?, ?, ?)',
  'INSERT OR REPLACE INTO merchants (payee_id, public_key, assets, name, registered_at_ms) VALUES (?, ?, ?, ?, ?)',
  'INSERT INTO invoices (key, expires_at_ms) VALUES (?, ?) ON CONFLICT DO NOTHING',
  'DELETE FROM invoices WHERE key = ?',
  'DELETE FROM invoices WHERE key IN (SELECT key FROM invoices WHERE expires_at_ms < ? ORDER BY expires_at_ms LIMIT ?)',
  // A claim mark, with the unclaimed count recounted from the vouchers beyond it (a range of the primary key).
  `UPDATE channels SET claimed_seq = ?, claimed_cumulative = ?, unclaimed_since_ms = CASE WHEN seq > ? THEN ? ELSE NULL END,
     unclaimed_entries = (SELECT coalesce(sum(length(v.entries)), 0) / 64 FROM vouchers v
       WHERE v.channel_id = channels.channel_id AND v.seq > ?)
   WHERE channel_id = ? AND claimed_seq <= ?`,
  // A payment to a wallet-payee: the payee's next inbox seq, then the entry under it (ADR 0240).
  'UPDATE wallet_payees SET last_seq = last_seq + 1 WHERE payee_id = ?',
  `INSERT INTO inbox (payee_id, seq, channel_id, voucher_seq, invoice_id, asset_code, asset_scale, amount, mac, paid_at_ms)
   SELECT payee_id, last_seq, ?, ?, ?, ?, ?, ?, ?, ? FROM wallet_payees WHERE payee_id = ?`,
  'INSERT INTO wallet_payees (payee_id, public_key, registered_at_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  `INSERT INTO peer_invoices (payee_id, invoice_id, amount, memo, payer, created_at_ms, expires_at_ms)
   VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  'UPDATE wallet_payees SET acked_seq = max(acked_seq, min(?, last_seq)) WHERE payee_id = ?',
  // A clearing notice (ADR 0243): the payee's next inbox seq, then the notice under it, both
  // only while the channel's stored claim is below the notice's end (a claim notifies once).
  `UPDATE wallet_payees SET last_seq = last_seq + 1
   WHERE payee_id = ? AND EXISTS (SELECT 1 FROM channels WHERE channel_id = ? AND claimed_seq < ?)`,
  `INSERT INTO inbox_cleared (payee_id, seq, channel_id, after_voucher_seq, through_voucher_seq, asset_code, asset_scale,
     payments, amount, cleared_at_ms)
   SELECT payee_id, last_seq, ?, ?, ?, ?, ?, ?, ?, ? FROM wallet_payees
   WHERE payee_id = ? AND EXISTS (SELECT 1 FROM channels WHERE channel_id = ? AND claimed_seq < ?)`,
  // Undoing a write of vouchers whose signature did not verify (ADR 0415).
  'DELETE FROM vouchers WHERE channel_id = ? AND seq > ?',
  'UPDATE channels SET unclaimed_since_ms = NULL WHERE channel_id = ? AND seq <= claimed_seq',
  // After a revert (ADR 0415): the unclaimed count recounted from the vouchers left (ADR 0419).
  `UPDATE channels SET unclaimed_entries = (SELECT coalesce(sum(length(v.entries)), 0) / 64 FROM vouchers v
     WHERE v.channel_id = channels.channel_id AND v.seq > channels.claimed_seq) WHERE channel_id = ?`,
] as const;
const upsertChannelIndex = 0;
const insertVoucherIndex = 1;
const upsertMerchantIndex = 2;
const claimInvoiceIndex = 3;
const unclaimInvoiceIndex = 4;
const sweepInvoicesIndex = 5;
const recordClaimIndex = 6;
const nextInboxSeqIndex = 7;
const insertInboxIndex = 8;
const putWalletPayeeIndex = 9;
const putPeerInvoiceIndex = 10;
const ackInboxIndex = 11;
const nextClearedSeqIndex = 12;
const insertClearedIndex = 13;
const deleteVouchersAfterIndex = 14;
const clearUnclaimedIndex = 15;
const recountUnclaimedIndex = 16;

/** The runner the writer thread uses, built from the same source for commits run inline. */
const runSqlGroups = new Function(`${sqlBatchSource}; return runSqlGroups;`)() as (
  prepared: readonly Database.Statement[],
  claimIndex: number,
  unclaimIndex: number,
  groups: readonly { claims: readonly (readonly SqlValue[])[]; statements: readonly [number, readonly SqlValue[]][] }[],
) => SqlBatchResult;

/** A commit's groups (one per write; throws, and nothing is written, on an entry no row may hold), and where each claim came from. */
function commitGroups(writes: readonly ChannelWrite[]): {
  groups: SqlGroup[];
  claimed: { seq: number; entry: number }[][];
} {
  const groups: SqlGroup[] = [];
  const claimed: { seq: number; entry: number }[][] = [];
  for (const write of writes) {
    const since = (write.vouchers?.length ?? 0) > 0 ? (write.acceptedAtMs ?? null) : null;
    let entries = 0;
    for (const voucher of write.vouchers ?? []) entries += voucher.entries.length;
    const statements: SqlStatement[] = [
      { statement: upsertChannelIndex, values: [...(channelValues(write.channel) as SqlValue[]), since, entries] },
    ];
    const claims: SqlValue[][] = [];
    const origins: { seq: number; entry: number }[] = [];
    for (const voucher of write.vouchers ?? []) {
      const { blob, expiresAtMsMax } = packEntries(voucher.entries);
      statements.push({
        statement: insertVoucherIndex,
        values: [
          write.channel.channelId,
          voucher.seq,
          voucher.cumulative,
          voucher.logHead,
          voucher.signature,
          blob,
          expiresAtMsMax,
        ],
      });
      voucher.entries.forEach((entry, index) => {
        claims.push([invoiceKey(entry.payee, entry.invoiceId), entry.expiresAtMs]);
        origins.push({ seq: voucher.seq, entry: index });
      });
    }
    const { asset, channelId } = write.channel;
    for (const p of write.incoming ?? []) {
      statements.push({ statement: nextInboxSeqIndex, values: [p.payee] });
      statements.push({
        statement: insertInboxIndex,
        values: [channelId, p.voucherSeq, p.invoiceId, asset.code, asset.scale, p.amount, p.mac, p.paidAtMs, p.payee],
      });
    }
    groups.push({ claims, statements });
    claimed.push(origins);
  }
  return { groups, claimed };
}

/** Each write's outcome from what the runner refused. */
function outcomesOf(result: SqlBatchResult, claimed: readonly { seq: number; entry: number }[][]): WriteOutcome[] {
  const outcomes: WriteOutcome[] = claimed.map(() => ({ applied: true }));
  for (const [group, claim] of result.refused) {
    outcomes[group] = {
      applied: false,
      paidInvoice: present(claimed[group]?.[claim], 'the refused claim is one of its group'),
    };
  }
  return outcomes;
}

/**
 * Opens (creating or migrating if needed) the SQLite channel store.
 *
 * @example
 * ```ts
 * import { sqliteChannelStore } from '@trickle/hub/sqlite';
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
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma(`wal_autocheckpoint = ${walCheckpointPages}`);
    db.defaultSafeIntegers(true);
    migrate(db, Date.now());
  } catch (cause) {
    throw new HubError('STORE_FAILED', `cannot open the channel store at ${options.path}`, { cause });
  }
  const mode = options.path === ':memory:' ? 'inline' : (options.writer ?? 'auto');
  const inlineStatements = writeSql.map((sql) => db.prepare(sql));
  const selectChannel = db.prepare('SELECT * FROM channels WHERE channel_id = ?');
  const selectOpen = db.prepare('SELECT * FROM channels WHERE closed_at_ms IS NULL');
  const selectVouchers = db.prepare(
    'SELECT seq, cumulative, log_head, signature, entries FROM vouchers WHERE channel_id = ? AND seq >= ? AND seq < ? ORDER BY seq',
  );
  const selectMerchants = db.prepare('SELECT * FROM merchants');
  const selectWalletPayee = db.prepare('SELECT * FROM wallet_payees WHERE payee_id = ?');
  const selectWalletPayees = db.prepare('SELECT * FROM wallet_payees');
  const selectInbox = db.prepare(
    `SELECT i.*, p.memo, p.payer FROM inbox i LEFT JOIN peer_invoices p ON p.payee_id = i.payee_id AND p.invoice_id = i.invoice_id
     WHERE i.payee_id = ? AND i.seq > ? ORDER BY i.seq LIMIT ?`,
  );
  const selectCleared = db.prepare('SELECT * FROM inbox_cleared WHERE payee_id = ? AND seq > ? ORDER BY seq LIMIT ?');
  const claimMarkSql = `SELECT channel_id, claimed_seq, claimed_cumulative, unclaimed_since_ms, unclaimed_entries
     FROM channels WHERE closed_at_ms IS NULL`;
  const selectClaimMarks = db.prepare(claimMarkSql);
  const selectClaimMark = db.prepare(`${claimMarkSql} AND channel_id = ?`);
  // The settlement indexes named (INDEXED BY): see settlementPageSql.
  const selectUnclaimedTotals = db.prepare(unclaimedTotalsSql('channels', true));
  const selectOpenTotals = db.prepare(openTotalsSql('channels INDEXED BY channels_open', '?'));
  const settlementPages = new Map<string, Database.Statement>();
  const settlementPage = (query: SettlementQuery) => {
    const { sql, values } = settlementPageSql('channels', query, () => '?', true);
    let statement = settlementPages.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      settlementPages.set(sql, statement);
    }
    return statement.all(...(values as SqlValue[])) as { channel_id: Uint8Array; key: bigint }[];
  };
  const runInline = db.transaction((groups: readonly SqlGroup[]) =>
    runSqlGroups(
      inlineStatements,
      claimInvoiceIndex,
      unclaimInvoiceIndex,
      groups.map(({ claims, statements }) => ({
        claims,
        statements: statements.map(({ statement, values }) => [statement, values] as [number, readonly SqlValue[]]),
      })),
    ),
  );

  // The writer thread, started on first need; commits (either way) run one at a time.
  let writer: Promise<SqliteWriter> | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;

  function write(what: string, groups: () => SqlGroup[], onThread: boolean): Promise<SqlBatchResult> {
    const run = tail.then(async () => {
      if (closed) throw new Error('the store is closed');
      const list = groups();
      if (!onThread) return runInline.immediate(list);
      writer ??= startSqliteWriter({
        path: options.path,
        statements: writeSql,
        claimIndex: claimInvoiceIndex,
        unclaimIndex: unclaimInvoiceIndex,
        busyTimeoutMs,
        checkpointPages: walCheckpointPages,
      });
      return (await writer).run(list);
    });
    tail = run.catch(() => undefined);
    return run.catch((cause: unknown) => {
      throw new HubError('STORE_FAILED', `sqlite channel store: ${what} failed`, { cause });
    });
  }

  function guarded<T>(what: string, fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (cause) {
      return Promise.reject(new HubError('STORE_FAILED', `sqlite channel store: ${what} failed`, { cause }));
    }
  }

  return {
    name: 'sqlite',
    async commit(writes) {
      if (writes.length === 0) return [];
      const onThread = mode === 'thread' || (mode === 'auto' && writes.length > 1);
      let claimed: { seq: number; entry: number }[][] = [];
      const result = await write(
        'commit',
        () => {
          const built = commitGroups(writes);
          claimed = built.claimed;
          return built.groups;
        },
        onThread,
      );
      return outcomesOf(result, claimed);
    },
    channel: (channelId) =>
      guarded('channel', () => {
        const row = selectChannel.get(channelId) as ChannelRow | undefined;
        return row === undefined ? undefined : channelFromRow(row);
      }),
    openChannels: () => guarded('openChannels', () => (selectOpen.all() as ChannelRow[]).map(channelFromRow)),
    vouchers: (channelId, fromSeq, limit) =>
      guarded('vouchers', () => {
        const rows = selectVouchers.all(channelId, fromSeq, fromSeq + limit) as {
          seq: bigint;
          cumulative: bigint;
          log_head: Uint8Array;
          signature: Uint8Array;
          entries: Uint8Array;
        }[];
        return rows.map(
          (row): AcceptedVoucher => ({
            seq: numberOf(row.seq),
            cumulative: row.cumulative,
            logHead: asLogHead(bytesOf(row.log_head)),
            signature: asSignature(bytesOf(row.signature)),
            entries: unpackEntries(row.entries),
          }),
        );
      }),
    async revertVouchers(channel, vouchers) {
      const { channelId } = channel;
      const statements: SqlStatement[] = [
        { statement: upsertChannelIndex, values: [...(channelValues(channel) as SqlValue[]), null, 0] },
        { statement: deleteVouchersAfterIndex, values: [channelId, channel.seq] },
      ];
      for (const voucher of vouchers) {
        for (const entry of voucher.entries) {
          statements.push({ statement: unclaimInvoiceIndex, values: [invoiceKey(entry.payee, entry.invoiceId)] });
        }
      }
      statements.push({ statement: clearUnclaimedIndex, values: [channelId] });
      statements.push({ statement: recountUnclaimedIndex, values: [channelId] });
      await write('revertVouchers', () => [{ claims: [], statements }], false);
    },
    claimMarks: () => guarded('claimMarks', () => (selectClaimMarks.all() as ClaimMarkRow[]).map(claimMarkFromRow)),
    claimMark: (channelId) =>
      guarded('claimMark', () => {
        const row = selectClaimMark.get(channelId) as ClaimMarkRow | undefined;
        return row === undefined ? undefined : claimMarkFromRow(row);
      }),
    settlementChannels: (query) =>
      guarded('settlementChannels', () => settlementPage(checkedQuery(query)).map(settlementRowOf)),
    unclaimedTotals: () =>
      guarded('unclaimedTotals', () =>
        (selectUnclaimedTotals.all() as Parameters<typeof unclaimedTotalOf>[0][]).map(unclaimedTotalOf),
      ),
    openTotals: (nowMs) =>
      guarded('openTotals', () =>
        (selectOpenTotals.all(nowMs) as Parameters<typeof openTotalOf>[0][]).map(openTotalOf),
      ),
    async recordClaims(claims, cleared = []) {
      if (claims.length === 0 && cleared.length === 0) return;
      const statements: SqlStatement[] = [];
      // The notices first: their guard reads the claim marks before this commit moves them.
      for (const c of cleared) {
        const guard = [c.channelId, c.throughVoucherSeq];
        statements.push({ statement: nextClearedSeqIndex, values: [c.payee, ...guard] });
        statements.push({
          statement: insertClearedIndex,
          values: [
            c.channelId,
            c.afterVoucherSeq,
            c.throughVoucherSeq,
            c.asset.code,
            c.asset.scale,
            c.payments,
            c.amount,
            c.clearedAtMs,
            c.payee,
            ...guard,
          ],
        });
      }
      for (const c of claims) {
        statements.push({
          statement: recordClaimIndex,
          values: [
            c.claimedSeq,
            c.claimedCumulative,
            c.claimedSeq,
            c.unclaimedSinceMs,
            c.claimedSeq,
            c.channelId,
            c.claimedSeq,
          ],
        });
      }
      await write('recordClaims', () => [{ claims: [], statements }], false);
    },
    async sweepInvoices(expiredBeforeMs, limit) {
      const statement = { statement: sweepInvoicesIndex, values: [expiredBeforeMs, limit] };
      return (await write('sweepInvoices', () => [{ claims: [], statements: [statement] }], false)).changes;
    },
    async putMerchant(merchant) {
      const values = [
        merchant.payeeId,
        merchant.publicKey,
        JSON.stringify(merchant.assets),
        merchant.name,
        merchant.registeredAtMs,
      ];
      await write(
        'putMerchant',
        () => [{ claims: [], statements: [{ statement: upsertMerchantIndex, values }] }],
        false,
      );
    },
    merchants: () => guarded('merchants', () => (selectMerchants.all() as MerchantRow[]).map(merchantFromRow)),
    async putWalletPayee(payee) {
      const values = [payee.payeeId, payee.publicKey, payee.registeredAtMs];
      await write(
        'putWalletPayee',
        () => [{ claims: [], statements: [{ statement: putWalletPayeeIndex, values }] }],
        false,
      );
    },
    walletPayee: (payeeId) =>
      guarded('walletPayee', () => {
        const row = selectWalletPayee.get(payeeId) as WalletPayeeRow | undefined;
        return row === undefined ? undefined : walletPayeeFromRow(row);
      }),
    walletPayees: () =>
      guarded('walletPayees', () => (selectWalletPayees.all() as WalletPayeeRow[]).map(walletPayeeFromRow)),
    async putPeerInvoice(invoice) {
      const values = [
        invoice.payee,
        invoice.invoiceId,
        invoice.amount,
        invoice.memo,
        invoice.from ?? null,
        invoice.createdAtMs,
        invoice.expiresAtMs,
      ];
      await write(
        'putPeerInvoice',
        () => [{ claims: [], statements: [{ statement: putPeerInvoiceIndex, values }] }],
        false,
      );
    },
    inbox: (payeeId, afterSeq, limit) =>
      guarded('inbox', () => (selectInbox.all(payeeId, afterSeq, limit) as InboxRow[]).map(inboxEntryFromRow)),
    inboxCleared: (payeeId, afterSeq, limit) =>
      guarded('inboxCleared', () =>
        (selectCleared.all(payeeId, afterSeq, limit) as ClearedRow[]).map(clearedEntryFromRow),
      ),
    async ackInbox(payeeId, seq) {
      const values = [seq, payeeId];
      await write('ackInbox', () => [{ claims: [], statements: [{ statement: ackInboxIndex, values }] }], false);
    },
    async close() {
      await tail;
      closed = true;
      const thread = await writer?.catch(() => undefined);
      await thread?.close();
      db.close();
    },
  };
}
