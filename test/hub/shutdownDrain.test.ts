/**
 * `hub.close()` drains: a request the hub is working on when shutdown starts is answered
 * before the connection is closed, also a request about an evicted closed channel that is
 * still being read back from the store (its work is on no lane yet).
 */

import { type ChannelStore, createHub, type Hub } from '@trickle/hub';
import { sqliteChannelStore } from '@trickle/hub/sqlite';
import { type HubMessage, publicKeyOf, signClose, signTopUp } from '@trickle/protocol';
import { type RawClient, rawClient } from '@trickle/testing/harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey } from './fixtures.js';
import { openRaw } from './rawChannel.js';

/** A gate a store call waits on while armed; `reached` resolves once a call waits. */
function gate() {
  let armed = false;
  let open!: () => void;
  let opened = Promise.resolve();
  let reached!: () => void;
  let hit = new Promise<void>((resolve) => {
    reached = resolve;
  });
  return {
    arm() {
      armed = true;
      opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      hit = new Promise<void>((resolve) => {
        reached = resolve;
      });
    },
    get hit() {
      return hit;
    },
    async pass(): Promise<void> {
      if (!armed) return;
      armed = false;
      reached();
      await opened;
    },
    release: () => open(),
  };
}

/** The next message, or undefined when the connection closes first. */
function nextOrClosed(client: RawClient): Promise<HubMessage | undefined> {
  return Promise.race([client.next(), client.closed.then(() => undefined)]);
}

describe('hub.close() drains requests in progress', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let client: RawClient;
  const commitGate = gate();
  const readGate = gate();
  const key = testKey('shutdown drain');

  beforeEach(async () => {
    dir = tempDir();
    const real = sqliteChannelStore({ path: `${dir.path}/channels.sqlite` });
    const store: ChannelStore = {
      ...real,
      commit: async (writes) => {
        await commitGate.pass();
        return real.commit(writes);
      },
      channel: async (channelId) => {
        await readGate.pass();
        return real.channel(channelId);
      },
    };
    hub = await createHub({ dataDir: dir.path, networkId, store, limits: { closedChannelsCachedMax: 1 } });
    await fund(hub, publicKeyOf(key), 1_000_000n);
    client = await rawClient(hub.url, key);
  });
  afterEach(async () => {
    client.close();
    await hub.close();
    dir.remove();
  });

  it('answers a top-up whose write is in flight when shutdown starts', async () => {
    const channel = await openRaw(client, 1_000n);
    commitGate.arm();
    const topUp = signTopUp(client.domain, { channelId: channel.channelId, deposit: 2_000n }, client.signer);
    client.send({ type: 'topUp', id: 2, channelId: channel.channelId, deposit: 2_000n, signature: topUp.signature });
    await commitGate.hit;
    const closing = hub.close();
    commitGate.release();
    const answer = await nextOrClosed(client);
    expect(answer?.type === 'state' && answer.state.deposit).toBe(2_000n);
    await closing;
  });

  it('answers every request queued on a lane whose write is in flight when shutdown starts', async () => {
    const channel = await openRaw(client, 1_000n);
    commitGate.arm();
    client.send({ type: 'sync', id: 2, channelId: channel.channelId });
    client.send({ type: 'log', id: 3, channelId: channel.channelId, fromSeq: 1, limit: 10 });
    const topUp = signTopUp(client.domain, { channelId: channel.channelId, deposit: 2_000n }, client.signer);
    client.send({ type: 'topUp', id: 4, channelId: channel.channelId, deposit: 2_000n, signature: topUp.signature });
    client.send({ type: 'sync', id: 5, channelId: channel.channelId });
    await commitGate.hit;
    const closing = hub.close();
    commitGate.release();
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await nextOrClosed(client));
    expect(answers.map((a) => a?.type)).toEqual(['state', 'logPage', 'state', 'state']);
    await closing;
  });

  it('answers a sync of an evicted closed channel that is being read back when shutdown starts', async () => {
    // Two closed channels with room for one in memory: the first is evicted.
    const closedIds = [];
    for (let i = 0; i < 2; i++) {
      const channel = await openRaw(client, 1_000n);
      const { channelId, seq, cumulative, logHead } = channel;
      client.send({
        type: 'close',
        id: 3,
        ...signClose(client.domain, { channelId, seq, cumulative, logHead }, client.signer),
      });
      const closed = await client.next();
      expect(closed.type === 'state' && closed.state.status).toBe('closed');
      closedIds.push(channelId);
    }
    const evicted = closedIds[0] as (typeof closedIds)[number];
    expect(hub.channel(evicted)).toBeUndefined();

    readGate.arm();
    client.send({ type: 'sync', id: 4, channelId: evicted });
    await readGate.hit;
    const closing = hub.close();
    // Held until the hub shut the connection (what it must not do) or a while passed.
    await Promise.race([client.closed, new Promise((resolve) => setTimeout(resolve, 300))]);
    readGate.release();
    const answer = await nextOrClosed(client);
    expect(answer?.type === 'state' && answer.state.status).toBe('closed');
    await closing;
  });
});
