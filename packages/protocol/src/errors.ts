/**
 * The error types every Trickle package shares.
 *
 * Four kinds of failure, four shapes (docs/errors.md):
 * - a bug is an assertion failure ({@link assert});
 * - caller misuse throws a titled `TypeError` or `RangeError`;
 * - a peer's bad message becomes a typed reject code ({@link RejectCode});
 * - an expected failure (bad user input, I/O) is a {@link TrickleError} with a stable `code`.
 */

/** Options accepted by {@link TrickleError}. */
export interface TrickleErrorOptions {
  /** Extra facts for logs and debugging; never secrets. */
  readonly details?: string;
  /** The underlying error, kept as a chain. */
  readonly cause?: unknown;
}

/**
 * Base class of every typed error thrown by Trickle. `code` is stable across versions
 * and is what programs should branch on; `message` is for humans.
 *
 * @example
 * ```ts
 * import { TrickleError, parseAmount } from '@trickle/protocol';
 * try {
 *   parseAmount('1.5', { code: 'USD', scale: 0 });
 * } catch (error) {
 *   if (error instanceof TrickleError) console.log(error.code); // 'AMOUNT_PRECISION'
 * }
 * ```
 */
export class TrickleError extends Error {
  override name = 'TrickleError';
  /** Stable machine-readable code, e.g. `AMOUNT_OVERFLOW`. */
  readonly code: string;
  /** The message without details, one line. */
  readonly shortMessage: string;
  /** Extra facts, if any. */
  readonly details: string | undefined;

  constructor(code: string, shortMessage: string, options: TrickleErrorOptions = {}) {
    const message = options.details ? `${shortMessage}\n\nDetails: ${options.details}` : shortMessage;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.shortMessage = shortMessage;
    this.details = options.details;
  }
}

/** Codes carried by {@link AmountError}. */
export type AmountErrorCode =
  | 'AMOUNT_SYNTAX'
  | 'AMOUNT_PRECISION'
  | 'AMOUNT_RANGE'
  | 'AMOUNT_OVERFLOW'
  | 'AMOUNT_UNDERFLOW'
  | 'ASSET_MISMATCH';

/**
 * An amount that cannot be represented or computed exactly: bad decimal syntax, more
 * decimals than the asset's scale, out of 0..2^63-1, or a checked sum that overflowed.
 *
 * @example
 * ```ts
 * import { AmountError, addAmounts, amountMax } from '@trickle/protocol';
 * try { addAmounts(amountMax, 1n); } catch (e) { (e as AmountError).code; } // 'AMOUNT_OVERFLOW'
 * ```
 */
export class AmountError extends TrickleError {
  override name = 'AmountError';
  declare readonly code: AmountErrorCode;
  constructor(code: AmountErrorCode, shortMessage: string, options?: TrickleErrorOptions) {
    super(code, shortMessage, options);
  }
}

/**
 * Thrown when a condition that must always hold does not: a bug in Trickle, never a
 * consequence of bad input.
 *
 * @example
 * ```ts
 * import { AssertionError } from '@trickle/protocol';
 * new AssertionError('invariant broken') instanceof Error; // true
 * ```
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

/**
 * Asserts an internal invariant. Use for bugs only; validate inputs with titled
 * `TypeError`/`RangeError` instead.
 *
 * @example
 * ```ts
 * import { assert } from '@trickle/protocol';
 * assert(1n + 1n === 2n, 'arithmetic works');
 * ```
 */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/**
 * A value the caller knows is there (an index within bounds, an entry per frame): returns
 * it, or throws {@link AssertionError} naming what must hold. Use in place of a cast.
 *
 * @example
 * ```ts
 * import { present } from '@trickle/protocol';
 * const outcomes = ['accepted'];
 * present(outcomes[0], 'one outcome per frame'); // 'accepted'
 * ```
 */
export function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new AssertionError(`${what}: missing`);
  return value;
}

/**
 * A caught value as an `Error`: itself when it is one, else an `Error` whose message is
 * its text and whose `cause` is the value. Use where a `catch` hands on what it caught to
 * something that takes an `Error`, in place of `error as Error`.
 *
 * @example
 * ```ts
 * import { asError } from '@trickle/protocol';
 * asError(new RangeError('too far')).message; // 'too far'
 * asError('a string was thrown').message; // 'a string was thrown'
 * ```
 */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value), { cause: value });
}
