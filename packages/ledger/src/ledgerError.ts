/**
 * The one error type of the ledger: a {@link TrickleError} with a stable
 * {@link LedgerErrorCode} and, for I/O failures, the driver's error as `cause`.
 */
import { TrickleError, type TrickleErrorOptions } from '@trickle/protocol';
import type { LedgerErrorCode } from './channelLedger.js';

/**
 * An expected failure of a ledger operation. Branch on `code`; `message` is for humans.
 * Bugs are assertion failures and misuse is a `TypeError`/`RangeError`, never this.
 *
 * @example
 * ```ts
 * import { LedgerError } from '@trickle/ledger';
 * try {
 *   throw new LedgerError('INSUFFICIENT_FUNDS', 'payer cannot cover the deposit');
 * } catch (error) {
 *   if (error instanceof LedgerError && error.code === 'INSUFFICIENT_FUNDS') console.log('fund first');
 * }
 * ```
 */
export class LedgerError extends TrickleError {
  override name = 'LedgerError';
  declare readonly code: LedgerErrorCode;

  constructor(code: LedgerErrorCode, shortMessage: string, options?: TrickleErrorOptions) {
    super(code, shortMessage, options);
  }
}

/**
 * True when `error` is a {@link LedgerError}, optionally with `code`.
 *
 * @example
 * ```ts
 * import { isLedgerError } from '@trickle/ledger';
 * isLedgerError(new Error('x')); // false
 * ```
 */
export function isLedgerError(error: unknown, code?: LedgerErrorCode): error is LedgerError {
  return error instanceof LedgerError && (code === undefined || error.code === code);
}
