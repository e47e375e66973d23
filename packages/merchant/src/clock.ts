/** The clock port: the merchant reads time only through it, so tests can move it. */

/**
 * A source of the current time in Unix milliseconds.
 *
 * @example
 * ```ts
 * import type { Clock } from '@trickle/merchant';
 * let now = 1_700_000_000_000;
 * const clock: Clock = { nowMs: () => now };
 * now += 60_000; // a minute later
 * ```
 */
export interface Clock {
  /** Now, Unix milliseconds (a safe integer). */
  nowMs(): number;
}

/**
 * The system clock (`Date.now()`).
 *
 * @example
 * ```ts
 * import { systemClock } from '@trickle/merchant';
 * systemClock.nowMs(); // e.g. 1767225600000
 * ```
 */
export const systemClock: Clock = { nowMs: () => Date.now() };
