/**
 * Finalizing expired channels now, at their claimed state, instead of when their grace
 * ends (`finalizeDue`). The grace (`expiresAtMs + challengeWindowMs`) exists so that a hub
 * that was down at expiry can still claim its newest state; a hub that has claimed it may
 * give the rest back to the payer at once. Only the claimed state is settled (signed by the
 * payer), so the payer can only gain; a channel with a close recorded waits for its window.
 */

import type { ChannelId } from '@trickle/protocol';
import { toHex } from '@trickle/protocol';
import type { ChannelOutcome } from '../channelLedger.js';
import { LedgerError } from '../ledgerError.js';
import { ask, type Txn } from '../store/txn.js';
import { type FinalizeItem, finalizeTxn } from './finalize.js';
import { claimedPoint } from './proveState.js';
import { storedResultTxn } from './settlementResult.js';

/** The script of a batch of expiry finalizations, results by index. */
export function* finalizeExpiredTxn(channelIds: readonly ChannelId[], nowMs: number): Txn<ChannelOutcome[]> {
  const ids = channelIds.map((id) => toHex(id));
  const rows = yield* ask({ kind: 'channels', ids: [...new Set(ids)].sort(), lock: true });
  const outcomes: (ChannelOutcome | undefined)[] = new Array(ids.length);
  const items: { index: number; item: FinalizeItem }[] = [];
  for (let index = 0; index < ids.length; index++) {
    const id = ids[index] as string;
    const row = rows.get(id);
    if (row === undefined) {
      outcomes[index] = { ok: false, error: new LedgerError('UNKNOWN_CHANNEL', `no channel ${id}`) };
    } else if (row.finalizedAtMs !== null) {
      outcomes[index] = { ok: true, result: yield* storedResultTxn(row, 'final') };
    } else if (row.closeKind !== null) {
      const why = `channel ${id}: a close is recorded; it settles when its window ends`;
      outcomes[index] = { ok: false, error: new LedgerError('NOT_DUE', why) };
    } else if (nowMs < row.expiresAtMs) {
      outcomes[index] = { ok: false, error: new LedgerError('NOT_DUE', `channel ${id} has not expired`) };
    } else {
      items.push({ index, item: { row, target: claimedPoint(row), entries: [], closeKind: 'expiry' } });
    }
  }
  const reports = yield* finalizeTxn(
    items.map((i) => i.item),
    nowMs,
  );
  items.forEach(({ index }, i) => {
    const report = reports[i];
    outcomes[index] =
      report === undefined || !report.ok
        ? { ok: false, error: (report as { error: LedgerError }).error }
        : { ok: true, result: report.result };
  });
  return outcomes as ChannelOutcome[];
}
