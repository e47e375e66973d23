/**
 * Transfers: money moved from a debit account to a credit account of the same asset,
 * under a caller-chosen id that makes the move idempotent. Four kinds, as in TigerBeetle:
 * a `posted` transfer moves money at once; a `pending` one reserves it; a `post` settles a
 * pending transfer in full or in part (the rest is released); a `void` releases it all.
 * A pending transfer with a timeout expires at `createdAtMs + timeoutMs`.
 */

/**
 * The kinds of transfer, closed list.
 *
 * @example
 * ```ts
 * import { transferKinds } from '@trickle/ledger';
 * transferKinds; // ['posted', 'pending', 'post', 'void']
 * ```
 */
export const transferKinds = ['posted', 'pending', 'post', 'void'] as const;

/**
 * What a transfer does: see the module comment.
 *
 * @example
 * ```ts
 * import type { TransferKind } from '@trickle/ledger';
 * const kind: TransferKind = 'pending';
 * ```
 */
export type TransferKind = (typeof transferKinds)[number];

/**
 * Where a pending transfer stands.
 *
 * @example
 * ```ts
 * import type { PendingStatus } from '@trickle/ledger';
 * const status: PendingStatus = 'expired';
 * ```
 */
export type PendingStatus = 'pending' | 'posted' | 'voided' | 'expired';

/** Fields every transfer input has. */
interface TransferInputBase {
  /** Caller-chosen, 1-256 of `A-Z a-z 0-9 : / _ . -`; the idempotency key. */
  readonly id: string;
  /**
   * Commit this transfer together with the next one of the batch: a chain of linked
   * transfers (ending at the first one without `linked`) succeeds or fails as a whole.
   * Not part of the transfer's content: it says how the batch commits, not what moves.
   */
  readonly linked?: boolean;
  /** A u16 reason code for reports (the channel layer uses {@link transferCodes}). Default 0. */
  readonly code?: number;
  /** A grouping key (e.g. the channel), indexed for `transfersByRef`. 1-128 characters. */
  readonly ref?: string;
  /** A free note (e.g. the payee a fee was taken from). 1-128 characters. */
  readonly memo?: string;
}

/**
 * Moves `amount` now.
 *
 * @example
 * ```ts
 * import type { PostedTransferInput } from '@trickle/ledger';
 * const t: PostedTransferInput = { id: 'pay-1', debitAccountId: 'alice', creditAccountId: 'bob', amount: 250n };
 * ```
 */
export interface PostedTransferInput extends TransferInputBase {
  readonly kind?: 'posted';
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
}

/**
 * Reserves `amount` until posted, voided or expired.
 *
 * @example
 * ```ts
 * import type { PendingTransferInput } from '@trickle/ledger';
 * const hold: PendingTransferInput = { id: 'hold-1', kind: 'pending', debitAccountId: 'alice', creditAccountId: 'bob', amount: 900n, timeoutMs: 60_000 };
 * ```
 */
export interface PendingTransferInput extends TransferInputBase {
  readonly kind: 'pending';
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
  /** Expire after this many ms (by the ledger's clock); omit for no expiry. */
  readonly timeoutMs?: number;
}

/**
 * Posts a pending transfer: `amount` (default: all of it) moves, the rest is released.
 *
 * @example
 * ```ts
 * import type { PostPendingInput } from '@trickle/ledger';
 * const post: PostPendingInput = { id: 'hold-1-post', kind: 'post', pendingId: 'hold-1', amount: 300n };
 * ```
 */
export interface PostPendingInput extends TransferInputBase {
  readonly kind: 'post';
  readonly pendingId: string;
  readonly amount?: bigint;
  /** When given, must equal the pending transfer's. */
  readonly debitAccountId?: string;
  /** When given, must equal the pending transfer's. */
  readonly creditAccountId?: string;
}

/**
 * Voids a pending transfer: everything it reserved is released.
 *
 * @example
 * ```ts
 * import type { VoidPendingInput } from '@trickle/ledger';
 * const release: VoidPendingInput = { id: 'hold-1-void', kind: 'void', pendingId: 'hold-1' };
 * ```
 */
export interface VoidPendingInput extends TransferInputBase {
  readonly kind: 'void';
  readonly pendingId: string;
  readonly debitAccountId?: string;
  readonly creditAccountId?: string;
}

/**
 * What `createTransfers` takes.
 *
 * @example
 * ```ts
 * import type { TransferInput } from '@trickle/ledger';
 * const batch: TransferInput[] = [
 *   { id: 'hold-1', kind: 'pending', debitAccountId: 'a', creditAccountId: 'b', amount: 100n, timeoutMs: 60_000 },
 *   { id: 'hold-1-post', kind: 'post', pendingId: 'hold-1', amount: 40n },
 * ];
 * ```
 */
export type TransferInput = PostedTransferInput | PendingTransferInput | PostPendingInput | VoidPendingInput;

/**
 * A transfer as stored. For `post` and `void`, the accounts are the pending transfer's and
 * `amount` is what was posted (post) or released (void).
 *
 * @example
 * ```ts
 * import type { Transfer } from '@trickle/ledger';
 * declare const transfer: Transfer;
 * if (transfer.kind === 'pending') console.log(transfer.pendingStatus);
 * ```
 */
export interface Transfer {
  /** Insertion order, assigned by the store: a cursor for history pages. */
  readonly serial: bigint;
  readonly id: string;
  readonly kind: TransferKind;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
  readonly pendingId?: string;
  readonly timeoutMs?: number;
  readonly expiresAtMs?: number;
  readonly pendingStatus?: PendingStatus;
  readonly code: number;
  readonly ref?: string;
  readonly memo?: string;
  readonly createdAtMs: number;
}

/**
 * Why a transfer was refused, closed list.
 *
 * @example
 * ```ts
 * import { transferErrorCodes } from '@trickle/ledger';
 * transferErrorCodes.includes('INSUFFICIENT_FUNDS'); // true
 * ```
 */
export const transferErrorCodes = [
  'EXISTS_WITH_DIFFERENT_FIELDS',
  'DEBIT_ACCOUNT_NOT_FOUND',
  'CREDIT_ACCOUNT_NOT_FOUND',
  'ACCOUNTS_MUST_BE_DIFFERENT',
  'ASSET_MISMATCH',
  'INSUFFICIENT_FUNDS',
  'OVERFLOW',
  'PENDING_TRANSFER_NOT_FOUND',
  'PENDING_TRANSFER_NOT_PENDING',
  'PENDING_TRANSFER_ALREADY_POSTED',
  'PENDING_TRANSFER_ALREADY_VOIDED',
  'PENDING_TRANSFER_EXPIRED',
  'PENDING_ACCOUNTS_MISMATCH',
  'EXCEEDS_PENDING_AMOUNT',
  'LINKED_EVENT_FAILED',
  'LINKED_CHAIN_OPEN',
] as const;

/**
 * A code from {@link transferErrorCodes}.
 *
 * @example
 * ```ts
 * import type { TransferErrorCode } from '@trickle/ledger';
 * const code: TransferErrorCode = 'LINKED_EVENT_FAILED';
 * ```
 */
export type TransferErrorCode = (typeof transferErrorCodes)[number];

/**
 * The outcome of one transfer of a batch, by index (rafiki style). `exists` means the
 * same id with the same content was applied before: nothing moved again. A `failed`
 * transfer that failed on its own (not `EXISTS_WITH_DIFFERENT_FIELDS`,
 * `LINKED_EVENT_FAILED` or `LINKED_CHAIN_OPEN`) is recorded, and the same id keeps
 * failing with the same code.
 *
 * @example
 * ```ts
 * import type { TransferResult } from '@trickle/ledger';
 * declare const results: TransferResult[];
 * const failures = results.filter((r) => r.status === 'failed');
 * ```
 */
export type TransferResult =
  | { readonly index: number; readonly id: string; readonly status: 'created' | 'exists' }
  | { readonly index: number; readonly id: string; readonly status: 'failed'; readonly code: TransferErrorCode };

/**
 * The `code` values the channel layer gives its transfers, so reports and the audit can
 * tell them apart.
 *
 * @example
 * ```ts
 * import { transferCodes } from '@trickle/ledger';
 * transferCodes.refund; // 5
 * ```
 */
export const transferCodes = {
  fund: 1,
  deposit: 2,
  net: 3,
  fee: 4,
  refund: 5,
  payout: 6,
} as const;
