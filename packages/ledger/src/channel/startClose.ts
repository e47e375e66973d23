/**
 * Unilateral close by the client or the hub. The first submission records its state and
 * opens the challenge window; inside the window a newer state replaces the recorded one
 * (one that extends it; a fork only when the hub submits it: newerState.ts, ADR 0107; the
 * window does not restart), a stale one is `STALE_STATE`, and after it nothing changes any
 * more: `finalizeDue` settles the recorded state. An expired channel can still be closed
 * until its grace ends, with the window ending at `expiresAtMs + challengeWindowMs`.
 */
import { toHex } from '@trickle/protocol';
import type { SignedState } from '../channelLedger.js';
import { LedgerError } from '../ledgerError.js';
import type { ChannelRow } from '../store/rows.js';
import { ask, type Txn, type WriteSet } from '../store/txn.js';
import type { ChannelContext } from './context.js';
import { lockChannelTxn } from './lockChannel.js';
import { replacingProofTxn } from './newerState.js';
import {
  type ChannelPoint,
  claimedPoint,
  closePoint,
  type ProvenState,
  proveState,
  samePoint,
  submittedPoint,
} from './proveState.js';

const notOpen = (row: ChannelRow, why: string) => new LedgerError('CHANNEL_NOT_OPEN', `channel ${row.id}: ${why}`);
const stale = (seq: number, held: number) =>
  new LedgerError('STALE_STATE', `seq ${seq} does not beat the state the ledger holds (seq ${held})`);

/** The evidence writes of a proven close state (replacing an earlier close's). */
export function closeEvidenceWrites(row: ChannelRow, proven: ProvenState): WriteSet {
  return {
    closeEvidenceDelete: row.closeKind === null ? [] : [{ channelId: row.id, afterPosition: row.claimedEntryCount }],
    statesInsert: [
      {
        channelId: row.id,
        ...proven.point,
        signature: new Uint8Array(proven.voucher.signature),
        role: 'close',
      },
    ],
    entriesInsert: proven.entries,
  };
}

function withCloseState(row: ChannelRow, point: ChannelPoint): ChannelRow {
  return {
    ...row,
    closeSeq: point.seq,
    closeCumulative: point.cumulative,
    closeLogHead: point.logHead,
    closeEntryCount: point.entryCount,
    version: row.version + 1,
  };
}

/** The script of a unilateral close (the voucher's signature was checked before). */
export function* startCloseTxn(
  context: ChannelContext,
  state: SignedState,
  by: 'client' | 'hub',
  nowMs: number,
): Txn<ChannelRow> {
  const row = yield* lockChannelTxn(toHex(state.channelId));
  const point = submittedPoint(state, row);
  if (row.finalizedAtMs !== null) {
    if (samePoint(point, claimedPoint(row))) return row;
    throw notOpen(row, 'finalized');
  }
  const recorded = closePoint(row);
  if (recorded !== undefined) {
    if (samePoint(point, recorded)) return row;
    if (nowMs >= (row.challengeEndsAtMs as number)) throw notOpen(row, 'the challenge window is over');
    const proven = yield* replacingProofTxn(row, state, recorded, by);
    const next = withCloseState(row, proven.point);
    const writes = closeEvidenceWrites(row, proven);
    yield* ask({ kind: 'write', writes: { channelsUpdate: [{ row: next, expectedVersion: row.version }], ...writes } });
    return next;
  }
  if (nowMs >= row.dueAtMs) throw notOpen(row, 'expired; it finalizes at the claimed state');
  if (point.seq < row.claimedSeq) throw stale(point.seq, row.claimedSeq);
  let target = claimedPoint(row);
  let writes: WriteSet = {};
  if (point.seq === row.claimedSeq) {
    if (!samePoint(point, target)) throw stale(point.seq, row.claimedSeq);
  } else {
    const proven = proveState(row, state);
    target = proven.point;
    writes = closeEvidenceWrites(row, proven);
  }
  const challengeEndsAtMs = Math.min(nowMs, row.expiresAtMs) + context.challengeWindowMs;
  const next: ChannelRow = {
    ...withCloseState(row, target),
    closeKind: by,
    closeStartedAtMs: nowMs,
    challengeEndsAtMs,
    dueAtMs: challengeEndsAtMs,
  };
  yield* ask({ kind: 'write', writes: { channelsUpdate: [{ row: next, expectedVersion: row.version }], ...writes } });
  return next;
}
