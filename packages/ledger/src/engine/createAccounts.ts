/**
 * Creating accounts: idempotent by id. The same id with the same kind, asset and flag is
 * `exists`; with anything else, `EXISTS_WITH_DIFFERENT_FIELDS`.
 */
import { type AccountInput, type AccountResult, accountKinds } from '../account.js';
import { LedgerError } from '../ledgerError.js';
import { accountIdCharsMax, accountsPerBatchMax } from '../limits.js';
import type { AccountRow } from '../store/rows.js';
import { ask, type Txn } from '../store/txn.js';
import { assertBatch, assertId, checkedAsset, optionalFlag } from '../validate.js';

/** Checks an account input and returns the row it creates. */
export function accountRowOf(input: AccountInput, nowMs: number): AccountRow {
  if (typeof input !== 'object' || input === null) throw new TypeError('account: expected an object');
  const id = assertId(input.id, accountIdCharsMax, 'account.id');
  const asset = checkedAsset(input.asset, 'account.asset');
  if (!(accountKinds as readonly string[]).includes(input.kind)) {
    throw new RangeError(`account.kind: expected one of ${accountKinds.join(', ')}`);
  }
  return {
    id,
    kind: input.kind,
    assetCode: asset.code,
    assetScale: asset.scale,
    allowNegative: optionalFlag(input.allowNegative, 'account.allowNegative'),
    debitsPending: 0n,
    debitsPosted: 0n,
    creditsPending: 0n,
    creditsPosted: 0n,
    version: 0,
    createdAtMs: nowMs,
  };
}

/** True when two rows describe the same account (sums and times aside). */
export function sameAccountFields(a: AccountRow, b: AccountRow): boolean {
  return (
    a.kind === b.kind &&
    a.assetCode === b.assetCode &&
    a.assetScale === b.assetScale &&
    a.allowNegative === b.allowNegative
  );
}

/** Validates a batch of account inputs (throws on misuse) and returns their rows. */
export function accountRowsOf(inputs: readonly AccountInput[], nowMs: number): AccountRow[] {
  return assertBatch(inputs, accountsPerBatchMax, 'accounts').map((input) => accountRowOf(input, nowMs));
}

/** The script: creates what is missing, reports each account by index. */
export function* createAccountsTxn(rows: readonly AccountRow[]): Txn<AccountResult[]> {
  const existing = yield* ask({ kind: 'accounts', ids: [...new Set(rows.map((r) => r.id))], lock: false });
  const created = new Map<string, AccountRow>();
  const results = rows.map((row, index): AccountResult => {
    const prior = existing.get(row.id) ?? created.get(row.id);
    if (prior === undefined) {
      created.set(row.id, row);
      return { index, id: row.id, status: 'created' };
    }
    if (sameAccountFields(prior, row)) return { index, id: row.id, status: 'exists' };
    return { index, id: row.id, status: 'failed', code: 'EXISTS_WITH_DIFFERENT_FIELDS' };
  });
  if (created.size > 0) yield* ask({ kind: 'write', writes: { accountsInsert: [...created.values()] } });
  return results;
}

/**
 * Makes sure accounts exist, for the channel layer: creates the missing ones; throws
 * `EXISTS_WITH_DIFFERENT_FIELDS` when an id the layer derives was taken by another kind.
 */
export function* ensureAccountsTxn(rows: readonly AccountRow[]): Txn<void> {
  const results = yield* createAccountsTxn(rows);
  for (const result of results) {
    if (result.status === 'failed') {
      throw new LedgerError('EXISTS_WITH_DIFFERENT_FIELDS', `account ${result.id} exists with another kind or asset`);
    }
  }
}
