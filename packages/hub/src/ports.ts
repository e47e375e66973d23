/** The hub's ports for time and randomness, so tests and simulations can drive both. */
import type { Clock, RandomBytes } from '@trickle/protocol';

/** The clock port is `@trickle/protocol`'s, re-exported here for compatibility. */
export type { Clock } from '@trickle/protocol';

/**
 * The wall clock (`Date.now`).
 *
 * @example
 * ```ts
 * import { systemClock } from '@trickle/hub';
 * systemClock.nowMs() > 0; // true
 * ```
 */
export const systemClock: Clock = Object.freeze({ nowMs: () => Date.now() });

/**
 * Cryptographically secure random bytes from `crypto.getRandomValues`.
 *
 * @example
 * ```ts
 * import { systemRandomBytes } from '@trickle/hub';
 * systemRandomBytes(32).length; // 32
 * ```
 */
export const systemRandomBytes: RandomBytes = (length) => {
  const out = new Uint8Array(length);
  // getRandomValues fills at most 65,536 bytes per call.
  for (let offset = 0; offset < length; offset += 65_536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65_536)));
  }
  return out;
};
