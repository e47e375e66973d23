/**
 * Settling channels: for each, move what was paid since the last claim out of escrow, per
 * payee the net to the payee and the fee to the hub (fees from `claimDelta`, so the total
 * fee is the same however the claims were spaced), plus, when final, the rest back to the
 * payer. Each channel is one linked chain: all of its lines or none. Many channels share
 * one batch (finalizeDue), so a batch costs a constant number of store round trips.
 */
import { asPayeeId, claimDelta, fromHex, type PayeeId, toHex } from '@trickle/protocol';
import { ensureAccountsTxn } from '../engine/createAccounts.js';
import { createTransfersTxn } from '../engine/createTransfers.js';
import { postedTransfer, type TransferSpec } from '../engine/transferInput.js';
import type { LedgerError } from '../ledgerError.js';
import type { AccountRow, ChannelRow, EntryRow, PayeeDayRow, PayeeTotalRow } from '../store/rows.js';
import { ask, type Txn } from '../store/txn.js';
import { transferCodes } from '../transfer.js';
import { channelAsset } from './channelView.js';
import {
  channelRef,
  escrowAccountId,
  feeAccountId,
  lineTransferId,
  newAccountRow,
  payeeAccountId,
  payerAccountId,
  refundTransferId,
  type SettlementName,
} from './naming.js';
import { dayOf, mergedDays } from './payeeDays.js';
import { ledgerErrorOf } from './transferErrors.js';

/** One payee's line of a settlement. */
export interface PayeeLine {
  readonly payee: PayeeId;
  readonly payeeHex: string;
  readonly gross: bigint;
  readonly fee: bigint;
  readonly net: bigint;
}

/** One channel to settle. */
export interface SettleItem {
  /** The channel, locked. */
  readonly row: ChannelRow;
  readonly settlement: SettlementName;
  /** The entries after the claimed state up to the settled one. */
  readonly entries: readonly EntryRow[];
  /** Refund the rest of the escrow (`deposit - cumulative`) to the payer. */
  readonly final: boolean;
  /** The settled state's cumulative amount. */
  readonly cumulative: bigint;
}

/** What settling one channel did, or why it could not. */
export type SettleOutcome =
  | { readonly ok: true; readonly lines: readonly PayeeLine[]; readonly refund: bigint }
  | { readonly ok: false; readonly error: LedgerError };

/** Per-payee lines of a settlement from the payees' previous gross totals. */
export function linesOf(
  previous: ReadonlyMap<string, bigint>,
  entries: readonly EntryRow[],
  feePpm: number,
): PayeeLine[] {
  const added = new Map<string, bigint>();
  for (const entry of entries) added.set(entry.payee, (added.get(entry.payee) ?? 0n) + entry.amount);
  return [...added.keys()].sort().map((payeeHex) => {
    const before = previous.get(payeeHex) ?? 0n;
    const delta = claimDelta(before, before + (added.get(payeeHex) as bigint), feePpm);
    return { payee: asPayeeId(fromHex(payeeHex)), payeeHex, ...delta };
  });
}

function linked(
  id: string,
  debit: string,
  credit: string,
  amount: bigint,
  code: number,
  ref: string,
  memo: string | null,
) {
  return postedTransfer({ id, debit, credit, amount, code, ref, memo, linked: true });
}

/** The linked chain of one settlement (zero amounts are left out). */
export function chainOf(item: SettleItem, lines: readonly PayeeLine[], refund: bigint): TransferSpec[] {
  const { row, settlement } = item;
  const asset = channelAsset(row);
  const escrow = escrowAccountId(row.id);
  const ref = channelRef(row.id);
  const specs: TransferSpec[] = [];
  for (const line of lines) {
    const payee = payeeAccountId(line.payeeHex, asset);
    if (line.net > 0n) {
      const id = lineTransferId(row.id, settlement, 'net', line.payeeHex);
      specs.push(linked(id, escrow, payee, line.net, transferCodes.net, ref, line.payeeHex));
    }
    if (line.fee > 0n) {
      const id = lineTransferId(row.id, settlement, 'fee', line.payeeHex);
      specs.push(linked(id, escrow, feeAccountId(asset), line.fee, transferCodes.fee, ref, line.payeeHex));
    }
  }
  if (refund > 0n) {
    const payer = payerAccountId(toHex(row.clientKey), asset);
    specs.push(linked(refundTransferId(row.id), escrow, payer, refund, transferCodes.refund, ref, null));
  }
  const last = specs[specs.length - 1];
  if (last !== undefined) specs[specs.length - 1] = { ...last, linked: false };
  return specs;
}

/**
 * Settles `items` in the running transaction: posts every chain, updates the payee
 * totals of the chains that succeeded, and reports each item. Evidence and channel rows
 * are the caller's to write.
 */
export function* settleTxn(items: readonly SettleItem[], nowMs: number): Txn<SettleOutcome[]> {
  if (items.length === 0) return [];
  const totals = yield* ask({ kind: 'payeeTotals', channelIds: items.map((item) => item.row.id) });
  const plans = items.map((item) => {
    const previous = totals.get(item.row.id) ?? new Map<string, bigint>();
    const lines = linesOf(previous, item.entries, item.row.feePpm);
    const refund = item.final ? item.row.deposit - item.cumulative : 0n;
    return { item, previous, lines, refund, chain: chainOf(item, lines, refund) };
  });
  const accounts = new Map<string, AccountRow>();
  for (const { item, lines } of plans) {
    const asset = channelAsset(item.row);
    accounts.set(feeAccountId(asset), newAccountRow(feeAccountId(asset), 'fee', asset, nowMs));
    for (const line of lines) {
      const id = payeeAccountId(line.payeeHex, asset);
      accounts.set(id, newAccountRow(id, 'payee', asset, nowMs));
    }
  }
  yield* ensureAccountsTxn([...accounts.values()]);
  const specs = plans.flatMap((plan) => plan.chain);
  const applied = specs.length === 0 ? undefined : yield* createTransfersTxn(specs, nowMs, false);
  const outcomes: SettleOutcome[] = [];
  const upserts: PayeeTotalRow[] = [];
  const days: PayeeDayRow[] = [];
  const day = dayOf(nowMs);
  let offset = 0;
  for (const plan of plans) {
    const results = applied?.results.slice(offset, offset + plan.chain.length) ?? [];
    offset += plan.chain.length;
    const failed = results.find((r) => r.status === 'failed' && r.code !== 'LINKED_EVENT_FAILED');
    if (failed !== undefined && failed.status === 'failed') {
      outcomes.push({ ok: false, error: ledgerErrorOf(failed.code, failed.id) });
      continue;
    }
    const asset = channelAsset(plan.item.row);
    const fresh = results.every((r) => r.status === 'created');
    for (const line of plan.lines) {
      const gross = (plan.previous.get(line.payeeHex) ?? 0n) + line.gross;
      upserts.push({ channelId: plan.item.row.id, payee: line.payeeHex, gross });
      if (!fresh) continue;
      const accountId = payeeAccountId(line.payeeHex, asset);
      days.push({ accountId, day, gross: line.gross, fee: line.fee, net: line.net, paidOut: 0n });
    }
    outcomes.push({ ok: true, lines: plan.lines, refund: plan.refund });
  }
  if (upserts.length > 0) {
    yield* ask({ kind: 'write', writes: { payeeTotalsUpsert: upserts, payeeDaysAdd: mergedDays(days) } });
  }
  return outcomes;
}
