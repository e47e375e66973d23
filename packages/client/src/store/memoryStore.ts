/** A wallet store in memory: for tests and for wallets that need not survive a restart. */
import {
  applyChange,
  type HistoryRecord,
  type PendingVoucherRecord,
  type WalletRecord,
  type WalletStore,
} from './walletStore.js';

/**
 * A store that keeps everything in memory (lost on restart: an unacknowledged payment
 * can then not be resent, and a new channel must be opened).
 *
 * @example
 * ```ts
 * import { memoryStore } from '@trickle/client';
 * const store = memoryStore();
 * ```
 */
export function memoryStore(): WalletStore {
  const state: { record: WalletRecord | undefined; pending: PendingVoucherRecord[]; history: HistoryRecord[] } = {
    record: undefined,
    pending: [],
    history: [],
  };
  const copy = <T>(value: T): T => structuredClone(value);
  return {
    name: 'memory',
    async load() {
      if (state.record === undefined) return undefined;
      return copy({ record: state.record, pending: state.pending, history: state.history });
    },
    async write(change) {
      // Records are never mutated once written (the wallet builds new ones), so no copy here.
      applyChange(state, change);
    },
    async close() {},
  };
}
