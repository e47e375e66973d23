/**
 * Settlement results, fresh or rebuilt. A retry of a claim or a close that already
 * happened returns what it posted, read back from its transfers (their ids name the
 * settlement, `memo` names the payee), so the result never depends on a second copy.
 */
import { asPayeeId, fromHex } from '@trickle/protocol';
import type { SettlementResult } from '../channelLedger.js';
import type { ChannelRow } from '../store/rows.js';
import { ask, type Txn } from '../store/txn.js';
import { transferCodes } from '../transfer.js';
import { channelOf } from './channelView.js';
import { type SettlementName, settlementPrefix } from './naming.js';
import type { PayeeLine } from './settle.js';

/** The result of a settlement of `row` that posted `lines` and `refund`. */
export function resultOf(row: ChannelRow, lines: readonly PayeeLine[], refund: bigint): SettlementResult {
  return {
    channel: channelOf(row),
    payees: lines.map((line) => ({ payee: line.payee, gross: line.gross, fee: line.fee, net: line.net })),
    refund,
  };
}

/**
 * What settlement `settlement` of `row` posted, read from its transfers (empty if none):
 * an id-prefix range, so the cost is that settlement's transfers, not the channel's.
 */
export function* storedResultTxn(row: ChannelRow, settlement: SettlementName): Txn<SettlementResult> {
  const transfers = yield* ask({ kind: 'transfersByPrefix', prefix: settlementPrefix(row.id, settlement) });
  const byPayee = new Map<string, { net: bigint; fee: bigint }>();
  let refund = 0n;
  for (const transfer of transfers) {
    if (transfer.code === transferCodes.refund) {
      refund += transfer.amount;
      continue;
    }
    const payee = transfer.memo ?? '';
    const line = byPayee.get(payee) ?? { net: 0n, fee: 0n };
    if (transfer.code === transferCodes.net) line.net += transfer.amount;
    if (transfer.code === transferCodes.fee) line.fee += transfer.amount;
    byPayee.set(payee, line);
  }
  const lines = [...byPayee.keys()].sort().map((payeeHex): PayeeLine => {
    const { net, fee } = byPayee.get(payeeHex) as { net: bigint; fee: bigint };
    return { payee: asPayeeId(fromHex(payeeHex)), payeeHex, gross: net + fee, fee, net };
  });
  return resultOf(row, lines, refund);
}
