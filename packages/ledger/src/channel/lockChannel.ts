/** Reads and locks one channel, or throws `UNKNOWN_CHANNEL`. */
import { LedgerError } from '../ledgerError.js';
import type { ChannelRow } from '../store/rows.js';
import { ask, type Txn } from '../store/txn.js';

/** The channel row with id `id` (hex), locked until commit. */
export function* lockChannelTxn(id: string): Txn<ChannelRow> {
  const row = (yield* ask({ kind: 'channels', ids: [id], lock: true })).get(id);
  if (row === undefined) throw new LedgerError('UNKNOWN_CHANNEL', `no channel ${id}`);
  return row;
}
