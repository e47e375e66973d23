/**
 * Ledger logic is written once, as generator functions that yield store requests and
 * receive replies (a sans-I/O "transaction script"). Each adapter drives the generator
 * inside its own transaction: synchronously inside better-sqlite3's `immediate()`
 * transaction and the memory twin, asynchronously inside a SERIALIZABLE PostgreSQL
 * transaction that is re-run from the start on a serialization failure. So the same code
 * decides every outcome on every store, and composing two scripts (`yield*`) composes
 * them into one atomic transaction.
 */

import type { PendingStatus } from '../transfer.js';
import type {
  AccountRow,
  ChannelRow,
  EntryRow,
  FailureRow,
  PayeeDayRow,
  PayeeTotalRow,
  StateRow,
  TransferRow,
} from './rows.js';

/**
 * Everything one write request changes; applied in the order of the fields.
 *
 * @example
 * ```ts
 * import type { WriteSet } from '@trickle/ledger';
 * const nothing: WriteSet = {};
 * ```
 */
export interface WriteSet {
  readonly accountsInsert?: readonly AccountRow[];
  /** Each row replaces the stored one whose version is `expectedVersion` (compare-and-set). */
  readonly accountsUpdate?: readonly { readonly row: AccountRow; readonly expectedVersion: number }[];
  readonly transfersInsert?: readonly TransferRow[];
  readonly failuresInsert?: readonly FailureRow[];
  /** Moves pending transfers out of `pending` (compare-and-set on the status). */
  readonly pendingUpdate?: readonly { readonly id: string; readonly status: Exclude<PendingStatus, 'pending'> }[];
  readonly channelsInsert?: readonly ChannelRow[];
  readonly channelsUpdate?: readonly { readonly row: ChannelRow; readonly expectedVersion: number }[];
  /** Deletes a channel's entries after `afterPosition` and its `close` states (a replaced close). */
  readonly closeEvidenceDelete?: readonly { readonly channelId: string; readonly afterPosition: number }[];
  readonly statesInsert?: readonly StateRow[];
  readonly entriesInsert?: readonly EntryRow[];
  readonly payeeTotalsUpsert?: readonly PayeeTotalRow[];
  /** Adds each row's sums to the stored row of its (account, day), creating it at zero first. */
  readonly payeeDaysAdd?: readonly PayeeDayRow[];
}

/**
 * Where a scan of due channels resumes: after this (dueAtMs, id).
 *
 * @example
 * ```ts
 * import type { DueCursor } from '@trickle/ledger';
 * const after: DueCursor = { dueAtMs: 1_700_000_000_000, id: '00'.repeat(32) };
 * ```
 */
export interface DueCursor {
  readonly dueAtMs: number;
  readonly id: string;
}

/**
 * Where a scan of closing channels resumes: after this (challenge end, id).
 *
 * @example
 * ```ts
 * import type { ClosingCursor } from '@trickle/ledger';
 * const after: ClosingCursor = { challengeEndsAtMs: 1_700_000_000_000, id: '00'.repeat(32) };
 * ```
 */
export interface ClosingCursor {
  readonly challengeEndsAtMs: number;
  readonly id: string;
}

/**
 * A request a transaction script makes of its store.
 *
 * @example
 * ```ts
 * import type { StoreRequest } from '@trickle/ledger';
 * const request: StoreRequest = { kind: 'accounts', ids: ['alice'], lock: true };
 * ```
 */
export type StoreRequest =
  /** Accounts by id; `lock` takes a row lock until commit (PostgreSQL `FOR UPDATE`). */
  | { readonly kind: 'accounts'; readonly ids: readonly string[]; readonly lock: boolean }
  | { readonly kind: 'transfers'; readonly ids: readonly string[] }
  | { readonly kind: 'failures'; readonly ids: readonly string[] }
  | { readonly kind: 'channels'; readonly ids: readonly string[]; readonly lock: boolean }
  /**
   * Unfinalized channels due at `nowMs`, by (dueAtMs, id) after the cursor `after`,
   * locked; rows another transaction holds are skipped (several hubs may finalize at once).
   */
  | {
      readonly kind: 'dueChannels';
      readonly nowMs: number;
      readonly limit: number;
      readonly after: DueCursor | undefined;
    }
  /**
   * Unfinalized channels with a close recorded whose challenge window is still open at
   * `nowMs`, by (challengeEndsAtMs, id) after `after`; not locked (a watcher reads them).
   */
  | {
      readonly kind: 'closingChannels';
      readonly nowMs: number;
      readonly limit: number;
      readonly after: ClosingCursor | undefined;
    }
  /** Each channel's entries after its `afterPosition` (up to `upToPosition`, when given), in log order. */
  | {
      readonly kind: 'entries';
      readonly channels: readonly {
        readonly channelId: string;
        readonly afterPosition: number;
        readonly upToPosition?: number;
      }[];
    }
  | { readonly kind: 'states'; readonly channelId: string }
  /** The signed state a channel's ledger holds at one seq, if any. */
  | { readonly kind: 'stateAt'; readonly channelId: string; readonly seq: number }
  /** Transfers whose id starts with `prefix`, in insertion order (an index range, not a scan). */
  | { readonly kind: 'transfersByPrefix'; readonly prefix: string }
  /** A payee account's daily sums for days in [fromDay, toDay), by day. */
  | { readonly kind: 'payeeDays'; readonly accountId: string; readonly fromDay: number; readonly toDay: number }
  /** Each channel's claimed gross per payee (hex). */
  | { readonly kind: 'payeeTotals'; readonly channelIds: readonly string[] }
  | { readonly kind: 'transfersByRef'; readonly ref: string }
  | {
      readonly kind: 'accountTransfers';
      readonly accountId: string;
      readonly afterSerial: bigint;
      readonly limit: number;
    }
  /** Pending transfers still `pending` whose expiry is at or before `nowMs`, locked. */
  | { readonly kind: 'expiredPending'; readonly nowMs: number; readonly limit: number }
  | { readonly kind: 'scanAccounts'; readonly afterId: string; readonly limit: number }
  | { readonly kind: 'scanTransfers'; readonly afterSerial: bigint; readonly limit: number }
  | { readonly kind: 'scanChannels'; readonly afterId: string; readonly limit: number }
  | { readonly kind: 'write'; readonly writes: WriteSet };

/** The reply to each kind of request. */
export interface StoreReplies {
  accounts: ReadonlyMap<string, AccountRow>;
  transfers: ReadonlyMap<string, TransferRow>;
  failures: ReadonlyMap<string, FailureRow>;
  channels: ReadonlyMap<string, ChannelRow>;
  dueChannels: readonly ChannelRow[];
  closingChannels: readonly ChannelRow[];
  entries: ReadonlyMap<string, readonly EntryRow[]>;
  states: readonly StateRow[];
  stateAt: StateRow | undefined;
  transfersByPrefix: readonly TransferRow[];
  payeeDays: readonly PayeeDayRow[];
  payeeTotals: ReadonlyMap<string, ReadonlyMap<string, bigint>>;
  transfersByRef: readonly TransferRow[];
  accountTransfers: readonly TransferRow[];
  expiredPending: readonly TransferRow[];
  scanAccounts: readonly AccountRow[];
  scanTransfers: readonly TransferRow[];
  scanChannels: readonly ChannelRow[];
  write: undefined;
}

/** The kind of a request. */
export type StoreRequestKind = StoreRequest['kind'];

/**
 * A transaction script returning `T`.
 *
 * @example
 * ```ts
 * import type { Txn } from '@trickle/ledger';
 * function* nothing(): Txn<number> {
 *   return 0;
 * }
 * ```
 */
export type Txn<T> = Generator<StoreRequest, T, unknown>;

/**
 * Asks the store one thing and returns its typed reply: `const rows = yield* ask({...})`.
 */
export function* ask<R extends StoreRequest>(request: R): Generator<StoreRequest, StoreReplies[R['kind']], unknown> {
  return (yield request) as StoreReplies[R['kind']];
}

/** True when a write set changes nothing. */
export function isEmptyWriteSet(writes: WriteSet): boolean {
  return Object.values(writes).every((list) => list === undefined || (list as readonly unknown[]).length === 0);
}

/**
 * A notice of each step a driver takes, for fault injection: the crash tests kill the
 * process at a chosen step. `label` is the request kind, `commit` (before COMMIT) or
 * `committed` (after it returned).
 *
 * @example
 * ```ts
 * import type { StepEvent } from '@trickle/ledger';
 * const onStep = (e: StepEvent) => {
 *   if (e.operation === 'payout' && e.label === 'commit') console.log('about to commit');
 * };
 * ```
 */
export interface StepEvent {
  readonly operation: string;
  readonly step: number;
  readonly label: string;
}

/**
 * A hook called at every {@link StepEvent}; must not throw in production.
 *
 * @example
 * ```ts
 * import type { StepHook } from '@trickle/ledger';
 * let steps = 0;
 * const hook: StepHook = () => {
 *   steps++;
 * };
 * ```
 */
export type StepHook = (event: StepEvent) => void;

/**
 * What a caller knows before a write runs.
 *
 * @example
 * ```ts
 * import type { LedgerDriver } from '@trickle/ledger';
 * declare const driver: LedgerDriver, txn: Parameters<LedgerDriver['write']>[1];
 * await driver.write('payout', txn, { accounts: ['external:USD:6'] });
 * ```
 */
export interface WriteHints {
  /** Accounts the script will update. */
  readonly accounts?: readonly string[];
}

/**
 * Runs scripts in transactions. Each adapter implements it; the ledger logic above it is
 * shared.
 *
 * @example
 * ```ts
 * import { createChannelLedger, type LedgerDriver } from '@trickle/ledger';
 * declare const driver: LedgerDriver, domain: Parameters<typeof createChannelLedger>[1]['domain'];
 * const ledger = createChannelLedger(driver, { domain, feePpm: 0 });
 * ```
 */
export interface LedgerDriver {
  /** A human name for errors and reports, e.g. `sqlite`. */
  readonly name: string;
  /**
   * Runs `txn` as one serializable read-write transaction (re-running it when the store
   * asks to). `hints.accounts` names accounts the script will update, when the caller
   * knows them up front: a store with concurrent writers may queue on them before its
   * snapshot is taken, so hot rows wait in line instead of failing and retrying.
   */
  write<T>(operation: string, txn: () => Txn<T>, hints?: WriteHints): Promise<T>;
  /** Runs `txn` on one consistent read-only snapshot. */
  read<T>(operation: string, txn: () => Txn<T>): Promise<T>;
  /** Transactions attempted and conflicts retried since open (drivers that retry). */
  stats?(): { readonly transactions: number; readonly conflicts: number };
  close(): Promise<void>;
}

/**
 * Drives a script against a synchronous store (memory, SQLite), calling `hook` before
 * every request.
 */
export function runSync<T>(
  operation: string,
  txn: Txn<T>,
  handle: (request: StoreRequest) => unknown,
  hook: StepHook | undefined,
  counter: { step: number },
): T {
  let reply: unknown;
  for (;;) {
    const next = txn.next(reply);
    if (next.done === true) return next.value;
    hook?.({ operation, step: ++counter.step, label: next.value.kind });
    reply = handle(next.value);
  }
}
