/**
 * A voucher resent while its first copy is still queued at the hub (a wallet resending
 * after a reconnect or a retry, both copies reaching the hub before it processes either):
 * both copies land in one batch. Protocol 10.2 rule 2: the resend is a duplicate and gets
 * the same receipts again, once the voucher is durable; it is not a failure.
 */

import { type ChannelStore, createHub, type Hub } from '@trickle/hub';
import { sqliteChannelStore } from '@trickle/hub/sqlite';
import { type ChannelId, type HubMessage, publicKeyOf } from '@trickle/protocol';
import { type RawClient, rawClient } from '@trickle/testing/harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from './fixtures.js';
import { frameFor, openRaw } from './rawChannel.js';

describe('a voucher and its resend in one batch', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let client: RawClient | undefined;
  /** While set, commits wait for it: the first voucher's batch holds the lane, so later frames queue up. */
  let gate: Promise<void> | undefined;

  beforeEach(async () => {
    dir = tempDir();
    const real = sqliteChannelStore({ path: `${dir.path}/channels.sqlite` });
    const gated: ChannelStore = {
      ...real,
      commit: async (writes) => {
        if (gate !== undefined) await gate;
        return real.commit(writes);
      },
    };
    hub = await createHub({ dataDir: dir.path, networkId, store: gated });
    await fund(hub, publicKeyOf(testKey('batch duplicate')), 1_000_000n);
  });
  afterEach(async () => {
    client?.close();
    await hub.close();
    dir.remove();
  });

  it('answers the resend with the same receipts', async () => {
    const merchant = testMerchant('batch duplicate', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    client = await rawClient(hub.url, testKey('batch duplicate'));
    const channel = await openRaw(client, 100_000n);
    const first = frameFor(client.domain, channel, [merchant.request(5n)], client.signer);
    const next = { ...channel, seq: first.seq, cumulative: first.cumulative, logHead: first.logHead };
    const second = frameFor(client.domain, next, [merchant.request(7n)], client.signer);

    let open!: () => void;
    gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    client.send(first);
    client.send(second);
    client.send(second); // the resend, queued behind the first copy
    // A request answered without the lane: once it is answered, every frame before it was read.
    client.send({ type: 'log', id: 2, channelId: new Uint8Array(32) as ChannelId, fromSeq: 1, limit: 1 });
    const marker = await client.next();
    expect(marker.type === 'reject' && marker.code).toBe('UNKNOWN_CHANNEL');
    gate = undefined;
    open();

    const answers: HubMessage[] = [await client.next(), await client.next(), await client.next()];
    expect(answers.map((a) => a.type)).toEqual(['receipts', 'receipts', 'receipts']);
    expect(answers.map((a) => (a.type === 'receipts' ? a.seq : 0))).toEqual([1, 2, 2]);
    expect(answers[2]).toEqual(answers[1]);
    expect(hub.channel(channel.channelId)?.cumulative).toBe(12n);
  });
});
