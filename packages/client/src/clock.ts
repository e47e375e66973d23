/** The wallet's wall clock; the `Clock` type is `@trickle/protocol`'s (which reads no clock itself). */
import type { Clock } from '@trickle/protocol';

/** `Date.now`, the default of every `clock` option of this package. */
export const systemClock: Clock = Object.freeze({ nowMs: () => Date.now() });
