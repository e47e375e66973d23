/**
 * The memory twin of the hub's channel store: the `ChannelStore` port over plain maps, with
 * the invariants the SQLite and PostgreSQL adapters enforce by constraints (a commit that
 * breaks one writes nothing), the unique invoice index, and paging. It runs the same
 * conformance suite as they do. What it holds lives in a {@link MemoryChannelData}, which
 * outlives the store: open a second store on it to play a restart, or two at once to play
 * two hub processes on one database.
 */
import type {
  AcceptedVoucher,
  ChannelStore,
  ClaimMark,
  ClearedEntry,
  InboxEntry,
  MerchantRecord,
  OpenTotal,
  PeerInvoiceRecord,
  SettlementIndex,
  StoredEntry,
  UnclaimedTotal,
  WalletPayeeRecord,
  WriteOutcome,
} from '@trickle/hub';
import { HubError } from '@trickle/hub';
import { amountMax, type ChannelId, type HubChannel, toHex } from '@trickle/protocol';

/** What a memory channel store holds: its "database". Create one with {@link memoryChannelData}. */
export interface MemoryChannelData {
  readonly channels: Map<string, HubChannel>;
  /** Per channel (hex id), its accepted vouchers by seq. */
  readonly vouchers: Map<string, Map<number, AcceptedVoucher>>;
  /** Paid invoices (payee hex + invoice hex) and when each expires. */
  readonly invoices: Map<string, number>;
  /** The invoices by expiry, earliest first (a binary heap; entries already forgotten are skipped). */
  readonly expiries: [number, string][];
  readonly merchants: Map<string, MerchantRecord>;
  /** Per channel (hex id): what the ledger has claimed of it, and since when payments wait for a claim. */
  readonly claims: Map<string, Omit<ClaimMark, 'channelId' | 'unclaimedEntries'>>;
  /** Wallet-payees by payee (hex), with their inbox positions. */
  readonly walletPayees: Map<string, WalletPayeeRecord>;
  /** Peer invoices by payee hex + invoice hex. */
  readonly peerInvoices: Map<string, PeerInvoiceRecord>;
  /** Per wallet-payee (hex): the payments of its inbox, in seq order. */
  readonly inboxes: Map<string, Omit<InboxEntry, 'memo' | 'from'>[]>;
  /** Per wallet-payee (hex): the clearing notices of its inbox, in seq order (ADR 0243; they share the seqs). */
  readonly cleared: Map<string, ClearedEntry[]>;
}

/**
 * An empty store's data.
 *
 * @example
 * ```ts
 * import { memoryChannelData, memoryChannelStore } from '@trickle/testing/harness';
 * const data = memoryChannelData();
 * const first = memoryChannelStore({ data });
 * await first.close();
 * const afterRestart = memoryChannelStore({ data }); // sees everything the first committed
 * ```
 */
export function memoryChannelData(): MemoryChannelData {
  return {
    channels: new Map(),
    vouchers: new Map(),
    invoices: new Map(),
    expiries: [],
    merchants: new Map(),
    claims: new Map(),
    walletPayees: new Map(),
    peerInvoices: new Map(),
    inboxes: new Map(),
    cleared: new Map(),
  };
}

/** Options of {@link memoryChannelStore}. */
export interface MemoryChannelStoreOptions {
  /** The data to open. Default: a new, empty one. */
  readonly data?: MemoryChannelData;
}

/**
 * A `ChannelStore` in memory. Every value is copied in and out, so a caller that changes
 * what it passed or got changes nothing stored.
 *
 * @example
 * ```ts
 * import { createHub } from '@trickle/hub';
 * import { memoryLedger } from '@trickle/ledger';
 * import { memoryChannelStore } from '@trickle/testing/harness';
 * declare const ledger: Awaited<ReturnType<typeof memoryLedger>>;
 * const hub = await createHub({ dataDir: './.data/hub', networkId: 1, store: memoryChannelStore(), ledger });
 * ```
 */
export function memoryChannelStore(options: MemoryChannelStoreOptions = {}): ChannelStore {
  const data = options.data ?? memoryChannelData();
  let closed = false;

  /** Runs `fn` as the store's one atomic step; a throw becomes `STORE_FAILED` and nothing of it stays. */
  function step<T>(what: string, fn: () => T): Promise<T> {
    try {
      if (closed) throw new Error('the store is closed');
      return Promise.resolve(fn());
    } catch (cause) {
      return Promise.reject(new HubError('STORE_FAILED', `memory channel store: ${what} failed`, { cause }));
    }
  }

  /** The claim mark of a channel not finalized, its unclaimed entries counted from its vouchers. */
  function markOf(id: string): ClaimMark | undefined {
    const channel = data.channels.get(id);
    if (channel === undefined || channel.closedAtMs !== undefined) return undefined;
    const claim = data.claims.get(id) ?? { claimedSeq: 0, claimedCumulative: 0n, unclaimedSinceMs: undefined };
    let unclaimedEntries = 0;
    for (let seq = claim.claimedSeq + 1; seq <= channel.seq; seq++) {
      unclaimedEntries += data.vouchers.get(id)?.get(seq)?.entries.length ?? 0;
    }
    return { channelId: structuredClone(channel.channelId), ...claim, unclaimedEntries };
  }

  return {
    name: 'memory',
    commit: (writes) =>
      step('commit', () => {
        // Check everything first, so that a refused commit leaves nothing behind.
        const claimed = new Set<string>();
        const outcomes: WriteOutcome[] = writes.map((write) => {
          checkChannel(write.channel);
          const id = toHex(write.channel.channelId);
          const keys: string[] = [];
          for (const voucher of write.vouchers ?? []) {
            checkVoucher(voucher);
            if (data.vouchers.get(id)?.has(voucher.seq)) throw new Error(`voucher ${voucher.seq} exists`);
            for (const [entry, stored] of voucher.entries.entries()) {
              const key = invoiceKey(stored);
              if (data.invoices.has(key) || claimed.has(key) || keys.includes(key)) {
                return { applied: false, paidInvoice: { seq: voucher.seq, entry } };
              }
              keys.push(key);
            }
          }
          for (const p of write.incoming ?? []) {
            if (!data.walletPayees.has(toHex(p.payee))) throw new Error('incoming payment to an unknown wallet-payee');
          }
          for (const key of keys) claimed.add(key);
          return { applied: true };
        });
        writes.forEach((write, i) => {
          if (!outcomes[i]?.applied) return;
          const id = toHex(write.channel.channelId);
          data.channels.set(id, structuredClone(write.channel));
          // The oldest acceptance not claimed yet is kept; a write without vouchers (a top-up) leaves it alone.
          const claim = data.claims.get(id) ?? { claimedSeq: 0, claimedCumulative: 0n, unclaimedSinceMs: undefined };
          const since = (write.vouchers?.length ?? 0) > 0 ? write.acceptedAtMs : undefined;
          data.claims.set(id, { ...claim, unclaimedSinceMs: claim.unclaimedSinceMs ?? since });
          for (const voucher of write.vouchers ?? []) {
            const vouchers = data.vouchers.get(id) ?? new Map<number, AcceptedVoucher>();
            data.vouchers.set(id, vouchers);
            vouchers.set(voucher.seq, structuredClone(voucher));
            for (const entry of voucher.entries) {
              const key = invoiceKey(entry);
              data.invoices.set(key, entry.expiresAtMs);
              heapPush(data.expiries, [entry.expiresAtMs, key]);
            }
          }
          for (const p of write.incoming ?? []) {
            const payee = toHex(p.payee);
            const record = data.walletPayees.get(payee) as WalletPayeeRecord;
            const seq = record.lastSeq + 1;
            data.walletPayees.set(payee, { ...record, lastSeq: seq });
            const inbox = data.inboxes.get(payee) ?? [];
            data.inboxes.set(payee, inbox);
            inbox.push(
              structuredClone({
                seq,
                channelId: write.channel.channelId,
                voucherSeq: p.voucherSeq,
                invoiceId: p.invoiceId,
                asset: write.channel.asset,
                amount: p.amount,
                mac: p.mac,
                paidAtMs: p.paidAtMs,
              }),
            );
          }
        });
        return outcomes;
      }),
    channel: (channelId: ChannelId) =>
      step('channel', () => {
        const channel = data.channels.get(toHex(channelId));
        return channel === undefined ? undefined : structuredClone(channel);
      }),
    openChannels: () =>
      step('openChannels', () =>
        [...data.channels.values()].filter((c) => c.closedAtMs === undefined).map((c) => structuredClone(c)),
      ),
    claimMarks: () =>
      step('claimMarks', () =>
        [...data.channels.keys()].flatMap((id): ClaimMark[] => {
          const mark = markOf(id);
          return mark === undefined ? [] : [mark];
        }),
      ),
    claimMark: (channelId) => step('claimMark', () => markOf(toHex(channelId))),
    // A walk over every channel: the twin answers what the SQL stores' indexes answer, not at their cost.
    settlementChannels: (query) =>
      step('settlementChannels', () => {
        if (!Number.isSafeInteger(query.limit) || query.limit < 1) {
          throw new RangeError('settlementChannels: limit must be a positive integer');
        }
        const descending = query.by === 'unclaimedEntries' || query.by === 'unclaimedAmount';
        const rows: { channelId: ChannelId; key: bigint; hex: string }[] = [];
        for (const [id, channel] of data.channels) {
          const mark = markOf(id);
          if (mark === undefined) continue;
          const key = settlementKey(query.by, channel, mark);
          if (key === undefined || (descending ? key < query.bound : key > query.bound)) continue;
          rows.push({ channelId: channel.channelId, key, hex: id });
        }
        const order = (a: { key: bigint; hex: string }, b: { key: bigint; hex: string }) =>
          (a.key < b.key ? -1 : a.key > b.key ? 1 : a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : 0) * (descending ? -1 : 1);
        rows.sort(order);
        const after = query.after;
        const from =
          after === undefined
            ? rows
            : rows.filter((row) => order(row, { key: after.key, hex: toHex(after.channelId) }) > 0);
        return from.slice(0, query.limit).map((row) => ({ channelId: structuredClone(row.channelId), key: row.key }));
      }),
    unclaimedTotals: () =>
      step('unclaimedTotals', () => {
        const totals = new Map<string, UnclaimedTotal>();
        for (const [id, channel] of data.channels) {
          const mark = markOf(id);
          if (mark === undefined || channel.closingSinceMs !== undefined) continue;
          if (channel.cumulative <= mark.claimedCumulative) continue;
          const key = `${channel.asset.code}:${channel.asset.scale}`;
          const total = totals.get(key) ?? {
            asset: structuredClone(channel.asset),
            channels: 0,
            entries: 0,
            amount: 0n,
            oldestSinceMs: undefined,
          };
          const since = mark.unclaimedSinceMs;
          totals.set(key, {
            asset: total.asset,
            channels: total.channels + 1,
            entries: total.entries + mark.unclaimedEntries,
            amount: total.amount + (channel.cumulative - mark.claimedCumulative),
            oldestSinceMs:
              since === undefined || (total.oldestSinceMs !== undefined && total.oldestSinceMs <= since)
                ? total.oldestSinceMs
                : since,
          });
        }
        return [...totals.values()];
      }),
    openTotals: (nowMs) =>
      step('openTotals', () => {
        const totals = new Map<string, OpenTotal>();
        for (const [id, channel] of data.channels) {
          if (channel.closedAtMs !== undefined) continue;
          const key = `${channel.asset.code}:${channel.asset.scale}`;
          const total = totals.get(key) ?? {
            asset: structuredClone(channel.asset),
            open: 0,
            channels: 0,
            escrow: 0n,
            unclaimed: 0n,
          };
          const open = channel.closingSinceMs === undefined && channel.expiresAtMs > nowMs;
          totals.set(key, {
            asset: total.asset,
            open: total.open + (open ? 1 : 0),
            channels: total.channels + 1,
            escrow: total.escrow + channel.deposit,
            unclaimed: total.unclaimed + channel.cumulative - (markOf(id)?.claimedCumulative ?? 0n),
          });
        }
        return [...totals.values()];
      }),
    recordClaims: (claims, cleared = []) =>
      step('recordClaims', () => {
        for (const c of cleared) {
          if (c.payments < 1 || c.amount < 1n || c.throughVoucherSeq <= c.afterVoucherSeq || c.afterVoucherSeq < 0) {
            throw new RangeError('clearing notice: payments and amount at least 1, a non-empty voucher range');
          }
        }
        // The notices first, each only while its channel's claim is below its end (as the SQL stores).
        for (const { payee, ...notice } of cleared) {
          const id = toHex(payee);
          const record = data.walletPayees.get(id);
          const channel = toHex(notice.channelId);
          const claimedSeq = data.claims.get(channel)?.claimedSeq ?? 0;
          if (record === undefined || !data.channels.has(channel) || claimedSeq >= notice.throughVoucherSeq) continue;
          const seq = record.lastSeq + 1;
          data.walletPayees.set(id, { ...record, lastSeq: seq });
          const notices = data.cleared.get(id) ?? [];
          data.cleared.set(id, notices);
          notices.push(structuredClone({ seq, ...notice }));
        }
        for (const claim of claims) {
          const id = toHex(claim.channelId);
          const channel = data.channels.get(id);
          const before = data.claims.get(id);
          // A late record of an older claim moves nothing back.
          if (channel === undefined || (before !== undefined && before.claimedSeq > claim.claimedSeq)) continue;
          data.claims.set(id, {
            claimedSeq: claim.claimedSeq,
            claimedCumulative: claim.claimedCumulative,
            unclaimedSinceMs: channel.seq > claim.claimedSeq ? claim.unclaimedSinceMs : undefined,
          });
        }
      }),
    vouchers: (channelId, fromSeq, limit) =>
      step('vouchers', () => {
        const vouchers = data.vouchers.get(toHex(channelId));
        const out: AcceptedVoucher[] = [];
        for (let seq = fromSeq; vouchers !== undefined && seq < fromSeq + limit; seq++) {
          const voucher = vouchers.get(seq);
          if (voucher === undefined) break;
          out.push(structuredClone(voucher));
        }
        return out;
      }),
    sweepInvoices: (expiredBeforeMs, limit) =>
      step('sweepInvoices', () => {
        let forgotten = 0;
        while (forgotten < limit && data.expiries.length > 0 && (data.expiries[0]?.[0] ?? 0) < expiredBeforeMs) {
          const [expiresAtMs, key] = heapPop(data.expiries);
          // Skip heap entries of invoices forgotten before (or paid again since, with a later expiry).
          if (data.invoices.get(key) !== expiresAtMs) continue;
          data.invoices.delete(key);
          forgotten++;
        }
        return forgotten;
      }),
    putMerchant: (merchant) =>
      step('putMerchant', () => {
        data.merchants.set(toHex(merchant.payeeId), structuredClone(merchant));
      }),
    merchants: () => step('merchants', () => [...data.merchants.values()].map((m) => structuredClone(m))),
    putWalletPayee: (payee) =>
      step('putWalletPayee', () => {
        const id = toHex(payee.payeeId);
        if (!data.walletPayees.has(id)) {
          data.walletPayees.set(id, structuredClone({ ...payee, lastSeq: 0, ackedSeq: 0 }));
        }
      }),
    walletPayee: (payeeId) =>
      step('walletPayee', () => {
        const record = data.walletPayees.get(toHex(payeeId));
        return record === undefined ? undefined : structuredClone(record);
      }),
    walletPayees: () => step('walletPayees', () => [...data.walletPayees.values()].map((r) => structuredClone(r))),
    putPeerInvoice: (invoice) =>
      step('putPeerInvoice', () => {
        const key = `${toHex(invoice.payee)}${toHex(invoice.invoiceId)}`;
        if (invoice.amount < 1n || invoice.amount > amountMax) throw new RangeError('peer invoice amount: 1..2^63-1');
        // As the SQL stores: an invoice made again (a money request's) keeps its first record.
        if (!data.peerInvoices.has(key)) data.peerInvoices.set(key, structuredClone(invoice));
      }),
    inbox: (payeeId, afterSeq, limit) =>
      step('inbox', () => {
        const payee = toHex(payeeId);
        return pageAfter(data.inboxes.get(payee) ?? [], afterSeq, limit).map((entry): InboxEntry => {
          const invoice = data.peerInvoices.get(`${payee}${toHex(entry.invoiceId)}`);
          return structuredClone({
            ...entry,
            memo: invoice?.memo ?? '',
            ...(invoice?.from === undefined ? {} : { from: invoice.from }),
          });
        });
      }),
    inboxCleared: (payeeId, afterSeq, limit) =>
      step('inboxCleared', () => structuredClone(pageAfter(data.cleared.get(toHex(payeeId)) ?? [], afterSeq, limit))),
    ackInbox: (payeeId, seq) =>
      step('ackInbox', () => {
        const id = toHex(payeeId);
        const record = data.walletPayees.get(id);
        if (record === undefined) return;
        data.walletPayees.set(id, { ...record, ackedSeq: Math.max(record.ackedSeq, Math.min(seq, record.lastSeq)) });
      }),
    async close() {
      closed = true;
    },
  };
}

/** At most `limit` items of a seq-ordered list after seq `afterSeq` (found by bisection, not a scan). */
function pageAfter<T extends { readonly seq: number }>(list: readonly T[], afterSeq: number, limit: number): T[] {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((list[middle] as T).seq <= afterSeq) low = middle + 1;
    else high = middle;
  }
  return list.slice(low, low + limit);
}

function invoiceKey(entry: StoredEntry): string {
  return `${toHex(entry.payee)}${toHex(entry.invoiceId)}`;
}

/** The constraints the SQL adapters declare on a channel row. */
function checkChannel(channel: HubChannel): void {
  if (channel.channelId.length !== 32 || channel.clientKey.length !== 33 || channel.logHead.length !== 32) {
    throw new RangeError('channel: wrong byte lengths');
  }
  if (!Number.isSafeInteger(channel.seq) || channel.seq < 0) throw new RangeError('channel seq: 0 or more');
  if (channel.deposit < 0n || channel.deposit > amountMax) throw new RangeError('channel deposit: 0..2^63-1');
  if (channel.cumulative < 0n || channel.cumulative > channel.deposit) {
    throw new RangeError('channel cumulative: 0..deposit');
  }
  if (channel.signature !== undefined && channel.signature.length !== 64) throw new RangeError('signature: 64 bytes');
}

/** The constraints the SQL adapters declare on a voucher row and its entries. */
function checkVoucher(voucher: AcceptedVoucher): void {
  if (!Number.isSafeInteger(voucher.seq) || voucher.seq < 1) throw new RangeError('voucher seq: 1 or more');
  if (voucher.cumulative < 0n || voucher.cumulative > amountMax) throw new RangeError('voucher cumulative: 0..2^63-1');
  if (voucher.logHead.length !== 32 || voucher.signature.length !== 64)
    throw new RangeError('voucher: wrong byte lengths');
  for (const entry of voucher.entries) {
    if (entry.payee.length !== 32 || entry.invoiceId.length !== 16) throw new RangeError('entry: wrong byte lengths');
    if (entry.amount < 1n || entry.amount > amountMax) throw new RangeError('entry amount: 1..2^63-1');
    if (!Number.isSafeInteger(entry.expiresAtMs) || entry.expiresAtMs < 0) throw new RangeError('entry expiresAtMs');
  }
}

function heapPush(heap: [number, string][], item: [number, string]): void {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if ((heap[parent] as [number, string])[0] <= item[0]) break;
    heap[i] = heap[parent] as [number, string];
    i = parent;
  }
  heap[i] = item;
}

function heapPop(heap: [number, string][]): [number, string] {
  const top = heap[0] as [number, string];
  const last = heap.pop() as [number, string];
  if (heap.length === 0) return top;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const child =
      right < heap.length && (heap[right] as [number, string])[0] < (heap[left] as [number, string])[0] ? right : left;
    if ((heap[child] as [number, string])[0] >= last[0]) break;
    heap[i] = heap[child] as [number, string];
    i = child;
  }
  heap[i] = last;
  return top;
}

/** A channel's key in a settlement index, or undefined when the index does not hold it (as the SQL stores' partial indexes). */
function settlementKey(by: SettlementIndex, channel: HubChannel, mark: ClaimMark): bigint | undefined {
  switch (by) {
    case 'expiresAt':
      return channel.closingSinceMs === undefined ? BigInt(channel.expiresAtMs) : undefined;
    case 'unclaimedSince':
      return mark.unclaimedSinceMs === undefined ? undefined : BigInt(mark.unclaimedSinceMs);
    case 'closingSince':
      return channel.closingSinceMs === undefined ? undefined : BigInt(channel.closingSinceMs);
    case 'unclaimedEntries':
      return mark.unclaimedEntries > 0 ? BigInt(mark.unclaimedEntries) : undefined;
    case 'unclaimedAmount':
      return channel.cumulative > mark.claimedCumulative ? channel.cumulative - mark.claimedCumulative : undefined;
  }
}
