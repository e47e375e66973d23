/**
 * The closed list of reasons a hub refuses a client's message. A reject never changes
 * state; when it concerns a channel it carries the hub's latest state so an honest client
 * can resync. Codes are stable; docs/protocol.md and docs/errors.md list them.
 */
import { TrickleError } from './errors.js';

/** Every reject code with its meaning and whether resending the same message can succeed. */
export const rejectCodes = {
  MALFORMED_FRAME: {
    retry: false,
    description: 'The frame is not valid msgpack or does not match the message schema.',
  },
  FRAME_TOO_LARGE: { retry: false, description: 'The frame exceeds frameBytesMax (65,536 bytes).' },
  UNSUPPORTED_VERSION: { retry: false, description: 'The protocol version is not one this hub speaks.' },
  UNEXPECTED_MESSAGE: {
    retry: false,
    description: 'The message is not allowed in the session state (e.g. anything before auth).',
  },
  AUTH_FAILED: { retry: false, description: 'The challenge signature does not verify under the presented key.' },
  RATE_LIMITED: { retry: true, description: 'Too many messages or connections; slow down and retry later.' },
  OVERLOADED: { retry: true, description: 'Too much work is queued at the hub for this connection or channel.' },
  SHUTTING_DOWN: { retry: true, description: 'The hub is draining; reconnect (possibly elsewhere) and retry.' },
  INTERNAL: { retry: true, description: 'The hub failed to make the change durable; nothing was changed.' },
  CHANNEL_BUSY: {
    retry: true,
    description: 'Another process of this hub serves the channel now; nothing was changed. Retry shortly.',
  },
  UNKNOWN_CHANNEL: { retry: false, description: 'No channel with this id belongs to the authenticated key.' },
  CHANNEL_EXISTS: { retry: false, description: 'A channel with this id already exists with other terms.' },
  CHANNEL_CLOSED: { retry: false, description: 'The channel is closing or closed and accepts no payments or top-ups.' },
  CHANNEL_EXPIRED: { retry: false, description: 'The channel has passed its expiry and accepts no payments.' },
  BAD_OPEN: { retry: false, description: 'The open request has a bad asset, deposit or expiry for this hub.' },
  INSUFFICIENT_FUNDS: { retry: false, description: "The payer's ledger account cannot cover the deposit or top-up." },
  TOPUP_NOT_INCREASING: { retry: false, description: 'The new total deposit is not above the current one.' },
  SIGNATURE_MALFORMED: { retry: false, description: 'The signature is not exactly 64 bytes of compact r || s.' },
  SIGNATURE_HIGH_S: { retry: false, description: 'The signature has s above n/2; only low-S signatures are accepted.' },
  SIGNATURE_INVALID: { retry: false, description: "The signature does not verify under the channel's pinned key." },
  SEQ_GAP: { retry: true, description: 'The voucher skips a sequence number; earlier vouchers are missing.' },
  STALE_VOUCHER: {
    retry: false,
    description: "The sequence number is already used by a different voucher; resync from the hub's state.",
  },
  EMPTY_VOUCHER: { retry: false, description: 'The voucher carries no payment entries.' },
  CUMULATIVE_MISMATCH: {
    retry: false,
    description: 'The cumulative amount is not the previous one plus the sum of the entries.',
  },
  EXCEEDS_DEPOSIT: { retry: false, description: "The cumulative amount would exceed the channel's deposit." },
  LOG_HEAD_MISMATCH: { retry: false, description: 'The entries do not hash to the signed log head.' },
  UNKNOWN_PAYEE: { retry: false, description: 'The payee is not registered at this hub.' },
  REQUEST_INVALID: {
    retry: false,
    description: "The payment request's MAC does not verify, or it names another hub, network or asset.",
  },
  INVOICE_EXPIRED: { retry: false, description: 'The payment request has expired.' },
  INVOICE_ALREADY_PAID: { retry: false, description: 'This invoice has already been paid (on any channel).' },
  CLOSE_STATE_MISMATCH: {
    retry: false,
    description: "The close names a state other than the channel's latest accepted one.",
  },
  UNKNOWN_STATE: {
    retry: false,
    description: 'The forced close names a state the hub never accepted on this channel, so it cannot be proven.',
  },
} as const satisfies Record<string, { retry: boolean; description: string }>;

/** A reject code. */
export type RejectCode = keyof typeof rejectCodes;

/**
 * True when `code` is one of {@link rejectCodes}.
 *
 * @example
 * ```ts
 * import { isRejectCode } from '@trickle/protocol';
 * isRejectCode('SEQ_GAP'); // true
 * ```
 */
export function isRejectCode(code: unknown): code is RejectCode {
  return typeof code === 'string' && Object.hasOwn(rejectCodes, code);
}

/**
 * A hub's reject, surfaced to client code as an error with the reject's code.
 *
 * @example
 * ```ts
 * import { RejectError } from '@trickle/protocol';
 * const error = new RejectError('EXCEEDS_DEPOSIT', 'cumulative 1001 > deposit 1000');
 * error.code; // 'EXCEEDS_DEPOSIT'
 * ```
 */
export class RejectError extends TrickleError {
  override name = 'RejectError';
  declare readonly code: RejectCode;
  constructor(code: RejectCode, message: string, options?: { cause?: unknown }) {
    super(code, message || rejectCodes[code].description, options);
  }
  /** True when the same message may succeed later. */
  get retryable(): boolean {
    return rejectCodes[this.code].retry;
  }
}
