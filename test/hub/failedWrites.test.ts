/**
 * Top-up and close after a failed store write (nothing applied): memory follows disk, a
 * retry settles at the right state, and the ledger moves money once.
 */

import { type ChannelStore, createHub, type Hub, HubError } from '@trickle/hub';
import { sqliteChannelStore } from '@trickle/hub/sqlite';
import { type HubChannel, publicKeyOf, signClose, signTopUp } from '@trickle/protocol';
import { type RawClient, rawClient } from '@trickle/testing/harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fund, ledgerBalance, networkId, tempDir, testKey, testMerchant } from './fixtures.js';
import { advance, frameFor, openRaw, syncState } from './rawChannel.js';

describe('failed top-up and close writes', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let client: RawClient;
  let failWhen: ((channel: HubChannel) => boolean) | undefined;
  const key = testKey('failed writes');

  beforeEach(async () => {
    dir = tempDir();
    failWhen = undefined;
    const real = sqliteChannelStore({ path: `${dir.path}/channels.sqlite` });
    const store: ChannelStore = {
      ...real,
      commit: (writes) => {
        const when = failWhen;
        if (when !== undefined && writes.some((w) => when(w.channel))) {
          failWhen = undefined;
          return Promise.reject(new HubError('STORE_FAILED', 'disk full (simulated)'));
        }
        return real.commit(writes);
      },
    };
    hub = await createHub({ dataDir: dir.path, networkId, store, onError: () => {} });
    await fund(hub, publicKeyOf(key), 1_000_000n);
    client = await rawClient(hub.url, key);
  });
  afterEach(async () => {
    client.close();
    await hub.close();
    dir.remove();
  });

  it('a top-up whose write failed, resent, raises the deposit once', async () => {
    const channel = await openRaw(client, 1_000n);
    failWhen = (c) => c.deposit === 2_000n;
    const topUp = signTopUp(client.domain, { channelId: channel.channelId, deposit: 2_000n }, client.signer);
    const message = {
      type: 'topUp',
      id: 2,
      channelId: channel.channelId,
      deposit: 2_000n,
      signature: topUp.signature,
    } as const;
    client.send(message);
    const failed = await client.next();
    expect(failed.type === 'reject' && failed.code).toBe('INTERNAL');
    expect((await syncState(client, channel)).deposit).toBe(1_000n);
    client.send(message);
    const done = await client.next();
    expect(done.type === 'state' && done.state.deposit).toBe(2_000n);
    expect(await ledgerBalance(hub, 'payer', publicKeyOf(key))).toBe(1_000_000n - 2_000n);
  });

  it('a close whose final write failed, resent, closes at the paid state and settles once', async () => {
    const merchant = testMerchant('failed writes', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    let channel = await openRaw(client, 1_000n);
    const frame = frameFor(client.domain, channel, [merchant.request(7n)], client.signer);
    client.send(frame);
    expect((await client.next()).type).toBe('receipts');
    channel = advance(channel, frame);
    failWhen = (c) => c.closedAtMs !== undefined;
    const { channelId, seq, cumulative, logHead } = channel;
    const close = {
      type: 'close',
      id: 3,
      ...signClose(client.domain, { channelId, seq, cumulative, logHead }, client.signer),
    } as const;
    client.send(close);
    const failed = await client.next();
    expect(failed.type === 'reject' && failed.code).toBe('INTERNAL');
    expect((await syncState(client, channel)).status).toBe('closing');
    client.send(close);
    const closed = await client.next();
    expect(closed.type === 'state' && closed.state.status).toBe('closed');
    expect(closed.type === 'state' && closed.state.cumulative).toBe(7n);
    expect(await ledgerBalance(hub, 'payer', publicKeyOf(key))).toBe(1_000_000n - 7n);
    expect(await ledgerBalance(hub, 'payee', merchant.payee)).toBe(7n);
  });
});
