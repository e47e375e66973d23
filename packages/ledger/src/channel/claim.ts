/**
 * Claims: while a channel is open, settle what was paid since the last claim (escrow to
 * payees and fee) and advance the claimed state. A claim proves only the log segment
 * since the previous claim (its entries re-hash from the claimed head), so its work is
 * bounded by that segment, never by the channel's history (ADR 0105). Many channels are
 * claimed in one transaction, all or nothing per channel, results by index.
 *
 * Idempotent by (channel, seq): a state at or below the claimed seq moves nothing and
 * returns what the claim at that seq posted; another state at a seq whose signed state
 * the ledger holds is `STALE_STATE`.
 */
import { present, toHex } from '@trickle/protocol';
import type { ChannelOutcome, SettlementResult, SignedState } from '../channelLedger.js';
import { LedgerError } from '../ledgerError.js';
import type { ChannelRow, EntryRow, StateRow } from '../store/rows.js';
import { ask, type Txn } from '../store/txn.js';
import { claimedPoint, type ProvenState, proveState, samePoint, submittedPoint } from './proveState.js';
import { type SettleItem, settleTxn } from './settle.js';
import { resultOf, storedResultTxn } from './settlementResult.js';

const failed = (error: unknown): ChannelOutcome => {
  if (error instanceof LedgerError) return { ok: false, error };
  throw error;
};

/**
 * The script of a batch of claims (the vouchers' signatures were checked before; `refused`
 * holds, by index, the states that failed that check and are reported as they are). Channel
 * rows are locked in id order, so concurrent batches cannot deadlock each other.
 */
export function* claimBatchTxn(
  states: readonly SignedState[],
  refused: readonly (LedgerError | undefined)[],
  nowMs: number,
): Txn<ChannelOutcome[]> {
  const ids = states.map((state) => toHex(state.channelId));
  const rows = yield* ask({ kind: 'channels', ids: [...new Set(ids)].sort(), lock: true });
  const outcomes: (ChannelOutcome | undefined)[] = new Array(states.length);
  const pending: { index: number; item: SettleItem; proven: ProvenState }[] = [];
  for (let index = 0; index < states.length; index++) {
    const early = refused[index];
    if (early !== undefined) {
      outcomes[index] = { ok: false, error: early };
      continue;
    }
    const state = present(states[index], 'a state per index');
    const row = rows.get(ids[index] as string);
    if (row === undefined) {
      outcomes[index] = { ok: false, error: new LedgerError('UNKNOWN_CHANNEL', `no channel ${ids[index]}`) };
      continue;
    }
    const submitted = submittedPoint(state, row);
    if (submitted.seq <= row.claimedSeq) {
      try {
        yield* sameAsHeldTxn(row, submitted);
        outcomes[index] = { ok: true, result: yield* storedResultTxn(row, `claim:${submitted.seq}`) };
      } catch (error) {
        outcomes[index] = failed(error);
      }
      continue;
    }
    if (row.finalizedAtMs !== null || row.closeKind !== null || nowMs >= row.dueAtMs) {
      const why = `channel ${row.id} is closing or closed: submit the state with startClose`;
      outcomes[index] = { ok: false, error: new LedgerError('CHANNEL_NOT_OPEN', why) };
      continue;
    }
    try {
      const proven = proveState(row, state);
      const item: SettleItem = {
        row,
        settlement: `claim:${proven.point.seq}`,
        entries: proven.entries,
        final: false,
        cumulative: proven.point.cumulative,
      };
      pending.push({ index, item, proven });
    } catch (error) {
      outcomes[index] = failed(error);
    }
  }
  const settled = yield* settleTxn(
    pending.map((p) => p.item),
    nowMs,
  );
  const channelsUpdate: { row: ChannelRow; expectedVersion: number }[] = [];
  const statesInsert: StateRow[] = [];
  const entriesInsert: EntryRow[] = [];
  pending.forEach(({ index, item, proven }, i) => {
    const outcome = settled[i];
    if (outcome === undefined || !outcome.ok) {
      outcomes[index] = { ok: false, error: (outcome as { error: LedgerError }).error };
      return;
    }
    const { point, voucher } = proven;
    const next: ChannelRow = {
      ...item.row,
      claimedSeq: point.seq,
      claimedCumulative: point.cumulative,
      claimedLogHead: point.logHead,
      claimedEntryCount: point.entryCount,
      version: item.row.version + 1,
    };
    channelsUpdate.push({ row: next, expectedVersion: item.row.version });
    statesInsert.push({
      channelId: item.row.id,
      ...point,
      signature: new Uint8Array(voucher.signature),
      role: 'claim',
    });
    for (const entry of proven.entries) entriesInsert.push(entry);
    outcomes[index] = { ok: true, result: resultOf(next, outcome.lines, 0n) };
  });
  if (channelsUpdate.length > 0) yield* ask({ kind: 'write', writes: { channelsUpdate, statesInsert, entriesInsert } });
  return outcomes as ChannelOutcome[];
}

/** The script of one claim: a batch of one, its error thrown. */
export function* claimTxn(state: SignedState, nowMs: number): Txn<SettlementResult> {
  const [outcome] = yield* claimBatchTxn([state], [undefined], nowMs);
  if (outcome === undefined) throw new Error('claim: no outcome');
  if (!outcome.ok) throw outcome.error;
  return outcome.result;
}

/**
 * A claim at or below the claimed seq is a resend only if it names the state the ledger
 * holds at that seq (the claimed one, or a stored signed state); the same seq with another
 * cumulative or log head is a different state, refused rather than answered as if taken.
 */
function* sameAsHeldTxn(row: ChannelRow, point: ReturnType<typeof submittedPoint>): Txn<void> {
  let held: Parameters<typeof samePoint>[1] | undefined;
  if (point.seq === row.claimedSeq) held = claimedPoint(row);
  else if (point.seq > 0) held = yield* ask({ kind: 'stateAt', channelId: row.id, seq: point.seq });
  if (held !== undefined && !samePoint(point, held)) {
    throw new LedgerError('STALE_STATE', `seq ${point.seq} names another state than the one the ledger holds`);
  }
}
