/** The clock port: the merchant reads time only through it, so tests can move it. The type is `@trickle/protocol`'s, re-exported for compatibility. */
import type { Clock } from '@trickle/protocol';

export type { Clock } from '@trickle/protocol';

/**
 * The system clock (`Date.now()`).
 *
 * @example
 * ```ts
 * import { systemClock } from '@trickle/merchant';
 * systemClock.nowMs(); // e.g. 1767225600000
 * ```
 */
export const systemClock: Clock = Object.freeze({ nowMs: () => Date.now() });
