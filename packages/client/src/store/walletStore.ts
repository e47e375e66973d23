/**
 * The wallet's store port. The wallet writes through it before it sends anything it
 * signed (persist, then send), so after a crash it can resend exactly what the hub may
 * not have and never sign a conflicting state. Records are JSON-safe (bytes as hex,
 * amounts as decimal strings) so every backend stores the same shapes.
 */

/** A channel's signed position: seq, cumulative (decimal string) and log head (hex). */
export interface StatePoint {
  readonly seq: number;
  readonly cumulative: string;
  readonly logHead: string;
}

/** Lifecycle of the wallet's channel, as the wallet knows it. */
export type ChannelRecordStatus = 'opening' | 'open' | 'closing' | 'closed';

/** The wallet's channel. */
export interface ChannelRecord {
  readonly channelId: string;
  readonly nonce: string;
  readonly asset: { readonly code: string; readonly scale: number };
  /** Total deposit (decimal string). */
  readonly deposit: string;
  readonly expiresAtMs: number;
  readonly status: ChannelRecordStatus;
  /** The open request's signature, kept until the hub confirms the open. */
  readonly openSignature: string;
  /** The latest state this wallet signed. */
  readonly signed: StatePoint;
  /** The latest state the hub acknowledged. */
  readonly acked: StatePoint;
  /** A top-up sent but not yet confirmed: the new total and its signature. */
  readonly topUp?: { readonly deposit: string; readonly signature: string };
  /** The signed close, once closing. */
  readonly close?: StatePoint & { readonly signature: string };
  /** deposit - cumulative, once closed (decimal string). */
  readonly refund?: string;
}

/** Everything the wallet keeps besides vouchers and history. */
export interface WalletRecord {
  readonly version: 1;
  readonly networkId: number;
  /** The hub id (hex), pinned at first contact. */
  readonly hubId: string;
  readonly channel?: ChannelRecord;
  /** Spent so far under the spending policy: in total and per payee (hex), decimal strings. */
  readonly spent: { readonly total: string; readonly byPayee: Readonly<Record<string, string>> };
}

/** One payment entry of a voucher (a `pay` frame entry), JSON-safe. */
export interface EntryRecord {
  readonly payee: string;
  readonly invoiceId: string;
  readonly amount: string;
  readonly expiresAtMs: number;
  readonly resource: string;
  readonly mac: string;
}

/** A signed voucher the hub has not acknowledged yet, with its entries: resent after a reconnect or a restart. */
export interface PendingVoucherRecord extends StatePoint {
  readonly signature: string;
  readonly entries: readonly EntryRecord[];
}

/** One paid entry with the receipt's MAC (the wallet's history() turns it into a receipt token). */
export interface HistoryRecord {
  readonly channelId: string;
  readonly seq: number;
  readonly payee: string;
  readonly invoiceId: string;
  readonly amount: string;
  /** The receipt MAC (hex): with these fields, the channel's asset and the hub, the full receipt. */
  readonly mac: string;
  readonly atMs: number;
}

/** What a store holds for one wallet. */
export interface StoredWallet {
  readonly record: WalletRecord;
  /** In seq order. */
  readonly pending: readonly PendingVoucherRecord[];
  /** Oldest first; at most the store's history bound. */
  readonly history: readonly HistoryRecord[];
}

/** One atomic change. Applied in this order: record, addPending, removePending, addHistory. */
export interface WalletChange {
  readonly record?: WalletRecord;
  readonly addPending?: readonly PendingVoucherRecord[];
  /** Seqs of pending vouchers to forget (acknowledged, or dropped after a resync). */
  readonly removePending?: readonly number[];
  readonly addHistory?: readonly HistoryRecord[];
}

/** The store port. */
export interface WalletStore {
  /** A short name, e.g. `memory`, `file`, `indexeddb`. */
  readonly name: string;
  /** Everything saved, or undefined for a new wallet. */
  load(): Promise<StoredWallet | undefined>;
  /** Applies `change` atomically; durable when resolved. Rejects with `WalletError('STORE_FAILED')`. */
  write(change: WalletChange): Promise<void>;
  close(): Promise<void>;
}

/** Most history records a store keeps (oldest dropped); the hub's log has the rest. */
export const historyRecordsMax = 10_000;

/** Applies a change to an in-memory copy: the reference semantics every store follows. */
export function applyChange(
  state: { record: WalletRecord | undefined; pending: PendingVoucherRecord[]; history: HistoryRecord[] },
  change: WalletChange,
  historyMax = historyRecordsMax,
): void {
  if (change.record !== undefined) state.record = change.record;
  if (change.addPending !== undefined && change.addPending.length > 0) {
    const bySeq = new Map(state.pending.map((p) => [p.seq, p]));
    for (const p of change.addPending) bySeq.set(p.seq, p);
    state.pending = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }
  if (change.removePending !== undefined && change.removePending.length > 0) {
    const drop = new Set(change.removePending);
    state.pending = state.pending.filter((p) => !drop.has(p.seq));
  }
  if (change.addHistory !== undefined && change.addHistory.length > 0) {
    state.history.push(...change.addHistory);
    if (state.history.length > historyMax) state.history.splice(0, state.history.length - historyMax);
  }
}

/** Merges two changes into one with the same effect as applying `a` then `b`. */
export function mergeChanges(a: WalletChange, b: WalletChange): WalletChange {
  const removed = new Set(b.removePending ?? []);
  const record = b.record ?? a.record;
  return {
    ...(record === undefined ? {} : { record }),
    addPending: [...(a.addPending ?? []).filter((p) => !removed.has(p.seq)), ...(b.addPending ?? [])],
    removePending: [...(a.removePending ?? []), ...(b.removePending ?? [])],
    addHistory: [...(a.addHistory ?? []), ...(b.addHistory ?? [])],
  };
}
