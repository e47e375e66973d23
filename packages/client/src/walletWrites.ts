/**
 * The wallet's writes to its store, one at a time and in order. `persist` is for what
 * must be durable before anything is sent (a signed voucher, a channel change); `stage`
 * is for what may wait (acknowledgements, history): it is written with the next persist
 * or on the next task, since losing it only means a resend the hub answers with the same
 * receipts (ADR 0204).
 */
import { asError } from '@trickle/protocol';
import {
  type HistoryRecord,
  mergeChanges,
  type PendingVoucherRecord,
  type WalletChange,
  type WalletRecord,
  type WalletStore,
} from './store/walletStore.js';

/** Ordered writes with staging. */
export interface WalletWrites {
  /** Writes `change` (after anything staged) and resolves once durable. */
  persist(change: WalletChange): Promise<void>;
  /** Queues a change that need not be durable before anything is sent. */
  stage(change: WalletChange): void;
  /** True while a staged change waits. */
  readonly hasStaged: boolean;
  /** Resolves when every write so far has settled. */
  settled(): Promise<void>;
}

/** Creates the writer over `store`; failures of staged writes go to `onError`. */
export function createWalletWrites(store: WalletStore, onError: (error: Error) => void): WalletWrites {
  let writeChain: Promise<void> = Promise.resolve();
  let staged:
    | {
        record?: WalletRecord;
        addPending: PendingVoucherRecord[];
        removePending: number[];
        addHistory: HistoryRecord[];
      }
    | undefined;
  let stagedTimer: ReturnType<typeof setTimeout> | undefined;

  function persist(change: WalletChange): Promise<void> {
    let full = change;
    if (staged !== undefined) {
      full = mergeChanges(staged, change);
      staged = undefined;
      clearTimeout(stagedTimer);
      stagedTimer = undefined;
    }
    const run = writeChain.then(() => store.write(full));
    writeChain = run.catch(() => undefined);
    return run;
  }

  /** Accumulated in place, since thousands of receipts can arrive between two writes. */
  function stage(change: WalletChange): void {
    staged ??= { addPending: [], removePending: [], addHistory: [] };
    const into = staged;
    if (change.record !== undefined) into.record = change.record;
    if (change.removePending !== undefined && change.removePending.length > 0) {
      if (into.addPending.length > 0) {
        const removed = new Set(change.removePending);
        into.addPending = into.addPending.filter((p) => !removed.has(p.seq));
      }
      for (const seq of change.removePending) into.removePending.push(seq);
    }
    if (change.addPending !== undefined) for (const p of change.addPending) into.addPending.push(p);
    if (change.addHistory !== undefined) for (const h of change.addHistory) into.addHistory.push(h);
    if (stagedTimer !== undefined) return;
    stagedTimer = setTimeout(() => {
      stagedTimer = undefined;
      if (staged !== undefined) persist({}).catch((error: unknown) => onError(asError(error)));
    }, 0);
  }

  return {
    persist,
    stage,
    get hasStaged() {
      return staged !== undefined;
    },
    settled: () => writeChain,
  };
}
