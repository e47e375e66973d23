/**
 * Decoding SQL rows (snake_case columns) into store rows, for both SQL adapters. Integers
 * arrive as `bigint` (better-sqlite3 with safe integers), as decimal strings (pg int8,
 * which this package never lets pg turn into a JavaScript number) or as small `number`s
 * (pg int4); every one is range-checked on the way in.
 */
import { accountKinds } from '../account.js';
import type { CloseKind } from '../channelLedger.js';
import { type PendingStatus, transferErrorCodes, transferKinds } from '../transfer.js';
import type { AccountRow, ChannelRow, EntryRow, FailureRow, PayeeDayRow, StateRow, TransferRow } from './rows.js';

/** A row as a driver returns it. */
export type SqlRow = Record<string, unknown>;

/** An integer column as a bigint. */
export function big(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string' && /^-?[0-9]+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  throw new TypeError(`expected an integer column, got ${typeof value}`);
}

/** An integer column that must fit a JavaScript number exactly (times, seqs, counts). */
export function num(value: unknown): number {
  const n = big(value);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`integer column ${n} is not a safe JavaScript number`);
  }
  return Number(n);
}

const orNull =
  <T>(f: (v: unknown) => T) =>
  (value: unknown): T | null =>
    value === null || value === undefined ? null : f(value);

/** A byte column, copied into a plain Uint8Array (never a Buffer). */
export function bytes(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError('expected a byte column');
  return new Uint8Array(value);
}

function str(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError('expected a text column');
  return value;
}

const bigOrNull = orNull(big);
const numOrNull = orNull(num);
const strOrNull = orNull(str);

const pendingStatuses: readonly PendingStatus[] = ['pending', 'posted', 'voided', 'expired'];
const closeKinds: readonly CloseKind[] = ['cooperative', 'client', 'hub', 'expiry'];

/** A text column that holds one of `allowed` (the tables' CHECK constraints say the same). */
function oneOf<T extends string>(value: unknown, allowed: readonly T[], column: string): T {
  const text = str(value);
  const member = allowed.find((candidate) => candidate === text);
  if (member === undefined) throw new TypeError(`${column}: unexpected value ${JSON.stringify(text)}`);
  return member;
}

const pendingStatusOrNull = orNull((v) => oneOf(v, pendingStatuses, 'transfers.pending_status'));
const closeKindOrNull = orNull((v) => oneOf(v, closeKinds, 'channels.close_kind'));
const bytesOrNull = orNull(bytes);

/** An accounts row. */
export function accountFromSql(r: SqlRow): AccountRow {
  return {
    id: str(r.id),
    kind: oneOf(r.kind, accountKinds, 'accounts.kind'),
    assetCode: str(r.asset_code),
    assetScale: num(r.asset_scale),
    allowNegative: r.allow_negative === true || (r.allow_negative !== false && num(r.allow_negative) === 1),
    debitsPending: big(r.debits_pending),
    debitsPosted: big(r.debits_posted),
    creditsPending: big(r.credits_pending),
    creditsPosted: big(r.credits_posted),
    version: num(r.version),
    createdAtMs: num(r.created_at_ms),
  };
}

/** A transfers row. */
export function transferFromSql(r: SqlRow): TransferRow {
  return {
    serial: big(r.serial),
    id: str(r.id),
    kind: oneOf(r.kind, transferKinds, 'transfers.kind'),
    debitAccountId: str(r.debit_account_id),
    creditAccountId: str(r.credit_account_id),
    amount: big(r.amount),
    pendingId: strOrNull(r.pending_id),
    timeoutMs: numOrNull(r.timeout_ms),
    expiresAtMs: numOrNull(r.expires_at_ms),
    pendingStatus: pendingStatusOrNull(r.pending_status),
    code: num(r.code),
    ref: strOrNull(r.ref),
    memo: strOrNull(r.memo),
    createdAtMs: num(r.created_at_ms),
  };
}

/** A transfer_failures row. */
export function failureFromSql(r: SqlRow): FailureRow {
  return {
    id: str(r.id),
    kind: oneOf(r.kind, transferKinds, 'transfers.kind'),
    debitAccountId: strOrNull(r.debit_account_id),
    creditAccountId: strOrNull(r.credit_account_id),
    amount: bigOrNull(r.amount),
    pendingId: strOrNull(r.pending_id),
    timeoutMs: numOrNull(r.timeout_ms),
    code: num(r.code),
    ref: strOrNull(r.ref),
    memo: strOrNull(r.memo),
    error: oneOf(r.error, transferErrorCodes, 'transfer_failures.error'),
    createdAtMs: num(r.created_at_ms),
  };
}

/** A channels row. */
export function channelFromSql(r: SqlRow): ChannelRow {
  return {
    id: str(r.id),
    clientKey: bytes(r.client_key),
    assetCode: str(r.asset_code),
    assetScale: num(r.asset_scale),
    feePpm: num(r.fee_ppm),
    initialDeposit: big(r.initial_deposit),
    deposit: big(r.deposit),
    expiresAtMs: num(r.expires_at_ms),
    openedAtMs: num(r.opened_at_ms),
    claimedSeq: num(r.claimed_seq),
    claimedCumulative: big(r.claimed_cumulative),
    claimedLogHead: bytes(r.claimed_log_head),
    claimedEntryCount: num(r.claimed_entry_count),
    closeKind: closeKindOrNull(r.close_kind),
    closeStartedAtMs: numOrNull(r.close_started_at_ms),
    challengeEndsAtMs: numOrNull(r.challenge_ends_at_ms),
    closeSeq: numOrNull(r.close_seq),
    closeCumulative: bigOrNull(r.close_cumulative),
    closeLogHead: bytesOrNull(r.close_log_head),
    closeEntryCount: numOrNull(r.close_entry_count),
    dueAtMs: num(r.due_at_ms),
    finalizedAtMs: numOrNull(r.finalized_at_ms),
    version: num(r.version),
  };
}

/** A channel_states row. */
export function stateFromSql(r: SqlRow): StateRow {
  return {
    channelId: str(r.channel_id),
    seq: num(r.seq),
    cumulative: big(r.cumulative),
    logHead: bytes(r.log_head),
    signature: bytes(r.signature),
    entryCount: num(r.entry_count),
    role: str(r.role) as 'claim' | 'close',
  };
}

/** A channel_entries row. */
export function entryFromSql(r: SqlRow): EntryRow {
  return {
    channelId: str(r.channel_id),
    position: num(r.position),
    payee: str(r.payee),
    invoiceId: bytes(r.invoice_id),
    amount: big(r.amount),
  };
}

/** A payee_days row. */
export function payeeDayFromSql(r: SqlRow): PayeeDayRow {
  return {
    accountId: str(r.account_id),
    day: num(r.day),
    gross: big(r.gross),
    fee: big(r.fee),
    net: big(r.net),
    paidOut: big(r.paid_out),
  };
}

/**
 * The bounds of an id-prefix range, `[prefix, end)`: ids are ASCII and compared bytewise
 * (SQLite, PostgreSQL "C"), so every id that starts with `prefix` is in it and no other.
 */
export function prefixRange(prefix: string): { readonly from: string; readonly to: string } {
  const last = prefix.charCodeAt(prefix.length - 1);
  return { from: prefix, to: prefix.slice(0, -1) + String.fromCharCode(last + 1) };
}

/** The channel columns in order, for inserts and updates. */
export const channelColumns = [
  'id',
  'client_key',
  'asset_code',
  'asset_scale',
  'fee_ppm',
  'initial_deposit',
  'deposit',
  'expires_at_ms',
  'opened_at_ms',
  'claimed_seq',
  'claimed_cumulative',
  'claimed_log_head',
  'claimed_entry_count',
  'close_kind',
  'close_started_at_ms',
  'challenge_ends_at_ms',
  'close_seq',
  'close_cumulative',
  'close_log_head',
  'close_entry_count',
  'due_at_ms',
  'finalized_at_ms',
  'version',
] as const;

/** A channel row's values in {@link channelColumns} order (bytes as given). */
export function channelValues(row: ChannelRow): unknown[] {
  return [
    row.id,
    row.clientKey,
    row.assetCode,
    row.assetScale,
    row.feePpm,
    row.initialDeposit,
    row.deposit,
    row.expiresAtMs,
    row.openedAtMs,
    row.claimedSeq,
    row.claimedCumulative,
    row.claimedLogHead,
    row.claimedEntryCount,
    row.closeKind,
    row.closeStartedAtMs,
    row.challengeEndsAtMs,
    row.closeSeq,
    row.closeCumulative,
    row.closeLogHead,
    row.closeEntryCount,
    row.dueAtMs,
    row.finalizedAtMs,
    row.version,
  ];
}

/** An accounts row's values in column order (id, kind, asset_code, ... created_at_ms), for inserts. */
export function accountValues(a: AccountRow): unknown[] {
  return [
    a.id,
    a.kind,
    a.assetCode,
    a.assetScale,
    a.allowNegative,
    a.debitsPending,
    a.debitsPosted,
    a.creditsPending,
    a.creditsPosted,
    a.version,
    a.createdAtMs,
  ];
}

/** A transfers row's values in column order (id ... created_at_ms; `serial` is assigned by the database). */
export function transferValues(t: TransferRow): unknown[] {
  return [
    t.id,
    t.kind,
    t.debitAccountId,
    t.creditAccountId,
    t.amount,
    t.pendingId,
    t.timeoutMs,
    t.expiresAtMs,
    t.pendingStatus,
    t.code,
    t.ref,
    t.memo,
    t.createdAtMs,
  ];
}

/** A transfer_failures row's values in column order (id ... error, created_at_ms). */
export function failureValues(f: FailureRow): unknown[] {
  return [
    f.id,
    f.kind,
    f.debitAccountId,
    f.creditAccountId,
    f.amount,
    f.pendingId,
    f.timeoutMs,
    f.code,
    f.ref,
    f.memo,
    f.error,
    f.createdAtMs,
  ];
}
