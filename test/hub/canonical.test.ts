/**
 * The hub's own frames, taken off a real socket, pass the same strict decoder the hub
 * applies to clients (protocol.md 7.1), re-encode to the very same bytes, and carry the
 * reject keys section 7.3 says they carry: every message type the hub sends, and each kind
 * of reject.
 */

import { createHub, type Hub } from '@trickle/hub';
import {
  type ClientChannel,
  decodeHubMessage,
  encodeClientMessage,
  encodeHubMessage,
  type HubMessage,
  type HubMessageOf,
  publicKeyOf,
  signTopUp,
} from '@trickle/protocol';
import { type RawClient, rawClient, token, withValue } from '@trickle/testing/harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from './fixtures.js';
import { advance, frameFor, openRaw } from './rawChannel.js';

function reject(message: HubMessage): HubMessageOf<'reject'> {
  if (message.type !== 'reject') throw new Error(`expected a reject, got ${message.type}`);
  return message;
}

describe("the hub's frames are canonical", () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let client: RawClient;
  let merchant: ReturnType<typeof testMerchant>;
  let channel: ClientChannel;

  beforeAll(async () => {
    dir = tempDir();
    hub = await createHub({ dataDir: dir.path, networkId });
    await fund(hub, publicKeyOf(testKey('strict')), 10_000_000n);
    merchant = testMerchant('canonical', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    client = await rawClient(hub.url, testKey('strict'));
  });
  afterAll(async () => {
    client.close();
    await hub.close();
    dir.remove();
  });

  it('answers every kind of message, each reject with the keys section 7.3 names', async () => {
    channel = await openRaw(client, 1_000_000n); // state
    const topUp = signTopUp(client.domain, { channelId: channel.channelId, deposit: 500n }, client.signer);
    client.send({ type: 'topUp', id: 11, channelId: channel.channelId, deposit: 500n, signature: topUp.signature });
    const lower = reject(await client.next());
    expect(lower).toMatchObject({ code: 'TOPUP_NOT_INCREASING', id: 11 });
    expect(Object.keys(lower).sort()).toEqual(['code', 'id', 'message', 'state', 'type']);

    const first = frameFor(client.domain, channel, [merchant.request(10n), merchant.request(5n)], client.signer);
    client.send({ ...first, id: 21 });
    expect((await client.next()).type).toBe('receipts');
    channel = advance(channel, first);

    // A voucher that skips a seq: the pay's id, channel and seq, and the hub's state.
    const next = frameFor(client.domain, channel, [merchant.request(1n)], client.signer);
    const gap = frameFor(client.domain, advance(channel, next), [merchant.request(1n)], client.signer);
    client.send({ ...gap, id: 22 });
    const skipped = reject(await client.next());
    expect(skipped).toMatchObject({ code: 'SEQ_GAP', id: 22, seq: gap.seq });
    expect(Object.keys(skipped).sort()).toEqual(['channelId', 'code', 'id', 'message', 'seq', 'state', 'type']);

    // One entry refused: its index too.
    const expired = frameFor(
      client.domain,
      channel,
      [merchant.request(1n), merchant.request(1n, Date.now() + 50)],
      client.signer,
    );
    await new Promise((resolve) => setTimeout(resolve, 60));
    client.send({ ...expired, id: 23 });
    const entry = reject(await client.next());
    expect(entry).toMatchObject({ code: 'INVOICE_EXPIRED', id: 23, entry: 1 });
    expect(Object.keys(entry).sort()).toEqual(['channelId', 'code', 'entry', 'id', 'message', 'seq', 'state', 'type']);

    // A pay frame the hub cannot decode (its seq a float): only its id, so the client knows which voucher.
    client.sendBytes(withValue(encodeClientMessage({ ...next, id: 24 }), ['seq'], token.f64(next.seq)));
    const unreadable = reject(await client.next());
    expect(unreadable).toMatchObject({ code: 'MALFORMED_FRAME', id: 24 });
    expect(Object.keys(unreadable).sort()).toEqual(['code', 'id', 'message', 'type']);

    // A request about a channel that is not the session's: its id, no state.
    client.send({ type: 'sync', id: 31, channelId: new Uint8Array(32) as never });
    const unknown = reject(await client.next());
    expect(unknown).toMatchObject({ code: 'UNKNOWN_CHANNEL', id: 31 });
    expect(Object.keys(unknown).sort()).toEqual(['code', 'id', 'message', 'type']);

    // A message without an id: no id.
    client.send({ type: 'auth', clientKey: client.signer.publicKey, signature: new Uint8Array(64) as never });
    expect(Object.keys(reject(await client.next())).sort()).toEqual(['code', 'message', 'type']);

    client.send({ type: 'log', id: 41, channelId: channel.channelId, fromSeq: 1, limit: 10 });
    expect((await client.next()).type).toBe('logPage');
  });

  it('every frame the hub sent passes the strict decoder and re-encodes to the same bytes', () => {
    const types = new Set<string>();
    for (const frame of client.frames) {
      const message = decodeHubMessage(frame);
      expect(encodeHubMessage(message)).toEqual(frame);
      types.add(message.type);
    }
    expect(types).toEqual(new Set(['challenge', 'welcome', 'state', 'receipts', 'logPage', 'reject']));
    // Times are above 2^32: welcome.time and state.exp went out as uint 64 (0xcf), never as float 64.
    const welcome = client.frames[1] as Uint8Array;
    expect(welcome.includes(0xcf) && !welcome.includes(0xcb)).toBe(true);
  });
});
