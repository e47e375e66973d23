/**
 * The engine's side of channel leases in a hub cluster (ADR 0231). Before any work on a
 * lane (a pay batch, a request, a settlement change) the lane's lease must be valid by
 * this process's clock: checking that is a map read and a clock read. Otherwise the lease
 * is taken: at once when it is free, expired or already ours; else the request waits,
 * asking every `leasePollMs`, at most `waitMsMax`, then is refused CHANNEL_BUSY (retryable).
 * A lease taken at a new epoch means another process may have changed the channel: the
 * lane reads it back from the store before the work. A background tick renews the leases
 * of lanes in use and gives back those idle for `leaseIdleReleaseMs`.
 */
import { bytesKey } from './bytesKey.js';
import type { Lane, Lanes } from './lanes.js';
import { Refusal } from './refusal.js';
import type { ChannelLeases } from './store/channelStore.js';

/** The gate of a cluster's engine. */
export interface LeaseGate {
  /** Takes or confirms the lane's lease before its work (inside serialize). */
  enter(lane: Lane): Promise<void>;
  /** How long a request may wait for a lease held elsewhere, in ms. */
  readonly waitMsMax: number;
  /** Stops the background renewals and gives every lease back, so other processes take them at once. */
  stop(): Promise<void>;
}

/** Options of {@link createLeaseGate}. */
export interface LeaseGateOptions {
  readonly leases: ChannelLeases;
  readonly lanes: Lanes;
  readonly idleReleaseMs: number;
  readonly pollMs: number;
  readonly onError: (error: unknown, context: string) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A gate over `leases`; its background tick starts at once. */
export function createLeaseGate(options: LeaseGateOptions): LeaseGate {
  const { leases, lanes, idleReleaseMs, pollMs, onError } = options;
  const tickMs = Math.max(10, Math.min(Math.floor(leases.ttlMs / 4), idleReleaseMs));
  // A dead holder's lease expires within ttlMs; a live one's idle lease is given back within a tick.
  const waitMsMax = leases.ttlMs + idleReleaseMs + 2 * tickMs;
  /** When each held lane was last entered (performance.now()). */
  const lastUsed = new Map<string, number>();
  const busy = (lane: Lane | undefined) =>
    lane !== undefined && (lane.pending > 0 || lane.queue.length > 0 || lane.batchScheduled || lane.settle.busy > 0);

  let stopped = false;
  let ticking: Promise<void> | undefined;
  const timer = setInterval(() => {
    ticking ??= tick().finally(() => {
      ticking = undefined;
    });
  }, tickMs);
  timer.unref();

  async function tick(): Promise<void> {
    const now = performance.now();
    const keep = [];
    const idle = [];
    for (const channelId of leases.held()) {
      const key = bytesKey(channelId);
      if (busy(lanes.get(channelId)) || now - (lastUsed.get(key) ?? 0) < idleReleaseMs) keep.push(channelId);
      else {
        idle.push(channelId);
        lastUsed.delete(key);
      }
    }
    try {
      await leases.release(idle);
      await leases.renew(keep);
    } catch (error) {
      // Unrenewed leases lapse by the local clock: their lanes stop being served at once.
      onError(error, 'renewing channel leases');
    }
  }

  return {
    waitMsMax,
    async enter(lane) {
      const started = performance.now();
      lastUsed.set(lane.key, started);
      if (leases.holds(lane.channelId)) return;
      for (;;) {
        if (stopped) throw new Refusal('SHUTTING_DOWN', 'this hub process is shutting down');
        const taken = await leases.acquire(lane.channelId);
        if (taken !== undefined) {
          lastUsed.set(lane.key, performance.now());
          if (taken.fresh && lane.channel !== undefined) lane.unsure ??= [];
          return;
        }
        if (performance.now() - started >= waitMsMax) {
          throw new Refusal('CHANNEL_BUSY', 'another process of this hub serves the channel; retry shortly');
        }
        await sleep(pollMs);
      }
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await ticking;
      await leases.release(leases.held()).catch((error: unknown) => onError(error, 'giving channel leases back'));
    },
  };
}
