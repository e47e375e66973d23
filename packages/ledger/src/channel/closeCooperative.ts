/**
 * Cooperative close: the client agreed to a final state, so there is no window: settle
 * it and refund the rest at once, exactly once. During a unilateral close it may only
 * raise the recorded state; after the window it may only confirm it.
 */
import { toHex } from '@trickle/protocol';
import type { SettlementResult, SignedState } from '../channelLedger.js';
import { LedgerError } from '../ledgerError.js';
import { ask, type Txn } from '../store/txn.js';
import { type FinalizeItem, finalizeTxn } from './finalize.js';
import { lockChannelTxn } from './lockChannel.js';
import { replacingProofTxn } from './newerState.js';
import { claimedPoint, closePoint, proveState, samePoint, submittedPoint } from './proveState.js';
import { storedResultTxn } from './settlementResult.js';

/** The script of a cooperative close (the voucher's signature was checked before). */
export function* closeCooperativeTxn(state: SignedState, nowMs: number): Txn<SettlementResult> {
  const row = yield* lockChannelTxn(toHex(state.channelId));
  const point = submittedPoint(state, row);
  const claimed = claimedPoint(row);
  if (row.finalizedAtMs !== null) {
    if (samePoint(point, claimed)) return yield* storedResultTxn(row, 'final');
    throw new LedgerError('CHANNEL_NOT_OPEN', `channel ${row.id} is finalized at another state`);
  }
  const recorded = closePoint(row);
  const held = recorded ?? claimed;
  let item: FinalizeItem;
  if (samePoint(point, held)) {
    const entries =
      row.claimedEntryCount === held.entryCount ? [] : yield* recordedEntriesTxn(row.id, row.claimedEntryCount);
    item = { row, target: held, entries, closeKind: 'cooperative' };
  } else if (nowMs >= row.dueAtMs) {
    throw new LedgerError('CHANNEL_NOT_OPEN', `channel ${row.id}: the challenge window is over`);
  } else if (recorded === undefined && point.seq <= held.seq) {
    throw new LedgerError('STALE_STATE', `seq ${point.seq} does not beat the state the ledger holds (seq ${held.seq})`);
  } else {
    // The client agreed to this state: during a unilateral close it may raise the recorded one (ADR 0107).
    const proven =
      recorded === undefined ? proveState(row, state) : yield* replacingProofTxn(row, state, recorded, 'hub');
    const evidence = {
      state: {
        channelId: row.id,
        ...proven.point,
        signature: new Uint8Array(proven.voucher.signature),
        role: 'close' as const,
      },
      entries: proven.entries,
    };
    item = { row, target: proven.point, entries: proven.entries, closeKind: 'cooperative', evidence };
  }
  const [report] = yield* finalizeTxn([item], nowMs);
  if (report === undefined || !report.ok) throw (report as { error: LedgerError } | undefined)?.error;
  return report.result;
}

function* recordedEntriesTxn(channelId: string, afterPosition: number) {
  const entries = yield* ask({ kind: 'entries', channels: [{ channelId, afterPosition }] });
  return entries.get(channelId) ?? [];
}
