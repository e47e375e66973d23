/**
 * Channel lanes: the channels the hub holds in memory, each with the queue of its pay
 * frames and the tail of its serialized work. One lane's work never overlaps (frames are
 * processed strictly in order); different lanes run independently.
 *
 * Memory stays bounded (ADR 0419): a lane is kept while it has work (queued, running, or
 * pinned by the settlement scheduler's run) and while its channel is closing; once idle, an
 * open channel's lane is among the `channelsCachedMax` most recently used open ones and a
 * closed channel's among the `closedChannelsCachedMax` most recently used closed ones; older
 * idle ones are evicted. The engine reads an evicted channel back from the store when its
 * wallet speaks or the scheduler's store queries name it: the channel and its claim mark
 * (what the settlement fields hold) are in the store, exact, since every change is
 * persisted before it is adopted. A lane that never got a channel (a refused open) is
 * dropped as soon as it is idle.
 */
import {
  assert,
  type ChannelId,
  type ClientMessageOf,
  type HubChannel,
  type HubMessage,
  LruMap,
  type RecordedClose,
} from '@trickle/protocol';
import { bytesKey } from './bytesKey.js';
import type { AcceptedVoucher } from './store/channelStore.js';

/** Where the engine sends what it has to say about a message. */
export type Reply = (message: HubMessage) => void;

/** A decoded `pay` frame without its type: the voucher, its entries, and the id its reject echoes. */
export type PayMessage = Omit<ClientMessageOf<'pay'>, 'type'>;

/** A pay frame waiting for its batch, and where its answer goes. */
export interface QueuedFrame {
  readonly frame: PayMessage;
  readonly reply: Reply;
}

/**
 * What the hub knows of a channel's settlement on the ledger: the claimed state, what is
 * not claimed yet, and a close recorded there. Memory per channel is these few fields,
 * never the entries: a claim or a close reads its segment from the store a page at a time.
 */
export interface LaneSettlement {
  claimedSeq: number;
  claimedCumulative: bigint;
  /** Entries accepted after the claimed seq. */
  unclaimedEntries: number;
  /** When the oldest of them was accepted; undefined when everything is claimed. */
  unclaimedSinceMs: number | undefined;
  /** A close recorded on the ledger, once the hub knows of it. */
  ledgerClose: RecordedClose | undefined;
  /** Settlement work (claims, closes, answers) on the channel, one at a time, off the payment lane. */
  tail: Promise<void>;
  /** Pieces of settlement work queued or running. */
  busy: number;
}

/** One channel in memory. */
export interface Lane {
  /** The channel id as a map key. */
  readonly key: string;
  readonly channelId: ChannelId;
  /** The durable state; undefined while the channel is being opened. */
  channel: HubChannel | undefined;
  readonly queue: QueuedFrame[];
  /** Tail of the lane's serialized work. */
  tail: Promise<void>;
  /** Pieces of work queued or running on the lane (serialize); 0 when it is idle. */
  pending: number;
  batchScheduled: boolean;
  /**
   * Set when a commit failed in a way that may still have applied it (a lost COMMIT reply):
   * the vouchers it carried (none for a top-up or close). The channel is read back from the
   * store before the lane's next piece of work.
   */
  unsure: readonly AcceptedVoucher[] | undefined;
  /**
   * Set when the stored channel's newest voucher may be one committed before its signature
   * was checked (ADR 0415: a store that can revert such a write, read at start or after a
   * failure): its signature is checked before the lane's next piece of work.
   */
  headUnchecked: boolean;
  /** Holders that keep the lane in memory though it may be idle (a settlement run that found it): see {@link pin}. */
  pins: number;
  /** Called by serialize when `pending` drops to 0: where the lanes decide whether to keep it. */
  readonly onIdle: () => void;
  readonly settle: LaneSettlement;
}

/** The lanes by channel id. */
export interface Lanes {
  get(channelId: ChannelId): Lane | undefined;
  /**
   * The lane of `channelId`, created empty if missing. Queue work on a new lane in the same
   * turn (serialize): a lane is only reconsidered for eviction when its work settles.
   */
  of(channelId: ChannelId): Lane;
  all(): IterableIterator<Lane>;
  /** Lanes in memory. */
  readonly size: number;
}

/** Options of {@link createLanes}. */
export interface LanesOptions {
  /** Idle lanes of closed channels kept in memory, in channels (limits.ts). */
  readonly closedChannelsCachedMax: number;
  /** Idle lanes of open channels kept in memory, in channels (limits.ts, ADR 0419). */
  readonly channelsCachedMax: number;
}

/** An empty set of lanes. */
export function createLanes(options: LanesOptions): Lanes {
  const { closedChannelsCachedMax, channelsCachedMax } = options;
  for (const [name, value] of Object.entries({ closedChannelsCachedMax, channelsCachedMax })) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`createLanes: ${name} must be a positive integer`);
    }
  }
  const lanes = new Map<string, Lane>();
  /**
   * A lane is dropped only with nothing queued, scheduled or running, and no pin. (`unsure`
   * does not hold a closed channel: reading it back from the store is what its next batch
   * would do; it holds an open one, whose next work settles what a failed write left.)
   */
  const isIdle = (lane: Lane) =>
    lane.pending === 0 && lane.queue.length === 0 && !lane.batchScheduled && lane.settle.busy === 0 && lane.pins === 0;
  /** An idle open lane may go: not closing (closes stay until final), nothing unsure. */
  const evictableOpen = (lane: Lane) =>
    lane.channel !== undefined &&
    lane.channel.closedAtMs === undefined &&
    lane.channel.closingSinceMs === undefined &&
    lane.unsure === undefined;

  /**
   * A key beyond an idle list's bound is dropped from the list; its lane goes with it unless it
   * is busy again since it went idle, or no longer of this list (it is listed anew when its
   * work settles).
   */
  const dropIfStill = (still: (lane: Lane) => boolean) => (key: string) => {
    const lane = lanes.get(key);
    if (lane !== undefined && isIdle(lane) && still(lane)) lanes.delete(key);
  };
  /**
   * Keys of closed channels' lanes that went idle, least recently used first: the eviction
   * order. An LruMap, so each step is O(1): finding the oldest key of a Set by iterating it
   * steps over its deleted entries (~6 µs per payment at 10,000 lanes).
   */
  const closedIdle = new LruMap<string, true>(closedChannelsCachedMax, {
    onEvict: dropIfStill((idle) => idle.channel?.closedAtMs !== undefined),
  });
  /** Keys of open channels' lanes that went idle, least recently used first (ADR 0419). */
  const openIdle = new LruMap<string, true>(channelsCachedMax, {
    onEvict: dropIfStill(evictableOpen),
  });

  function onIdle(lane: Lane): void {
    if (lanes.get(lane.key) !== lane || !isIdle(lane)) return;
    if (lane.channel === undefined) {
      lanes.delete(lane.key); // a refused open: it must not grow memory
      return;
    }
    if (lane.channel.closedAtMs === undefined) {
      if (!evictableOpen(lane)) {
        openIdle.delete(lane.key);
        return;
      }
      openIdle.set(lane.key, true); // the most recent now; beyond the bound the oldest goes
      return;
    }
    openIdle.delete(lane.key);
    closedIdle.set(lane.key, true);
  }

  return {
    get: (channelId) => lanes.get(bytesKey(channelId)),
    of(channelId) {
      const key = bytesKey(channelId);
      let lane = lanes.get(key);
      if (lane === undefined) {
        const created: Lane = {
          key,
          channelId,
          channel: undefined,
          queue: [],
          tail: Promise.resolve(),
          pending: 0,
          batchScheduled: false,
          unsure: undefined,
          headUnchecked: false,
          pins: 0,
          onIdle: () => onIdle(created),
          settle: {
            claimedSeq: 0,
            claimedCumulative: 0n,
            unclaimedEntries: 0,
            unclaimedSinceMs: undefined,
            ledgerClose: undefined,
            tail: Promise.resolve(),
            busy: 0,
          },
        };
        lanes.set(key, created);
        lane = created;
      }
      return lane;
    },
    all: () => lanes.values(),
    get size() {
      return lanes.size;
    },
  };
}

/**
 * Keeps the lane in memory, idle or not, until {@link unpin}: what holds a lane across awaits
 * without work queued on it (the settlement scheduler's run) pins it, so that no second lane
 * of the channel is read back while the first is still in use.
 */
export function pin(lane: Lane): Lane {
  lane.pins++;
  return lane;
}

/** Releases a {@link pin}; the lane may be evicted once idle. */
export function unpin(lane: Lane): void {
  lane.pins--;
  if (lane.pins === 0) lane.onIdle();
}

/** Runs `work` after everything queued on the lane before it. */
export function serialize<T>(lane: Lane, work: () => Promise<T>): Promise<T> {
  lane.pending++;
  const run = lane.tail.then(work);
  const done = () => {
    lane.pending--;
    if (lane.pending === 0) lane.onIdle();
  };
  lane.tail = run.then(done, done);
  return run;
}

/** Runs settlement `work` on a channel after the settlement work queued before it (not its payments). */
export function settleSerially<T>(lane: Lane, work: () => Promise<T>): Promise<T> {
  const { settle } = lane;
  settle.busy++;
  const run = settle.tail.then(work);
  const done = () => {
    settle.busy--;
    if (settle.busy === 0) lane.onIdle();
  };
  settle.tail = run.then(done, done);
  return run;
}

/**
 * The channel of a lane that holds one: every lane work reaches (a batch, a request, a
 * settlement step) was found by its channel, so a lane without one there is a bug.
 */
export function laneChannel(lane: Lane): HubChannel {
  assert(lane.channel !== undefined, 'a lane at work holds its channel');
  return lane.channel;
}
