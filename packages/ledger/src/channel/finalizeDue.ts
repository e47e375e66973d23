/**
 * Finalizing what is due: every unfinalized channel whose challenge window has ended, or
 * whose expiry grace has, settles at its recorded close state (or its claimed state), in
 * batches of {@link finalizeBatchChannelsMax} channels per transaction.
 */
import type { SettlementResult } from '../channelLedger.js';
import type { LedgerError } from '../ledgerError.js';
import { entriesPerSettlementMax } from '../limits.js';
import type { DueCursor } from '../store/txn.js';
import { ask, type Txn } from '../store/txn.js';
import { finalizeTxn } from './finalize.js';
import { claimedPoint, closePoint } from './proveState.js';

/** What one batch did. */
export interface FinalizeBatch {
  readonly finalized: readonly SettlementResult[];
  readonly failed: readonly { readonly channelId: string; readonly error: LedgerError }[];
  /** Channels looked at; fewer than the limit means nothing more is due. */
  readonly seen: number;
  /** Where the next batch resumes. */
  readonly cursor: DueCursor | undefined;
}

/**
 * Finalizes up to `limit` due channels after `after`, and no more entries of close evidence
 * than {@link entriesPerSettlementMax} between them (at least one channel), so the work of
 * one transaction is bounded whatever the closes recorded.
 */
export function* finalizeDueBatchTxn(nowMs: number, limit: number, after: DueCursor | undefined): Txn<FinalizeBatch> {
  const due = yield* ask({ kind: 'dueChannels', nowMs, limit, after });
  let evidence = 0;
  // A prefix: the running sum only grows.
  const rows = due.filter((row, index) => {
    evidence += (row.closeEntryCount ?? row.claimedEntryCount) - row.claimedEntryCount;
    return index === 0 || evidence <= entriesPerSettlementMax;
  });
  const kept = rows.length;
  const last = rows[rows.length - 1];
  const cursor = last === undefined ? after : { dueAtMs: last.dueAtMs, id: last.id };
  const withEvidence = rows.filter((row) => (row.closeEntryCount ?? row.claimedEntryCount) > row.claimedEntryCount);
  const entries =
    withEvidence.length === 0
      ? new Map()
      : yield* ask({
          kind: 'entries',
          channels: withEvidence.map((row) => ({ channelId: row.id, afterPosition: row.claimedEntryCount })),
        });
  const items = rows.map((row) => ({
    row,
    target: closePoint(row) ?? claimedPoint(row),
    entries: entries.get(row.id) ?? [],
    closeKind: 'expiry' as const,
  }));
  const reports = yield* finalizeTxn(items, nowMs);
  const finalized: SettlementResult[] = [];
  const failed: { channelId: string; error: LedgerError }[] = [];
  for (const report of reports) {
    if (report.ok) finalized.push(report.result);
    else failed.push({ channelId: report.channelId, error: report.error });
  }
  // A batch cut short by its entries counts as full: the next one resumes after its last channel.
  return { finalized, failed, seen: kept < due.length ? limit : rows.length, cursor };
}
