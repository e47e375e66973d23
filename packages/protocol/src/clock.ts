/**
 * The clock port, one definition for every shell (hub, merchant, wallet, ledger). The pure
 * functions of this package never read it: they take `nowMs` as an argument, and the shells
 * pass `clock.nowMs()` in, so tests and simulations move time by swapping the clock. The
 * wall clock itself (`systemClock`, `Date.now`) lives in the shells: this package reads no
 * clock (test/purity.test.ts).
 */

/**
 * A source of the current time in Unix milliseconds.
 *
 * @example
 * ```ts
 * import type { Clock } from '@trickle/protocol';
 * let now = 1_700_000_000_000;
 * const clock: Clock = { nowMs: () => now };
 * now += 60_000; // a minute later
 * ```
 */
export interface Clock {
  /** Now, Unix milliseconds (a safe integer). */
  nowMs(): number;
}
