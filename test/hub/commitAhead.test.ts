/**
 * A voucher committed ahead of its signature check (ADR 0415): the hub writes a batch while
 * its newest signature is checked off the event loop, and answers only once both are done.
 * These tests look at what the store holds when the signature fails: the write is there
 * (it was durable before the verdict), is never acknowledged or counted, and is reverted,
 * right away or, if that failed or the process stopped first, before the channel's next
 * work, including after a restart on the same store.
 */

import { join } from 'node:path';
import { createHub, type Hub } from '@trickle/hub';
import { sqliteChannelStore } from '@trickle/hub/sqlite';
import { type ClientChannel, createSigner, type HubChannel, publicKeyOf } from '@trickle/protocol';
import { type RawClient, rawClient } from '@trickle/testing/harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from './fixtures.js';
import { advance, frameFor, openRaw, syncState } from './rawChannel.js';

const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const mallory = createSigner(testKey('mallory'), { randomBytes });

/** The hub's SQLite store on `dir`, with its commits and reverts recorded; reverts fail while `failReverts`. */
function recordedStore(dir: string) {
  const store = sqliteChannelStore({ path: join(dir, 'channels.sqlite') });
  const committedSeqs: number[][] = [];
  const reverted: { to: HubChannel; seqs: number[] }[] = [];
  const control = { failReverts: false };
  const revert = store.revertVouchers?.bind(store);
  if (revert === undefined) throw new Error('the SQLite store reverts');
  return {
    control,
    committedSeqs,
    reverted,
    store: {
      ...store,
      async commit(writes: Parameters<typeof store.commit>[0]) {
        for (const w of writes) committedSeqs.push((w.vouchers ?? []).map((v) => v.seq));
        return store.commit(writes);
      },
      async revertVouchers(to: HubChannel, vouchers: Parameters<typeof revert>[1]) {
        reverted.push({ to, seqs: vouchers.map((v) => v.seq) });
        if (control.failReverts) throw new Error('the disk went away');
        return revert(to, vouchers);
      },
    },
  };
}

describe('a voucher committed ahead of its signature check', () => {
  let dir: ReturnType<typeof tempDir>;
  let recorded: ReturnType<typeof recordedStore>;
  let hub: Hub;
  let alice: RawClient;
  let merchant: ReturnType<typeof testMerchant>;
  let channel: ClientChannel;
  let errors: string[];

  async function start(): Promise<void> {
    recorded = recordedStore(dir.path);
    errors = [];
    hub = await createHub({
      dataDir: dir.path,
      networkId,
      store: recorded.store,
      onError: (error) => errors.push(String(error)),
    });
    merchant = testMerchant('ahead', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    alice = await rawClient(hub.url, testKey('alice'));
  }

  async function stop(): Promise<void> {
    alice.close();
    await hub.close();
    await recorded.store.close();
  }

  beforeEach(async () => {
    dir = tempDir();
    await start();
    await fund(hub, publicKeyOf(testKey('alice')), 10_000_000n);
    channel = await openRaw(alice, 1_000_000n);
    const first = frameFor(alice.domain, channel, [merchant.request(100n)], alice.signer);
    alice.send(first);
    expect((await alice.next()).type).toBe('receipts');
    channel = advance(channel, first);
  });
  afterEach(async () => {
    await stop();
    dir.remove();
  });

  it('is refused, never counted, and reverted: the store ends as if it had not come', async () => {
    const before = await syncState(alice, channel);
    const request = merchant.request(5n);
    alice.send(frameFor(alice.domain, channel, [request], mallory));
    const answer = await alice.next();
    expect(answer.type === 'reject' && answer.code).toBe('SIGNATURE_INVALID');
    // It was written (durable before the verdict), then reverted to the state before it.
    expect(recorded.committedSeqs).toContainEqual([2]);
    expect(recorded.reverted).toEqual([{ to: expect.objectContaining({ seq: 1 }), seqs: [2] }]);
    expect(await recorded.store.vouchers(channel.channelId, 2, 10)).toEqual([]);
    expect((await recorded.store.channel(channel.channelId))?.seq).toBe(1);
    const [mark] = (await recorded.store.claimMarks()).filter((m) =>
      m.channelId.every((b, i) => b === channel.channelId[i]),
    );
    expect(mark?.unclaimedEntries).toBe(1);
    expect(await syncState(alice, channel)).toEqual(before);
    // Its invoice is free again: paying it with a real signature is accepted.
    const real = frameFor(alice.domain, channel, [request], alice.signer);
    alice.send(real);
    expect((await alice.next()).type).toBe('receipts');
    const [stored] = await recorded.store.vouchers(channel.channelId, 2, 1);
    expect(stored?.signature).toEqual(real.signature);
  });

  it('whose revert failed is not built on: the next work reverts it first', async () => {
    recorded.control.failReverts = true;
    const request = merchant.request(5n);
    alice.send(frameFor(alice.domain, channel, [request], mallory));
    const answer = await alice.next();
    expect(answer.type === 'reject' && answer.code).toBe('INTERNAL'); // not acknowledged
    expect(errors).toEqual(['Error: the disk went away']);
    // What the store holds now: the voucher that did not verify, as seq 2.
    const [held] = await recorded.store.vouchers(channel.channelId, 2, 1);
    expect(held?.seq).toBe(2);
    recorded.control.failReverts = false;
    const real = frameFor(alice.domain, channel, [request], alice.signer);
    alice.send(real);
    expect((await alice.next()).type).toBe('receipts');
    const [stored] = await recorded.store.vouchers(channel.channelId, 2, 1);
    expect(stored?.signature).toEqual(real.signature);
    expect((await syncState(alice, channel)).seq).toBe(2);
  });

  it('left in the store by a stop before its revert is reverted after the restart', async () => {
    recorded.control.failReverts = true;
    const request = merchant.request(5n);
    alice.send(frameFor(alice.domain, channel, [request], mallory));
    expect((await alice.next()).type).toBe('reject');
    await stop();
    // The store as a stop between the write and its revert leaves it.
    const [held] = await sqliteChannelStoreVouchers(dir.path, channel, 2);
    expect(held?.seq).toBe(2);
    await start();
    // The hub started on it does not count the voucher, and takes the payer's real seq 2.
    const real = frameFor(alice.domain, channel, [request], alice.signer);
    alice.send(real);
    expect((await alice.next()).type).toBe('receipts');
    expect(recorded.reverted.map((r) => r.seqs)).toEqual([[2]]);
    const [stored] = await recorded.store.vouchers(channel.channelId, 2, 1);
    expect(stored?.signature).toEqual(real.signature);
    expect((await syncState(alice, channel)).cumulative).toBe(105n);
  });
});

/** Reads vouchers from the store file with a connection of its own. */
async function sqliteChannelStoreVouchers(dir: string, channel: ClientChannel, seq: number) {
  const store = sqliteChannelStore({ path: join(dir, 'channels.sqlite') });
  try {
    return await store.vouchers(channel.channelId, seq, 1);
  } finally {
    await store.close();
  }
}
