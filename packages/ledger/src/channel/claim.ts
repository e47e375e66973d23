/**
 * Claim: while a channel is open, settle what was paid since the last claim (escrow to
 * payees and fee) and advance the claimed state. Idempotent by (channel, seq): a state at
 * or below the claimed seq moves nothing and returns what the claim at that seq posted;
 * another state at a seq whose signed state the ledger holds is `STALE_STATE`.
 */
import { toHex } from '@trickle/protocol';
import type { SettlementResult, SignedState } from '../channelLedger.js';
import { LedgerError } from '../ledgerError.js';
import type { ChannelRow } from '../store/rows.js';
import { ask, type Txn } from '../store/txn.js';
import { lockChannelTxn } from './lockChannel.js';
import { claimedPoint, proveState, samePoint, submittedPoint } from './proveState.js';
import { settleTxn } from './settle.js';
import { resultOf, storedResultTxn } from './settlementResult.js';

/** The script of a claim (the voucher's signature was checked before). */
export function* claimTxn(state: SignedState, nowMs: number): Txn<SettlementResult> {
  const row = yield* lockChannelTxn(toHex(state.channelId));
  const submitted = submittedPoint(state, row);
  const { seq } = submitted;
  if (seq <= row.claimedSeq) {
    yield* sameAsHeldTxn(row, submitted);
    return yield* storedResultTxn(row, `claim:${seq}`);
  }
  if (row.finalizedAtMs !== null || row.closeKind !== null || nowMs >= row.dueAtMs) {
    throw new LedgerError(
      'CHANNEL_NOT_OPEN',
      `channel ${row.id} is closing or closed: submit the state with startClose`,
    );
  }
  const proven = proveState(row, state);
  const settlement = `claim:${seq}` as const;
  const item = { row, settlement, entries: proven.entries, final: false, cumulative: proven.point.cumulative };
  const [outcome] = yield* settleTxn([item], nowMs);
  if (outcome === undefined || !outcome.ok) throw outcome?.error ?? new Error('claim: no outcome');
  const { point, voucher } = proven;
  const next: ChannelRow = {
    ...row,
    claimedSeq: point.seq,
    claimedCumulative: point.cumulative,
    claimedLogHead: point.logHead,
    claimedEntryCount: point.entryCount,
    version: row.version + 1,
  };
  const evidence = {
    channelId: row.id,
    ...point,
    signature: new Uint8Array(voucher.signature),
    role: 'claim' as const,
  };
  yield* ask({
    kind: 'write',
    writes: {
      channelsUpdate: [{ row: next, expectedVersion: row.version }],
      statesInsert: [evidence],
      entriesInsert: proven.entries,
    },
  });
  return resultOf(next, outcome.lines, 0n);
}

/**
 * A claim at or below the claimed seq is a resend only if it names the state the ledger
 * holds at that seq (the claimed one, or a stored signed state); the same seq with another
 * cumulative or log head is a different state, refused rather than answered as if taken.
 */
function* sameAsHeldTxn(row: ChannelRow, point: ReturnType<typeof submittedPoint>): Txn<void> {
  let held: Parameters<typeof samePoint>[1] | undefined;
  if (point.seq === row.claimedSeq) held = claimedPoint(row);
  else if (point.seq > 0) held = (yield* ask({ kind: 'states', channelId: row.id })).find((s) => s.seq === point.seq);
  if (held !== undefined && !samePoint(point, held)) {
    throw new LedgerError('STALE_STATE', `seq ${point.seq} names another state than the one the ledger holds`);
  }
}
