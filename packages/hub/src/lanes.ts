/**
 * Channel lanes: every channel the hub holds in memory, each with the queue of its pay
 * frames and the tail of its serialized work. One lane's work never overlaps (frames are
 * processed strictly in order); different lanes run independently.
 */
import type { ChannelId, HubChannel, PayFrame } from '@trickle/protocol';
import { bytesKey } from './bytesKey.js';
import type { Reply } from './refusal.js';
import type { AcceptedVoucher } from './store/channelStore.js';

/** A pay frame waiting for its batch, and where its answer goes. */
export interface QueuedFrame {
  readonly frame: PayFrame;
  readonly reply: Reply;
}

/** One channel in memory. */
export interface Lane {
  /** The durable state; undefined while the channel is being opened. */
  channel: HubChannel | undefined;
  readonly queue: QueuedFrame[];
  /** Tail of the lane's serialized work. */
  tail: Promise<void>;
  batchScheduled: boolean;
  /**
   * Vouchers whose commit failed in a way that may still have applied it (a lost COMMIT
   * reply): the channel is read back from the store before its next batch.
   */
  unsure: readonly AcceptedVoucher[] | undefined;
}

/** The lanes by channel id. */
export interface Lanes {
  get(channelId: ChannelId): Lane | undefined;
  /** The lane of `channelId`, created empty if missing. */
  of(channelId: ChannelId): Lane;
  delete(channelId: ChannelId): void;
  all(): IterableIterator<Lane>;
  readonly size: number;
}

/** An empty set of lanes. */
export function createLanes(): Lanes {
  const lanes = new Map<string, Lane>();
  return {
    get: (channelId) => lanes.get(bytesKey(channelId)),
    of(channelId) {
      const id = bytesKey(channelId);
      let lane = lanes.get(id);
      if (lane === undefined) {
        lane = { channel: undefined, queue: [], tail: Promise.resolve(), batchScheduled: false, unsure: undefined };
        lanes.set(id, lane);
      }
      return lane;
    },
    delete: (channelId) => void lanes.delete(bytesKey(channelId)),
    all: () => lanes.values(),
    get size() {
      return lanes.size;
    },
  };
}

const settled = () => undefined;

/** Runs `work` after everything queued on the lane before it. */
export function serialize<T>(lane: Lane, work: () => Promise<T>): Promise<T> {
  const run = lane.tail.then(work);
  lane.tail = run.then(settled, settled);
  return run;
}
