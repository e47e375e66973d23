/**
 * A channel's status, derived from facts and the time, never stored: a channel is
 * `closed` once finalized, `closing` once a close has started, `expired` from its expiry
 * on, and `open` otherwise.
 */
import type { ChannelStatus } from '../messages.js';

/** The lifecycle facts a status is derived from. */
export interface LifecycleFacts {
  readonly expiresAtMs: number;
  /** When a close started (cooperative or unilateral), if it has. */
  readonly closingSinceMs?: number;
  /** When the channel was finalized on the ledger, if it has been. */
  readonly closedAtMs?: number;
}

/**
 * The status of a channel at `nowMs`.
 *
 * @example
 * ```ts
 * import { channelStatus } from '@trickle/protocol';
 * channelStatus({ expiresAtMs: 2_000 }, 1_000); // 'open'
 * channelStatus({ expiresAtMs: 2_000 }, 2_000); // 'expired'
 * ```
 */
export function channelStatus(facts: LifecycleFacts, nowMs: number): ChannelStatus {
  if (facts.closedAtMs !== undefined) return 'closed';
  if (facts.closingSinceMs !== undefined) return 'closing';
  if (nowMs >= facts.expiresAtMs) return 'expired';
  return 'open';
}
