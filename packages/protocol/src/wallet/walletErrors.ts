/** The wallet's own errors: a stable code, a message, and the cause. The client re-exports them. */
import { TrickleError, type TrickleErrorOptions } from '../errors.js';

/** Codes of {@link WalletError}. */
export type WalletErrorCode =
  /** The store failed; what was being written is not durable and was not sent. */
  | 'STORE_FAILED'
  /** The hub is not the one this wallet is pinned to, or speaks another network or version. */
  | 'HUB_MISMATCH'
  /** No open channel: call openChannel first. */
  | 'NO_CHANNEL'
  /** A channel is open (or opening) already. */
  | 'CHANNEL_EXISTS'
  /** The channel is closing or closed. */
  | 'CHANNEL_CLOSED'
  /** Too many payments queued. */
  | 'QUEUE_FULL'
  /** The wallet was stopped. */
  | 'STOPPED'
  /** The connection closed before the hub answered (internal: such requests are asked again). */
  | 'DISCONNECTED'
  /** A payment was signed again paymentAttemptsMax times (its vouchers kept being refused for others' faults). */
  | 'PAYMENT_ABANDONED'
  /** The hub answered with a state this wallet did not sign. */
  | 'UNTRUSTED_STATE'
  /**
   * pay()'s signal aborted before the payment was signed: it was removed from the queue,
   * nothing was signed and nothing will be charged. The signal's reason is the `cause`.
   */
  | 'ABORTED'
  /**
   * pay()'s signal aborted after the payment was signed into a voucher: the money is
   * committed. The voucher is still sent (and resent) until the hub answers; its receipt
   * then arrives as a `receipt` event and in history(). The signal's reason is the `cause`.
   */
  | 'ABORTED_AFTER_SIGNING'
  /**
   * The wallet's Signer threw while signing this payment's voucher (a custom signer: a
   * hardware key, a remote signer). Nothing was signed or charged; the signer's error is the
   * `cause`. Other payments go on.
   */
  | 'SIGNER_FAILED'
  /**
   * A money request this wallet was asked to pay is not payable here: for another hub or
   * network or asset, expired, or its payee's signature does not verify. Nothing was paid.
   */
  | 'REQUEST_INVALID'
  /** The hub is not known yet (the wallet has not reached it once): wait for `connected`. */
  | 'NOT_CONNECTED';

/**
 * An expected failure of the wallet (I/O, state), with a stable code.
 *
 * @example
 * ```ts
 * import { WalletError } from '@trickle/protocol';
 * new WalletError('NO_CHANNEL', 'open a channel first').code; // 'NO_CHANNEL'
 * ```
 */
export class WalletError extends TrickleError {
  override name = 'WalletError';
  declare readonly code: WalletErrorCode;
  constructor(code: WalletErrorCode, message: string, options?: TrickleErrorOptions) {
    super(code, message, options);
  }
}

/** Codes of {@link PolicyError}. */
export type PolicyErrorCode = 'PAYMENT_CAP' | 'PAYEE_CAP' | 'TOTAL_CAP';

/**
 * A payment the spending policy forbids; thrown before anything is signed.
 *
 * @example
 * ```ts
 * import { PolicyError } from '@trickle/protocol';
 * new PolicyError('PAYMENT_CAP', 'a payment may be at most 1000').code; // 'PAYMENT_CAP'
 * ```
 */
export class PolicyError extends TrickleError {
  override name = 'PolicyError';
  declare readonly code: PolicyErrorCode;
  constructor(code: PolicyErrorCode, message: string) {
    super(code, message);
  }
}
