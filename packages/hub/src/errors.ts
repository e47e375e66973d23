/** The hub's I/O errors: a stable code and the cause. */
import { TrickleError, type TrickleErrorOptions } from '@trickle/protocol';

/** Codes of {@link HubError}. */
export type HubErrorCode =
  /** The hub key file is unreadable, malformed, or readable by others. */
  | 'KEY_FILE'
  /** The channel store failed; nothing it was asked to write is durable. */
  | 'STORE_FAILED'
  /** The server could not listen. */
  | 'LISTEN_FAILED'
  /** The ledger failed for a reason other than a business rule. */
  | 'LEDGER_FAILED'
  /** Another hub process holds the data folder (ADR 0230). */
  | 'DATA_DIR_LOCKED';

/**
 * An I/O failure inside the hub.
 *
 * @example
 * ```ts
 * import { HubError } from '@trickle/hub';
 * const error = new HubError('STORE_FAILED', 'commit failed', { cause: new Error('disk full') });
 * error.code; // 'STORE_FAILED'
 * ```
 */
export class HubError extends TrickleError {
  override name = 'HubError';
  declare readonly code: HubErrorCode;
  constructor(code: HubErrorCode, message: string, options?: TrickleErrorOptions) {
    super(code, message, options);
  }
}
