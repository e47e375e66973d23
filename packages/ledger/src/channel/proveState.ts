/**
 * Proof that a submitted state follows from what the ledger holds: the client's signature
 * (checked before the transaction, it depends only on immutable facts), then, inside the
 * transaction, the entries re-hashed from the claimed log head to the signed one and
 * summed to the signed cumulative amount, within the deposit.
 */
import {
  asError,
  asLogHead,
  assertSeq,
  checkVoucherSignature,
  entryBytes,
  equalBytes,
  type LogHead,
  logHeadAfter,
  type PublicKey,
  toHex,
  type Voucher,
} from '@trickle/protocol';
import type { SignedState } from '../channelLedger.js';
import { LedgerError } from '../ledgerError.js';
import { entriesPerSettlementMax } from '../limits.js';
import type { ChannelRow, EntryRow } from '../store/rows.js';
import type { ChannelContext } from './context.js';

/** A state the ledger can hold: seq, cumulative and log head, and the log length. */
export interface ChannelPoint {
  readonly seq: number;
  readonly cumulative: bigint;
  readonly logHead: Uint8Array;
  readonly entryCount: number;
}

/** A proven state beyond the claimed one, with the entries that lead to it. */
export interface ProvenState {
  readonly point: ChannelPoint;
  readonly voucher: Voucher;
  /** Entry rows at positions after the claimed state's. */
  readonly entries: readonly EntryRow[];
  /** The log head after the first `headAtCount` entries (when asked for one within the entries). */
  readonly headAt?: Uint8Array;
}

const invalid = (message: string, details?: string) =>
  new LedgerError('INVALID_STATE', message, details === undefined ? {} : { details });

/** Checks the shape of a submitted state and the voucher's signature by `clientKey`. */
export function checkStateSignature(context: ChannelContext, state: SignedState, clientKey: PublicKey): void {
  const { voucher } = state;
  if (voucher === undefined) {
    if (state.entries.length > 0) throw invalid('entries without a voucher');
    return;
  }
  if (!equalBytes(voucher.channelId, state.channelId)) throw invalid('the voucher names another channel');
  try {
    assertSeq(voucher.seq, 'voucher.seq');
  } catch (error) {
    throw invalid('voucher seq out of range', asError(error).message);
  }
  const check = checkVoucherSignature(context.verifier, context.domain, voucher, clientKey);
  if (check !== 'valid') throw invalid(`voucher signature: ${check}`);
}

/** The claimed state of a row as a point. */
export function claimedPoint(row: ChannelRow): ChannelPoint {
  return {
    seq: row.claimedSeq,
    cumulative: row.claimedCumulative,
    logHead: row.claimedLogHead,
    entryCount: row.claimedEntryCount,
  };
}

/** The close state of a row as a point, if a close was recorded. */
export function closePoint(row: ChannelRow): ChannelPoint | undefined {
  if (row.closeKind === null) return undefined;
  return {
    seq: row.closeSeq as number,
    cumulative: row.closeCumulative as bigint,
    logHead: row.closeLogHead as Uint8Array,
    entryCount: row.closeEntryCount as number,
  };
}

/** The state a submission names: its voucher's, or the claimed state when it has none. */
export function submittedPoint(state: SignedState, row: ChannelRow): Omit<ChannelPoint, 'entryCount'> {
  const { voucher } = state;
  if (voucher === undefined) return claimedPoint(row);
  return { seq: voucher.seq, cumulative: voucher.cumulative, logHead: voucher.logHead };
}

/** True when two points are the same state (seq, cumulative and log head). */
export function samePoint(a: Omit<ChannelPoint, 'entryCount'>, b: Omit<ChannelPoint, 'entryCount'>): boolean {
  return a.seq === b.seq && a.cumulative === b.cumulative && equalBytes(a.logHead, b.logHead);
}

/**
 * Proves a state with a voucher beyond the claimed state: its entries (from the claimed
 * head on) hash to the signed head and sum to the signed increase, within the deposit.
 * The signature was checked by {@link checkStateSignature}. With `headAtCount` (0 <
 * headAtCount <= the entries), also returns the head after that many entries: whether the
 * state extends another one (ADR 0107).
 */
export function proveState(row: ChannelRow, state: SignedState, headAtCount?: number): ProvenState {
  const voucher = state.voucher as Voucher;
  const { entries } = state;
  if (entries.length === 0) throw invalid('a state beyond the claimed one needs its entries');
  if (entries.length > entriesPerSettlementMax) throw invalid(`more than ${entriesPerSettlementMax} entries`);
  let sum = 0n;
  const rows: EntryRow[] = new Array(entries.length);
  // Hex names of the payees seen: a segment pays few payees, so hex once per payee, not per entry.
  const hexOf = new Map<string, string>();
  let head: LogHead;
  let headAt: Uint8Array | undefined;
  try {
    entries.forEach((entry, index) => {
      entryBytes(entry);
      sum += entry.amount;
      const key = String.fromCharCode.apply(null, entry.payee as unknown as number[]);
      let payee = hexOf.get(key);
      if (payee === undefined) {
        payee = toHex(entry.payee);
        hexOf.set(key, payee);
      }
      rows[index] = {
        channelId: row.id,
        position: row.claimedEntryCount + index + 1,
        payee,
        invoiceId: new Uint8Array(entry.invoiceId),
        amount: entry.amount,
      };
    });
    if (headAtCount !== undefined && headAtCount > 0 && headAtCount <= entries.length) {
      headAt = logHeadAfter(asLogHead(row.claimedLogHead), entries.slice(0, headAtCount));
      head = logHeadAfter(asLogHead(headAt), entries.slice(headAtCount));
    } else {
      head = logHeadAfter(asLogHead(row.claimedLogHead), entries);
    }
  } catch (error) {
    throw invalid('malformed entry', asError(error).message);
  }
  if (!equalBytes(head, voucher.logHead)) throw invalid('the entries do not hash to the signed log head');
  if (voucher.cumulative !== row.claimedCumulative + sum) {
    throw invalid(`cumulative ${voucher.cumulative} is not ${row.claimedCumulative} + ${sum}`);
  }
  if (voucher.cumulative > row.deposit) throw invalid(`cumulative ${voucher.cumulative} exceeds the deposit`);
  const point = {
    seq: voucher.seq,
    cumulative: voucher.cumulative,
    logHead: new Uint8Array(voucher.logHead),
    entryCount: row.claimedEntryCount + entries.length,
  };
  return headAt === undefined ? { point, voucher, entries: rows } : { point, voucher, entries: rows, headAt };
}
