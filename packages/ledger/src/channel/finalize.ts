/**
 * Finalize: settle a channel's last state and refund the rest of its escrow to the payer,
 * as one linked chain, and mark the channel finalized, in one transaction. The finalized
 * mark and the deterministic transfer ids make it happen exactly once.
 */
import type { CloseKind, SettlementResult } from '../channelLedger.js';
import type { LedgerError } from '../ledgerError.js';
import type { ChannelRow, EntryRow, StateRow } from '../store/rows.js';
import { ask, type Txn, type WriteSet } from '../store/txn.js';
import type { ChannelPoint } from './proveState.js';
import { settleTxn } from './settle.js';
import { resultOf } from './settlementResult.js';

/** One channel to finalize. */
export interface FinalizeItem {
  /** The channel, locked. */
  readonly row: ChannelRow;
  /** The state to settle. */
  readonly target: ChannelPoint;
  /** The entries after the claimed state up to `target`. */
  readonly entries: readonly EntryRow[];
  /** How the close started, when no close was recorded. */
  readonly closeKind: CloseKind;
  /** New evidence to store with it (a cooperative close with a newer state). */
  readonly evidence?: { readonly state: StateRow; readonly entries: readonly EntryRow[] };
}

/** The row of a finalized channel. */
function finalizedRow(item: FinalizeItem, nowMs: number): ChannelRow {
  const { row, target } = item;
  const recorded = row.closeKind !== null;
  const expiry = !recorded && item.closeKind === 'expiry';
  return {
    ...row,
    claimedSeq: target.seq,
    claimedCumulative: target.cumulative,
    claimedLogHead: target.logHead,
    claimedEntryCount: target.entryCount,
    closeKind: recorded ? row.closeKind : item.closeKind,
    closeStartedAtMs: recorded ? row.closeStartedAtMs : expiry ? row.expiresAtMs : nowMs,
    challengeEndsAtMs: recorded ? row.challengeEndsAtMs : expiry ? Math.min(row.dueAtMs, nowMs) : nowMs,
    closeSeq: target.seq,
    closeCumulative: target.cumulative,
    closeLogHead: target.logHead,
    closeEntryCount: target.entryCount,
    finalizedAtMs: nowMs,
    version: row.version + 1,
  };
}

/** Finalizes `items` in the running transaction; reports each (a failed one stays unfinalized). */
export function* finalizeTxn(
  items: readonly FinalizeItem[],
  nowMs: number,
): Txn<({ ok: true; result: SettlementResult } | { ok: false; channelId: string; error: LedgerError })[]> {
  const outcomes = yield* settleTxn(
    items.map((item) => ({
      row: item.row,
      settlement: 'final' as const,
      entries: item.entries,
      final: true,
      cumulative: item.target.cumulative,
    })),
    nowMs,
  );
  const channelsUpdate: { row: ChannelRow; expectedVersion: number }[] = [];
  const statesInsert: StateRow[] = [];
  const entriesInsert: EntryRow[] = [];
  const closeEvidenceDelete: { channelId: string; afterPosition: number }[] = [];
  const reports = items.map((item, index) => {
    const outcome = outcomes[index];
    if (outcome === undefined || !outcome.ok) {
      return { ok: false as const, channelId: item.row.id, error: (outcome as { error: LedgerError }).error };
    }
    const next = finalizedRow(item, nowMs);
    channelsUpdate.push({ row: next, expectedVersion: item.row.version });
    if (item.evidence !== undefined) {
      if (item.row.closeKind !== null) {
        closeEvidenceDelete.push({ channelId: item.row.id, afterPosition: item.row.claimedEntryCount });
      }
      statesInsert.push(item.evidence.state);
      entriesInsert.push(...item.evidence.entries);
    }
    return { ok: true as const, result: resultOf(next, outcome.lines, outcome.refund) };
  });
  const writes: WriteSet = { channelsUpdate, closeEvidenceDelete, statesInsert, entriesInsert };
  if (channelsUpdate.length > 0) yield* ask({ kind: 'write', writes });
  return reports;
}
