/**
 * The memory twin of the SQL stores: the same requests over Maps, with an undo log so a
 * transaction that throws leaves nothing behind. It enforces the same invariants the SQL
 * constraints do (by assertion), so a bug in the shared logic fails here first.
 */
import { assert, present } from '@trickle/protocol';
import type {
  AccountRow,
  ChannelRow,
  EntryRow,
  FailureRow,
  PayeeDayRow,
  PayeeTotalRow,
  StateRow,
  TransferRow,
} from '../store/rows.js';
import type { StoreReplies, StoreRequest, WriteSet } from '../store/txn.js';

type Undo = () => void;

/** All rows of a memory ledger. */
export class MemoryStore {
  readonly accounts = new Map<string, AccountRow>();
  readonly transfers = new Map<string, TransferRow>();
  /** Transfer ids in serial order: serial n is at index n - 1. */
  readonly transferIds: string[] = [];
  readonly failures = new Map<string, FailureRow>();
  readonly channels = new Map<string, ChannelRow>();
  readonly states = new Map<string, readonly StateRow[]>();
  readonly entries = new Map<string, readonly EntryRow[]>();
  readonly payeeTotals = new Map<string, ReadonlyMap<string, bigint>>();
  /** Payee day sums by `account id/day`. */
  readonly payeeDays = new Map<string, PayeeDayRow>();
  /** Pending transfer id to the id of the post or void that resolved it. */
  private readonly resolutions = new Map<string, string>();
  private undo: Undo[] | undefined;

  /** Runs `body` atomically: if it throws, every change it made is undone. */
  atomically<T>(body: () => T): T {
    assert(this.undo === undefined, 'memory store: nested transaction');
    this.undo = [];
    try {
      const result = body();
      this.undo = undefined;
      return result;
    } catch (error) {
      const undo = this.undo ?? [];
      this.undo = undefined;
      for (let i = undo.length - 1; i >= 0; i--) present(undo[i], 'an undo per index')();
      throw error;
    }
  }

  private set<K, V>(map: Map<K, V>, key: K, value: V): void {
    const had = map.has(key);
    const previous = map.get(key);
    this.undo?.push(() => (had ? map.set(key, previous as V) : map.delete(key)));
    map.set(key, value);
  }

  /** Answers one request. */
  handle(request: StoreRequest): StoreReplies[StoreRequest['kind']] {
    switch (request.kind) {
      case 'accounts':
        return pick(this.accounts, request.ids);
      case 'transfers':
        return pick(this.transfers, request.ids);
      case 'failures':
        return pick(this.failures, request.ids);
      case 'channels':
        return pick(this.channels, request.ids);
      case 'dueChannels': {
        const { after } = request;
        const isAfter = (c: ChannelRow) =>
          after === undefined || c.dueAtMs > after.dueAtMs || (c.dueAtMs === after.dueAtMs && c.id > after.id);
        return [...this.channels.values()]
          .filter((c) => c.finalizedAtMs === null && c.dueAtMs <= request.nowMs && isAfter(c))
          .sort((a, b) => a.dueAtMs - b.dueAtMs || (a.id < b.id ? -1 : 1))
          .slice(0, request.limit);
      }
      case 'closingChannels': {
        const { after } = request;
        const isAfter = (c: ChannelRow) =>
          after === undefined ||
          c.dueAtMs > after.challengeEndsAtMs ||
          (c.dueAtMs === after.challengeEndsAtMs && c.id > after.id);
        return [...this.channels.values()]
          .filter((c) => c.finalizedAtMs === null && c.closeKind !== null && c.dueAtMs > request.nowMs && isAfter(c))
          .sort((a, b) => a.dueAtMs - b.dueAtMs || (a.id < b.id ? -1 : 1))
          .slice(0, request.limit);
      }
      case 'entries':
        return new Map(
          request.channels.map(({ channelId, afterPosition, upToPosition }) => [
            channelId,
            (this.entries.get(channelId) ?? []).filter(
              (e) => e.position > afterPosition && (upToPosition === undefined || e.position <= upToPosition),
            ),
          ]),
        );
      case 'states':
        return [...(this.states.get(request.channelId) ?? [])].sort((a, b) => a.seq - b.seq);
      case 'stateAt':
        return (this.states.get(request.channelId) ?? []).find((s) => s.seq === request.seq);
      case 'transfersByPrefix':
        return this.inOrder((t) => t.id.startsWith(request.prefix));
      case 'payeeDays': {
        const { accountId, fromDay, toDay } = request;
        return [...this.payeeDays.values()]
          .filter((d) => d.accountId === accountId && d.day >= fromDay && d.day < toDay)
          .sort((a, b) => a.day - b.day);
      }
      case 'payeeTotals':
        return new Map(request.channelIds.map((id) => [id, new Map(this.payeeTotals.get(id) ?? [])]));
      case 'transfersByRef':
        return this.inOrder((t) => t.ref === request.ref);
      case 'accountTransfers': {
        const { accountId, afterSerial, limit } = request;
        return this.inOrder(
          (t) => t.serial > afterSerial && (t.debitAccountId === accountId || t.creditAccountId === accountId),
        ).slice(0, limit);
      }
      case 'expiredPending':
        return this.inOrder(
          (t) => t.pendingStatus === 'pending' && t.expiresAtMs !== null && t.expiresAtMs <= request.nowMs,
        ).slice(0, request.limit);
      case 'scanAccounts':
        return afterKey(this.accounts, request.afterId, request.limit);
      case 'scanTransfers': {
        const start = Number(request.afterSerial);
        return this.transferIds
          .slice(start, start + request.limit)
          .map((id) => present(this.transfers.get(id), 'a transfer per listed id'));
      }
      case 'scanChannels':
        return afterKey(this.channels, request.afterId, request.limit);
      case 'write':
        this.write(request.writes);
        return undefined;
    }
  }

  private inOrder(keep: (row: TransferRow) => boolean): TransferRow[] {
    const rows: TransferRow[] = [];
    for (const id of this.transferIds) {
      const row = present(this.transfers.get(id), 'a transfer per listed id');
      if (keep(row)) rows.push(row);
    }
    return rows;
  }

  private write(writes: WriteSet): void {
    for (const row of writes.accountsInsert ?? []) {
      assert(!this.accounts.has(row.id), `account ${row.id} exists`);
      this.set(this.accounts, row.id, row);
    }
    for (const row of writes.transfersInsert ?? []) this.insertTransfer(row);
    for (const row of writes.failuresInsert ?? []) {
      assert(!this.failures.has(row.id) && !this.transfers.has(row.id), `transfer ${row.id} exists`);
      this.set(this.failures, row.id, row);
    }
    for (const { row, expectedVersion } of writes.accountsUpdate ?? []) {
      assert(this.accounts.get(row.id)?.version === expectedVersion, `account ${row.id} changed concurrently`);
      assertBalanced(row);
      this.set(this.accounts, row.id, row);
    }
    for (const { id, status } of writes.pendingUpdate ?? []) {
      const row = this.transfers.get(id);
      assert(row?.pendingStatus === 'pending', `transfer ${id} is not pending`);
      this.set(this.transfers, id, { ...row, pendingStatus: status });
    }
    this.writeChannels(writes);
  }

  private insertTransfer(row: TransferRow): void {
    assert(!this.transfers.has(row.id) && !this.failures.has(row.id), `transfer ${row.id} exists`);
    assert(row.debitAccountId !== row.creditAccountId, 'transfer accounts must differ');
    assert(this.accounts.has(row.debitAccountId) && this.accounts.has(row.creditAccountId), 'transfer accounts exist');
    if (row.pendingId !== null) {
      assert(!this.resolutions.has(row.pendingId), `pending transfer ${row.pendingId} resolved twice`);
      this.set(this.resolutions, row.pendingId, row.id);
    }
    const serial = BigInt(this.transferIds.length + 1);
    this.transferIds.push(row.id);
    this.undo?.push(() => this.transferIds.pop());
    this.set(this.transfers, row.id, { ...row, serial });
  }

  private writeChannels(writes: WriteSet): void {
    for (const row of writes.channelsInsert ?? []) {
      assert(!this.channels.has(row.id), `channel ${row.id} exists`);
      this.set(this.channels, row.id, row);
    }
    for (const { row, expectedVersion } of writes.channelsUpdate ?? []) {
      assert(this.channels.get(row.id)?.version === expectedVersion, `channel ${row.id} changed concurrently`);
      assert(row.claimedCumulative <= row.deposit, 'claimed within the deposit');
      this.set(this.channels, row.id, row);
    }
    for (const { channelId, afterPosition } of writes.closeEvidenceDelete ?? []) {
      const entries = this.entries.get(channelId) ?? [];
      this.set(
        this.entries,
        channelId,
        entries.filter((e) => e.position <= afterPosition),
      );
      const states = this.states.get(channelId) ?? [];
      this.set(
        this.states,
        channelId,
        states.filter((s) => s.role !== 'close'),
      );
    }
    for (const row of writes.statesInsert ?? []) {
      const states = this.states.get(row.channelId) ?? [];
      assert(!states.some((s) => s.seq === row.seq), `state ${row.seq} of ${row.channelId} exists`);
      this.set(this.states, row.channelId, [...states, row]);
    }
    // One copy of a channel's entries per write, not per entry: a claim may carry 100,000.
    const added = new Map<string, EntryRow[]>();
    for (const row of writes.entriesInsert ?? []) {
      let list = added.get(row.channelId);
      if (list === undefined) {
        list = [...(this.entries.get(row.channelId) ?? [])];
        added.set(row.channelId, list);
      }
      const last = list[list.length - 1];
      assert(row.amount >= 1n, 'entry amount at least 1');
      assert(last === undefined || row.position > last.position, `entry ${row.position} of ${row.channelId} exists`);
      list.push(row);
    }
    for (const [channelId, list] of added) this.set(this.entries, channelId, list);
    for (const row of writes.payeeTotalsUpsert ?? []) upsertTotal(this, row);
    for (const row of writes.payeeDaysAdd ?? []) {
      const key = `${row.accountId}/${row.day}`;
      const day = this.payeeDays.get(key);
      assert(this.accounts.has(row.accountId), `account ${row.accountId} exists`);
      const next = {
        ...row,
        gross: (day?.gross ?? 0n) + row.gross,
        fee: (day?.fee ?? 0n) + row.fee,
        net: (day?.net ?? 0n) + row.net,
        paidOut: (day?.paidOut ?? 0n) + row.paidOut,
      };
      assert(next.net === next.gross - next.fee && next.fee <= next.gross, 'payee day: net = gross - fee');
      this.set(this.payeeDays, key, next);
    }
  }

  /** Upserts one payee total (used by {@link upsertTotal}). */
  setTotals(channelId: string, totals: ReadonlyMap<string, bigint>): void {
    this.set(this.payeeTotals, channelId, totals);
  }
}

function upsertTotal(store: MemoryStore, row: PayeeTotalRow): void {
  const totals = new Map(store.payeeTotals.get(row.channelId) ?? []);
  totals.set(row.payee, row.gross);
  store.setTotals(row.channelId, totals);
}

function assertBalanced(row: AccountRow): void {
  assert(
    row.debitsPending >= 0n && row.debitsPosted >= 0n && row.creditsPending >= 0n && row.creditsPosted >= 0n,
    `account ${row.id}: sums must not be negative`,
  );
  assert(
    row.allowNegative || row.debitsPosted <= row.creditsPosted - row.debitsPending,
    `account ${row.id}: debits exceed credits`,
  );
}

function pick<V>(map: ReadonlyMap<string, V>, ids: readonly string[]): Map<string, V> {
  const out = new Map<string, V>();
  for (const id of ids) {
    const row = map.get(id);
    if (row !== undefined) out.set(id, row);
  }
  return out;
}

function afterKey<V>(map: ReadonlyMap<string, V>, afterId: string, limit: number): V[] {
  return [...map.keys()]
    .filter((id) => id > afterId)
    .sort()
    .slice(0, limit)
    .map((id) => map.get(id) as V);
}
