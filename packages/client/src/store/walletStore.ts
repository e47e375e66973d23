/**
 * The wallet's store port. The wallet writes through it before it sends anything it
 * signed (persist, then send), so after a crash it can resend exactly what the hub may
 * not have and never sign a conflicting state. Records are JSON-safe (bytes as hex,
 * amounts as decimal strings) so every backend stores the same shapes.
 */

import type { HistoryRecord, PendingVoucherRecord, StoredWallet, WalletChange, WalletRecord } from '@trickle/protocol';

export type {
  ChannelRecord,
  ChannelRecordStatus,
  EntryRecord,
  HistoryRecord,
  PendingVoucherRecord,
  StatePoint,
  StoredWallet,
  WalletChange,
  WalletRecord,
} from '@trickle/protocol';

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
