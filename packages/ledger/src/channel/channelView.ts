/** The public {@link LedgerChannel} view of a channel row, with copies of every byte field. */
import { asChannelId, asLogHead, asPublicKey, fromHex } from '@trickle/protocol';
import type { LedgerChannel } from '../channelLedger.js';
import type { ChannelRow } from '../store/rows.js';

/** The row's asset. */
export function channelAsset(row: ChannelRow): { code: string; scale: number } {
  return { code: row.assetCode, scale: row.assetScale };
}

/** The channel as the hub sees it. */
export function channelOf(row: ChannelRow): LedgerChannel {
  const channel: LedgerChannel = {
    channelId: asChannelId(fromHex(row.id)),
    clientKey: asPublicKey(new Uint8Array(row.clientKey)),
    asset: channelAsset(row),
    deposit: row.deposit,
    expiresAtMs: row.expiresAtMs,
    feePpm: row.feePpm,
    claimed: {
      seq: row.claimedSeq,
      cumulative: row.claimedCumulative,
      logHead: asLogHead(new Uint8Array(row.claimedLogHead)),
    },
  };
  const close =
    row.closeKind === null
      ? {}
      : {
          close: {
            kind: row.closeKind,
            startedAtMs: row.closeStartedAtMs as number,
            challengeEndsAtMs: row.challengeEndsAtMs as number,
            state: {
              seq: row.closeSeq as number,
              cumulative: row.closeCumulative as bigint,
              logHead: asLogHead(new Uint8Array(row.closeLogHead as Uint8Array)),
            },
          },
        };
  return { ...channel, ...close, ...(row.finalizedAtMs === null ? {} : { finalizedAtMs: row.finalizedAtMs }) };
}
