/** Driving a channel by hand over a {@link RawClient}: open, sign pay frames, sync. For hub tests. */

import {
  type ChannelState,
  type ClientChannel,
  type ClientMessageOf,
  type Domain,
  type PaymentRequest,
  preparePayment,
  type Signer,
  signOpenRequest,
  signVoucher,
} from '@trickle/protocol';
import type { RawClient } from '@trickle/testing/harness';
import { usd } from './fixtures.js';

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
export async function openRaw(client: RawClient, deposit: bigint): Promise<ClientChannel> {
  const open = signOpenRequest(
    client.domain,
    { nonce: crypto.getRandomValues(new Uint8Array(16)), asset: usd, deposit, expiresAtMs: Date.now() + 3_600_000 },
    client.signer,
  );
  client.send({ type: 'open', id: 1, ...open, asset: usd, deposit });
  const answer = await client.next();
  if (answer.type !== 'state') throw new Error(`open failed: ${answer.type}`);
  const { channelId, asset, expiresAtMs, seq, cumulative, logHead } = answer.state;
  return { channelId, asset, deposit: answer.state.deposit, expiresAtMs, seq, cumulative, logHead };
}

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
