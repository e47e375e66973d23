/**
 * Group commit: writes queued in the same turn of the event loop (and while a commit is
 * in flight) go to the store as one transaction, so many payments on many channels share
 * one fsync. A write's promise resolves only once its transaction is durable; nothing is
 * acknowledged before that (persist, then promise).
 */

import { performance } from 'node:perf_hooks';
import { present } from '@trickle/protocol';
import type { ChannelStore, ChannelWrite, WriteOutcome } from './store/channelStore.js';

/** Queues writes and commits them in batches. */
export interface GroupCommit {
  /**
   * Resolves when `write` is durable, or was left out because it pays an invoice that is
   * paid already (the outcome says which); rejects (HubError STORE_FAILED) when its batch failed.
   */
  write(write: ChannelWrite): Promise<WriteOutcome>;
  /** Resolves when everything queued so far is durable (or failed). */
  flush(): Promise<void>;
  /** True when no write is queued or being committed (the next one commits alone, at once). */
  readonly idle: boolean;
}

interface Pending {
  readonly write: ChannelWrite;
  readonly resolve: (outcome: WriteOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A group commit over `store`, at most `writesMax` writes per transaction.
 *
 * @example
 * ```ts
 * import { createGroupCommit } from '@trickle/hub';
 * import { sqliteChannelStore } from '@trickle/hub/sqlite';
 * const commits = createGroupCommit(sqliteChannelStore({ path: ':memory:' }), { writesMax: 4096 });
 * await commits.flush();
 * ```
 */
export function createGroupCommit(
  store: ChannelStore,
  options: {
    readonly writesMax: number;
    /** Told about each transaction: its seconds, its writes, whether it was durable (metrics). */
    readonly committed?: ((seconds: number, writes: number, ok: boolean) => void) | undefined;
  },
): GroupCommit {
  let queue: Pending[] = [];
  let running: Promise<void> | undefined;
  let scheduled = false;

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, options.writesMax);
      queue = queue.slice(batch.length);
      const startedAt = performance.now();
      try {
        const outcomes = await store.commit(batch.map((p) => p.write));
        options.committed?.((performance.now() - startedAt) / 1000, batch.length, true);
        batch.forEach((p, i) => {
          p.resolve(present(outcomes[i], 'one outcome per write'));
        });
      } catch (error) {
        options.committed?.((performance.now() - startedAt) / 1000, batch.length, false);
        for (const p of batch) p.reject(error);
      }
    }
  }

  function kick(): void {
    if (running !== undefined || scheduled) return;
    scheduled = true;
    // setImmediate: let every frame already read in this turn join the batch.
    setImmediate(() => {
      scheduled = false;
      running = drain().finally(() => {
        running = undefined;
        if (queue.length > 0) kick();
      });
    });
  }

  return {
    write(write) {
      return new Promise<WriteOutcome>((resolve, reject) => {
        queue.push({ write, resolve, reject });
        kick();
      });
    },
    get idle() {
      return running === undefined && !scheduled && queue.length === 0;
    },
    async flush() {
      while (running !== undefined || scheduled || queue.length > 0) {
        if (running === undefined && !scheduled) kick();
        await (running ?? new Promise<void>((r) => setImmediate(r)));
      }
    },
  };
}
