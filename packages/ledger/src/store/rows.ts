/**
 * The rows every store keeps, in one shape for all adapters. The engine reads and writes
 * only these; each adapter maps them to its tables. Absent values are `null` (as in SQL).
 */
import type { Account, AccountKind } from '../account.js';
import type { CloseKind } from '../channelLedger.js';
import type { PendingStatus, Transfer, TransferErrorCode, TransferKind } from '../transfer.js';

/** An account with its running sums and a version for compare-and-set updates. */
export interface AccountRow {
  readonly id: string;
  readonly kind: AccountKind;
  readonly assetCode: string;
  readonly assetScale: number;
  readonly allowNegative: boolean;
  readonly debitsPending: bigint;
  readonly debitsPosted: bigint;
  readonly creditsPending: bigint;
  readonly creditsPosted: bigint;
  /** Incremented by every update; an update names the version it read. */
  readonly version: number;
  readonly createdAtMs: number;
}

/** A transfer that took effect. */
export interface TransferRow {
  /** Assigned by the store on insert; 0n in rows not yet stored. */
  readonly serial: bigint;
  readonly id: string;
  readonly kind: TransferKind;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
  readonly pendingId: string | null;
  readonly timeoutMs: number | null;
  readonly expiresAtMs: number | null;
  readonly pendingStatus: PendingStatus | null;
  readonly code: number;
  readonly ref: string | null;
  readonly memo: string | null;
  readonly createdAtMs: number;
}

/** A transfer's fields as the caller gave them, absent ones `null`: what idempotency compares. */
export interface GivenTransferFields {
  readonly id: string;
  readonly kind: TransferKind;
  readonly debitAccountId: string | null;
  readonly creditAccountId: string | null;
  readonly amount: bigint | null;
  readonly pendingId: string | null;
  readonly timeoutMs: number | null;
  readonly code: number;
  readonly ref: string | null;
  readonly memo: string | null;
}

/** A transfer that failed on its own, kept so that its id keeps failing. Fields as given. */
export interface FailureRow extends GivenTransferFields {
  readonly error: TransferErrorCode;
  readonly createdAtMs: number;
}

/** A channel. Byte fields are raw; the id and payees are lowercase hex (they name accounts). */
export interface ChannelRow {
  readonly id: string;
  readonly clientKey: Uint8Array;
  readonly assetCode: string;
  readonly assetScale: number;
  readonly feePpm: number;
  /** The deposit of the open, to recognise a resent open after top-ups. */
  readonly initialDeposit: bigint;
  readonly deposit: bigint;
  readonly expiresAtMs: number;
  readonly openedAtMs: number;
  readonly claimedSeq: number;
  readonly claimedCumulative: bigint;
  readonly claimedLogHead: Uint8Array;
  /** Entries of the log up to the claimed state. */
  readonly claimedEntryCount: number;
  readonly closeKind: CloseKind | null;
  readonly closeStartedAtMs: number | null;
  readonly challengeEndsAtMs: number | null;
  readonly closeSeq: number | null;
  readonly closeCumulative: bigint | null;
  readonly closeLogHead: Uint8Array | null;
  readonly closeEntryCount: number | null;
  /** When `finalizeDue` settles the channel: challenge end, or expiry plus the grace. */
  readonly dueAtMs: number;
  readonly finalizedAtMs: number | null;
  readonly version: number;
}

/** A client-signed state the ledger was given (a claim, or a close). */
export interface StateRow {
  readonly channelId: string;
  readonly seq: number;
  readonly cumulative: bigint;
  readonly logHead: Uint8Array;
  readonly signature: Uint8Array;
  /** Entries of the log up to this state. */
  readonly entryCount: number;
  readonly role: 'claim' | 'close';
}

/** One payment entry of a channel's log, at its 1-based position. */
export interface EntryRow {
  readonly channelId: string;
  readonly position: number;
  readonly payee: string;
  readonly invoiceId: Uint8Array;
  readonly amount: bigint;
}

/** A payee's gross claimed so far on one channel (fees are computed on it). */
export interface PayeeTotalRow {
  readonly channelId: string;
  readonly payee: string;
  readonly gross: bigint;
}

/**
 * One payee account's sums for one UTC day (day = floor(ms / 86,400,000)): what payers'
 * settled states paid it (gross), the hub's fee out of that, the net credited, and what
 * was paid out. Kept in the transactions that move the money, for statements.
 */
export interface PayeeDayRow {
  readonly accountId: string;
  readonly day: number;
  readonly gross: bigint;
  readonly fee: bigint;
  readonly net: bigint;
  readonly paidOut: bigint;
}

/**
 * The public view of an account row.
 */
export function accountOf(row: AccountRow): Account {
  const balance = row.creditsPosted - row.debitsPosted;
  return {
    id: row.id,
    asset: { code: row.assetCode, scale: row.assetScale },
    kind: row.kind,
    allowNegative: row.allowNegative,
    debitsPending: row.debitsPending,
    debitsPosted: row.debitsPosted,
    creditsPending: row.creditsPending,
    creditsPosted: row.creditsPosted,
    balance,
    available: balance - row.debitsPending,
    createdAtMs: row.createdAtMs,
  };
}

/**
 * The public view of a transfer row (absent fields left out).
 */
export function transferOf(row: TransferRow): Transfer {
  return {
    serial: row.serial,
    id: row.id,
    kind: row.kind,
    debitAccountId: row.debitAccountId,
    creditAccountId: row.creditAccountId,
    amount: row.amount,
    ...(row.pendingId === null ? {} : { pendingId: row.pendingId }),
    ...(row.timeoutMs === null ? {} : { timeoutMs: row.timeoutMs }),
    ...(row.expiresAtMs === null ? {} : { expiresAtMs: row.expiresAtMs }),
    ...(row.pendingStatus === null ? {} : { pendingStatus: row.pendingStatus }),
    code: row.code,
    ...(row.ref === null ? {} : { ref: row.ref }),
    ...(row.memo === null ? {} : { memo: row.memo }),
    createdAtMs: row.createdAtMs,
  };
}
