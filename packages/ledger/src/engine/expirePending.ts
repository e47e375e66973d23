/**
 * Expiry of pending transfers: once `expiresAtMs` has passed, what a pending transfer
 * reserved is released and it can no longer be posted. Posting an expired transfer fails
 * at once (by the clock); the sweep releases the reservation on the accounts.
 */
import { present } from '@trickle/protocol';
import { expireBatchTransfersMax } from '../limits.js';
import type { AccountRow } from '../store/rows.js';
import { ask, type Txn } from '../store/txn.js';

/** Expires up to one batch of due pending transfers; returns how many it expired. */
export function* expirePendingTxn(nowMs: number): Txn<number> {
  const due = yield* ask({ kind: 'expiredPending', nowMs, limit: expireBatchTransfersMax });
  if (due.length === 0) return 0;
  const ids = new Set<string>();
  for (const row of due) {
    ids.add(row.debitAccountId);
    ids.add(row.creditAccountId);
  }
  const stored = yield* ask({ kind: 'accounts', ids: [...ids].sort(), lock: true });
  const next = new Map<string, AccountRow>();
  const current = (id: string) => next.get(id) ?? present(stored.get(id), 'an account the transaction read');
  for (const row of due) {
    const debit = current(row.debitAccountId);
    next.set(debit.id, { ...debit, debitsPending: debit.debitsPending - row.amount });
    const credit = current(row.creditAccountId);
    next.set(credit.id, { ...credit, creditsPending: credit.creditsPending - row.amount });
  }
  const accountsUpdate = [...next.values()].map((row) => {
    const version = present(stored.get(row.id), 'an account the transaction read').version;
    return { row: { ...row, version: version + 1 }, expectedVersion: version };
  });
  const pendingUpdate = due.map((row) => ({ id: row.id, status: 'expired' as const }));
  yield* ask({ kind: 'write', writes: { accountsUpdate, pendingUpdate } });
  return due.length;
}
