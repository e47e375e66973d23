/** Driving a channel by hand over a {@link RawClient}: open, sign pay frames, sync. For hub tests. */

import {
  type ChannelState,
  type ClientChannel,
  type ClientMessageOf,
  type Domain,
  type PaymentRequest,
  preparePayment,
  type Signer,
  signVoucher,
} from '@trickle/protocol';
import { openRawChannel, type RawClient } from '@trickle/testing/harness';

/** A pay frame as the client sends it. */
export type PayFrame = ClientMessageOf<'pay'>;

/** Signs the next voucher of `channel`, covering `requests`, as one pay frame. */
export function frameFor(domain: Domain, channel: ClientChannel, requests: PaymentRequest[], signer: Signer): PayFrame {
  const prepared = preparePayment(domain, channel, requests, Date.now());
  return {
    type: 'pay',
    id: prepared.voucher.seq,
    ...signVoucher(domain, prepared.voucher, signer),
    entries: [...prepared.entries],
  };
}

/** The client's channel after `frame` was accepted. */
export function advance(channel: ClientChannel, frame: PayFrame): ClientChannel {
  return { ...channel, seq: frame.seq, cumulative: frame.cumulative, logHead: frame.logHead };
}

/** Opens a channel with `deposit` (USD, an hour to expiry) and returns it as the client holds it. */
export const openRaw = (client: RawClient, deposit: bigint): Promise<ClientChannel> => openRawChannel(client, deposit);

/** The hub's state of `channel`, asked with a sync. */
export async function syncState(
  client: RawClient,
  channel: { readonly channelId: ClientChannel['channelId'] },
): Promise<ChannelState> {
  client.send({ type: 'sync', id: 99, channelId: channel.channelId });
  const answer = await client.next();
  if (answer.type !== 'state') throw new Error(`sync failed: ${answer.type}`);
  return answer.state;
}
