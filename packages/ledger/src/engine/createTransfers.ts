/**
 * The script around {@link applyTransfers}: read what the batch touches (accounts locked,
 * in id order so that concurrent batches lock in the same order), decide, write.
 */
import { transfersPerBatchMax } from '../limits.js';
import { ask, isEmptyWriteSet, type Txn } from '../store/txn.js';
import type { TransferInput } from '../transfer.js';
import { assertBatch } from '../validate.js';
import { type AppliedTransfers, applyTransfers } from './applyTransfers.js';
import { type TransferSpec, transferSpecOf } from './transferInput.js';

/** Checks a batch of transfer inputs (throws on misuse). */
export function transferSpecsOf(inputs: readonly TransferInput[]): TransferSpec[] {
  return assertBatch(inputs, transfersPerBatchMax, 'transfers').map((input, index) => transferSpecOf(input, index));
}

/** Reads, decides and writes one batch; `record` keeps failures under their ids. */
export function* createTransfersTxn(
  specs: readonly TransferSpec[],
  nowMs: number,
  record: boolean,
): Txn<AppliedTransfers> {
  const ownIds = [...new Set(specs.map((spec) => spec.id))];
  const pendingIds = specs.flatMap((spec) => (spec.pendingId === null ? [] : [spec.pendingId]));
  const transfers = yield* ask({ kind: 'transfers', ids: [...new Set([...ownIds, ...pendingIds])] });
  const failures = yield* ask({ kind: 'failures', ids: ownIds });
  const accountIds = new Set<string>();
  for (const spec of specs) {
    if (spec.debitAccountId !== null) accountIds.add(spec.debitAccountId);
    if (spec.creditAccountId !== null) accountIds.add(spec.creditAccountId);
  }
  for (const id of pendingIds) {
    const pending = transfers.get(id);
    if (pending !== undefined) {
      accountIds.add(pending.debitAccountId);
      accountIds.add(pending.creditAccountId);
    }
  }
  const accounts = yield* ask({ kind: 'accounts', ids: [...accountIds].sort(), lock: true });
  const applied = applyTransfers(specs, { accounts, transfers, failures }, nowMs, record);
  if (!isEmptyWriteSet(applied.writes)) yield* ask({ kind: 'write', writes: applied.writes });
  return applied;
}
