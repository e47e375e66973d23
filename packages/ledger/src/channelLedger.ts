/**
 * The port where the hub meets the ledger of record: the channel lifecycle as the hub
 * sees it. Payments never reach it; funding, open, top-up, claims, closes and payouts do.
 * Every method is idempotent (a retry with the same input returns the same result and
 * moves no money twice) and durable when its promise resolves.
 */
import type {
  Asset,
  ChannelId,
  LogHead,
  PayeeId,
  PaymentEntry,
  PublicKey,
  TrickleError,
  Voucher,
} from '@trickle/protocol';

/**
 * Codes of {@link LedgerError}.
 *
 * @example
 * ```ts
 * import { LedgerError, type LedgerErrorCode } from '@trickle/ledger';
 * const code: LedgerErrorCode = 'STALE_STATE';
 * new LedgerError(code, 'a newer state is held');
 * ```
 */
export type LedgerErrorCode =
  /** An account cannot cover a debit (the payer's, for an open or top-up). */
  | 'INSUFFICIENT_FUNDS'
  /** The id exists with other content (a transfer, an open with other terms). */
  | 'EXISTS_WITH_DIFFERENT_FIELDS'
  | 'UNKNOWN_ACCOUNT'
  | 'UNKNOWN_CHANNEL'
  /** The channel is closing, closed or expired for this operation. */
  | 'CHANNEL_NOT_OPEN'
  /** The state is older than one the ledger already holds (a stale close loses). */
  | 'STALE_STATE'
  /** The signature, the log or the amounts do not prove the state. */
  | 'INVALID_STATE'
  /** The channel cannot be finalized yet: it has not expired, or a close recorded on it is in its window. */
  | 'NOT_DUE'
  /** A sum would exceed 2^63-1. */
  | 'OVERFLOW'
  /**
   * A ledger transfer was refused for a reason the codes above do not name (its
   * `TransferErrorCode` is in `details`).
   */
  | 'TRANSFER_FAILED'
  /**
   * The database failed, is unreachable, or kept reporting serialization conflicts. The
   * operation may or may not have been applied (a lost COMMIT reply): retry with the same
   * input, which every operation makes safe.
   */
  | 'UNAVAILABLE';

/**
 * A channel's state signed by its client, with the entries that lead to it.
 *
 * @example
 * ```ts
 * import type { SignedState } from '@trickle/ledger';
 * import type { Voucher, PaymentEntry } from '@trickle/protocol';
 * declare const voucher: Voucher, entriesSinceClaim: PaymentEntry[];
 * const state: SignedState = { channelId: voucher.channelId, voucher, entries: entriesSinceClaim };
 * ```
 */
export interface SignedState {
  readonly channelId: ChannelId;
  /**
   * The client-signed voucher of the state; `undefined` for the state the ledger has
   * already claimed (seq 0 when nothing was claimed), which needs no new proof.
   */
  readonly voucher: Voucher | undefined;
  /**
   * The payment entries after the ledger's last claimed seq up to `voucher.seq`, in log
   * order: the ledger re-hashes them from its last claimed log head to `voucher.logHead`.
   */
  readonly entries: readonly PaymentEntry[];
}

/**
 * How a channel's close was started.
 *
 * @example
 * ```ts
 * import type { CloseKind } from '@trickle/ledger';
 * const kind: CloseKind = 'hub';
 * ```
 */
export type CloseKind = 'cooperative' | 'client' | 'hub' | 'expiry';

/**
 * A channel as the ledger holds it.
 *
 * @example
 * ```ts
 * import type { LedgerChannel } from '@trickle/ledger';
 * declare const channel: LedgerChannel;
 * const unclaimed = channel.deposit - channel.claimed.cumulative;
 * ```
 */
export interface LedgerChannel {
  readonly channelId: ChannelId;
  readonly clientKey: PublicKey;
  readonly asset: Asset;
  readonly deposit: bigint;
  readonly expiresAtMs: number;
  /**
   * The hub's fee rate in parts per million, fixed at open so fees never depend on when
   * claims happen. Always set by this package's ledgers (optional only for test doubles).
   */
  readonly feePpm?: number;
  /** The state up to which payments have been claimed (moved out of escrow). */
  readonly claimed: { readonly seq: number; readonly cumulative: bigint; readonly logHead: LogHead };
  /** Set once a close has started. */
  readonly close?: {
    readonly kind: CloseKind;
    readonly startedAtMs: number;
    /** Until this instant a state with a higher seq replaces the submitted one. */
    readonly challengeEndsAtMs: number;
    readonly state: { readonly seq: number; readonly cumulative: bigint; readonly logHead: LogHead };
  };
  /** Set once finalized; a finalized channel never moves money again. */
  readonly finalizedAtMs?: number;
}

/**
 * What a claim or a finalize posted.
 *
 * @example
 * ```ts
 * import type { SettlementResult } from '@trickle/ledger';
 * declare const result: SettlementResult;
 * const fees = result.payees.reduce((sum, p) => sum + p.fee, 0n);
 * ```
 */
export interface SettlementResult {
  readonly channel: LedgerChannel;
  /** Per payee: the gross paid in this operation, the hub's fee out of it, and the net credited. */
  readonly payees: readonly {
    readonly payee: PayeeId;
    readonly gross: bigint;
    readonly fee: bigint;
    readonly net: bigint;
  }[];
  /** Refunded to the payer (finalize only; 0 for a claim). */
  readonly refund: bigint;
}

/**
 * What became of one channel of a batch (claims, expiry finalizations): its result, or the
 * error that left it untouched. Results come by index.
 *
 * @example
 * ```ts
 * import type { ChannelOutcome } from '@trickle/ledger';
 * declare const outcome: ChannelOutcome;
 * if (!outcome.ok) console.log(outcome.error.code);
 * ```
 */
export type ChannelOutcome =
  | { readonly ok: true; readonly result: SettlementResult }
  | { readonly ok: false; readonly error: LedgerErrorLike };

/**
 * One page of channels whose close is recorded and whose challenge window is still open,
 * soonest end first; pass `next` back as `after` for the next page (undefined: no more).
 *
 * @example
 * ```ts
 * import type { ClosingPage } from '@trickle/ledger';
 * declare const page: ClosingPage;
 * for (const channel of page.channels) console.log(channel.close?.challengeEndsAtMs);
 * ```
 */
export interface ClosingPage {
  readonly channels: readonly LedgerChannel[];
  readonly next: { readonly challengeEndsAtMs: number; readonly id: string } | undefined;
}

/**
 * The ledger operations the hub needs.
 *
 * @example
 * ```ts
 * import type { ChannelLedger } from '@trickle/ledger';
 * declare const ledger: ChannelLedger;
 * const settled = await ledger.finalizeDue();
 * ```
 */
export interface ChannelLedger {
  /** Creates the payee's account for `asset` if missing. Idempotent. */
  ensurePayee(input: { readonly payee: PayeeId; readonly asset: Asset }): Promise<void>;
  /**
   * Moves `deposit` from the payer's account (keyed by `clientKey`) into the channel's
   * escrow. Idempotent by `channelId`: same terms return the existing channel; other
   * terms throw `EXISTS_WITH_DIFFERENT_FIELDS`. Throws `INSUFFICIENT_FUNDS`.
   */
  openChannel(input: {
    readonly channelId: ChannelId;
    readonly clientKey: PublicKey;
    readonly asset: Asset;
    readonly deposit: bigint;
    readonly expiresAtMs: number;
  }): Promise<LedgerChannel>;
  /** Raises the deposit to a new total (not an increment), so a retry cannot add twice. */
  topUpChannel(input: { readonly channelId: ChannelId; readonly deposit: bigint }): Promise<LedgerChannel>;
  /**
   * While the channel is open, moves what was paid since the last claim out of escrow to
   * the payees (net) and the hub (fee). Verifies the voucher and the entries. Idempotent
   * by (channelId, voucher.seq): a resend at or below the claimed seq moves nothing and
   * returns what that claim posted; another state at a seq whose signed state the ledger
   * holds (the claimed one, an earlier claim) throws `STALE_STATE`.
   */
  claim(state: SignedState): Promise<SettlementResult>;
  /**
   * Claims many channels in one transaction: each as `claim` would, all or nothing per
   * channel, results by index (a refused channel leaves the others untouched). At most
   * `claimBatchChannelsMax` states and `entriesPerSettlementMax` entries in all; a batch
   * names each channel once.
   */
  claimBatch(states: readonly SignedState[]): Promise<readonly ChannelOutcome[]>;
  /**
   * Cooperative close: claims the final state and refunds the rest to the payer, as one
   * atomic operation, exactly once. A retry returns the same result.
   */
  closeCooperative(state: SignedState): Promise<SettlementResult>;
  /**
   * Unilateral close by the client or the hub: records the submitted state and opens the
   * challenge window; a later submission with a higher seq inside the window replaces it.
   */
  startClose(state: SignedState & { readonly by: 'client' | 'hub' }): Promise<LedgerChannel>;
  /** Finalizes every channel whose challenge window has ended or that has expired. */
  finalizeDue(): Promise<readonly SettlementResult[]>;
  /**
   * Finalizes expired channels now, at their claimed state (the payer gets the rest back),
   * instead of when their grace ends. Results by index; a channel that has not expired, or
   * has a close recorded, is `NOT_DUE`; a finalized one returns its final result.
   */
  finalizeExpired(channelIds: readonly ChannelId[]): Promise<readonly ChannelOutcome[]>;
  /**
   * Channels whose close is recorded and still in its challenge window, soonest end first,
   * a page at a time (at most `closingChannelsPageMax`): what a hub watches to answer a
   * stale close in time.
   */
  closingChannels(options?: { readonly after?: ClosingPage['next']; readonly limit?: number }): Promise<ClosingPage>;
  /** The channel, or undefined. */
  channel(channelId: ChannelId): Promise<LedgerChannel | undefined>;
  /** Closes the connection or file. */
  close(): Promise<void>;
}

/**
 * An error of the ledger, with a stable code.
 *
 * @example
 * ```ts
 * import type { LedgerErrorLike } from '@trickle/ledger';
 * declare const error: LedgerErrorLike;
 * if (error.code === 'UNAVAILABLE') console.log('retry with the same input');
 * ```
 */
export type LedgerErrorLike = TrickleError & { readonly code: LedgerErrorCode };
