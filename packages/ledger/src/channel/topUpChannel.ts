/**
 * Top-up to a new total deposit. A total at or below the current one moves nothing and
 * returns the channel (a resent or overtaken top-up), so a retry can never add twice.
 */
import { asChannelId, type ChannelId, toHex } from '@trickle/protocol';
import { LedgerError } from '../ledgerError.js';
import type { ChannelRow } from '../store/rows.js';
import { ask, type Txn } from '../store/txn.js';
import { checkAmount } from '../validate.js';
import { lockChannelTxn } from './lockChannel.js';
import { depositTxn } from './openChannel.js';

/** Checks a top-up's input. */
export function checkTopUpInput(input: { readonly channelId: ChannelId; readonly deposit: bigint }): {
  channelId: ChannelId;
  deposit: bigint;
} {
  return { channelId: asChannelId(input.channelId), deposit: checkAmount(input.deposit, 'deposit') };
}

/** The script of a top-up. */
export function* topUpChannelTxn(channelId: ChannelId, deposit: bigint, nowMs: number): Txn<ChannelRow> {
  const row = yield* lockChannelTxn(toHex(channelId));
  if (deposit <= row.deposit) return row;
  if (row.finalizedAtMs !== null || row.closeKind !== null || nowMs >= row.expiresAtMs) {
    throw new LedgerError('CHANNEL_NOT_OPEN', `channel ${row.id} is closing, closed or expired`);
  }
  yield* depositTxn(row, deposit - row.deposit, deposit, nowMs);
  const next: ChannelRow = { ...row, deposit, version: row.version + 1 };
  yield* ask({ kind: 'write', writes: { channelsUpdate: [{ row: next, expectedVersion: row.version }] } });
  return next;
}
