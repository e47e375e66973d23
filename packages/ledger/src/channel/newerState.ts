/**
 * Which of two states of one channel is newer, in a dispute. Both chain from the claimed
 * state; a client signs every state, so a higher seq alone proves nothing (a payer could
 * sign a huge seq over a prefix of its log, or over a fork paying someone else). The rule
 * (ADR 0107):
 *
 * - a state replaces the recorded one if it **extends** it: its log holds the recorded
 *   log and more (the recorded head is on its chain), whoever submits it;
 * - a state the recorded one extends is stale: it is refused;
 * - two states where neither extends the other are a fork, which an honest payer never
 *   signs (its log only grows): the hub's submission wins, the payer's is refused.
 *
 * For an honest payer this is "the newer state wins", and no payer can undo what it paid.
 */
import { equalBytes, present, toHex } from '@trickle/protocol';
import type { SignedState } from '../channelLedger.js';
import { LedgerError } from '../ledgerError.js';
import type { ChannelRow, EntryRow } from '../store/rows.js';
import { ask, type Txn } from '../store/txn.js';
import { type ChannelPoint, type ProvenState, proveState } from './proveState.js';

const stale = (why: string) => new LedgerError('STALE_STATE', why);

function sameEntry(a: EntryRow, b: EntryRow): boolean {
  return a.payee === b.payee && a.amount === b.amount && equalBytes(a.invoiceId, b.invoiceId);
}

/**
 * Proves `state` and decides whether it replaces the recorded close state `recorded`,
 * submitted by `by`; returns the proof, or throws `STALE_STATE` (or `INVALID_STATE`).
 */
export function* replacingProofTxn(
  row: ChannelRow,
  state: SignedState,
  recorded: ChannelPoint,
  by: 'client' | 'hub',
): Txn<ProvenState> {
  if (state.voucher === undefined) throw stale(`the recorded state (seq ${recorded.seq}) extends the claimed one`);
  const recordedLength = recorded.entryCount - row.claimedEntryCount;
  const proven = proveState(row, state, recordedLength);
  const length = proven.entries.length;
  if (length > recordedLength) {
    const headAtRecorded = recordedLength === 0 ? row.claimedLogHead : (proven.headAt as Uint8Array);
    if (equalBytes(headAtRecorded, recorded.logHead) || by === 'hub') return proven;
    throw stale(`seq ${proven.point.seq} does not extend the recorded state (seq ${recorded.seq})`);
  }
  const held = (yield* ask({
    kind: 'entries',
    channels: [
      { channelId: row.id, afterPosition: row.claimedEntryCount, upToPosition: row.claimedEntryCount + length },
    ],
  })).get(row.id);
  const prefix =
    held !== undefined &&
    held.length === length &&
    held.every((e, i) => sameEntry(e, present(proven.entries[i], 'an entry per index')));
  if (prefix) throw stale(`the recorded state (seq ${recorded.seq}) holds seq ${proven.point.seq} already`);
  if (by === 'hub') return proven;
  throw stale(
    `seq ${proven.point.seq} forks from the recorded state (seq ${recorded.seq}); only the hub may answer a fork`,
  );
}

/** For messages: a short name of a channel point. */
export function pointName(point: Pick<ChannelPoint, 'seq' | 'logHead'>): string {
  return `seq ${point.seq} (${toHex(point.logHead).slice(0, 12)})`;
}
