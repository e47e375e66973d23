/**
 * The {@link LedgerDriver} of the memory twin: every script runs synchronously, so a
 * transaction is trivially serializable; the undo log makes it atomic.
 */
import { type LedgerDriver, runSync, type StepHook, type Txn } from '../store/txn.js';
import { MemoryStore } from './memoryStore.js';

/** A driver over a fresh (or given) {@link MemoryStore}. */
export function memoryDriver(
  store = new MemoryStore(),
  hook?: StepHook,
): LedgerDriver & { readonly store: MemoryStore } {
  let closed = false;
  const run = <T>(operation: string, txn: () => Txn<T>): Promise<T> => {
    if (closed) return Promise.reject(new Error('memory ledger: closed'));
    try {
      const counter = { step: 0 };
      const result = store.atomically(() => runSync(operation, txn(), (r) => store.handle(r), hook, counter));
      hook?.({ operation, step: counter.step + 1, label: 'committed' });
      return Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return {
    name: 'memory',
    store,
    write: run,
    read: run,
    async close() {
      closed = true;
    },
  };
}
