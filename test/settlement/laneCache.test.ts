/**
 * Lanes of open channels as a bounded cache (ADR 0419): a hub whose `channelsCachedMax` is far
 * below the channels it serves pays on all of them (each evicted one read back from the store
 * with its claim mark), claims by policy through the store's settlement indexes, closes one
 * that was evicted, restarts without reading every channel, and finalizes them all at expiry,
 * with conservation and the ledger's audit after each step; on SQLite and PostgreSQL.
 */

import type { SettlementPolicy } from '@trickle/hub';
import { type ClientChannel, signClose } from '@trickle/protocol';
import { payFrames, type RawClient, rawClient } from '@trickle/testing/harness';
import { afterEach, describe, expect, it } from 'vitest';
import { testKey } from '../hub/fixtures.js';
import { openRaw } from '../hub/rawChannel.js';
import {
  type Backend,
  expectSound,
  funded,
  manualClock,
  presign,
  type SettlementHub,
  settlementHub,
} from './settlementHub.js';

const policy: Partial<SettlementPolicy> = {
  intervalMs: 24 * 3_600_000,
  unclaimedAmountMax: 1_000n,
  unclaimedAgeMsMax: 60_000,
  expiryMarginMs: 300_000,
  claimEntriesMax: 50,
  batchEntriesMax: 50,
};

const cachedMax = 3;
const channelCount = 12;

describe.each<Backend>(['sqlite', 'postgres'])('open channels beyond the lane cache on %s', (backend) => {
  let s: SettlementHub;
  let client: RawClient;
  afterEach(async () => {
    client?.close();
    await s?.cleanup();
  });

  it('pays, claims, closes, restarts and expires every channel right with 3 lanes cached of 12', async () => {
    const clock = manualClock();
    const limits = { channelsCachedMax: cachedMax, closedChannelsCachedMax: 1 };
    s = await settlementHub(backend, { clock, feePpm: 20_000, settlement: policy, limits });
    const label = `lane cache ${backend}`;
    await funded(s.hub.ledger, label, 100_000_000n);
    client = await rawClient(s.hub.url, testKey(label));
    const channels: ClientChannel[] = [];
    const paid: bigint[] = [];
    async function pay(i: number, count: number, amount: bigint) {
      const { frames, channel } = presign(client.domain, channels[i] as ClientChannel, client.signer, s.merchant, {
        count,
        amount,
        perVoucher: 2,
        nowMs: clock.now,
      });
      await payFrames(client, frames);
      channels[i] = channel;
      paid[i] = (paid[i] ?? 0n) + BigInt(count) * amount;
    }
    const held = (i: number) => s.hub.ledger.channel((channels[i] as ClientChannel).channelId);
    const idleLanes = async () => {
      // Lanes in memory once idle: the cached open ones, and at most one idle closed one.
      expect(s.hub.channelCount).toBeLessThanOrEqual(cachedMax + 1);
    };

    for (let i = 0; i < channelCount; i++) channels.push(await openRaw(client, 1_000_000n));
    // Two rounds: the second pays on channels the first round's later ones evicted.
    for (let i = 0; i < channelCount; i++) await pay(i, 2, 100n);
    await idleLanes();
    for (let i = 0; i < channelCount; i++) await pay(i, 2, i % 2 === 0 ? 300n : 10n);
    await idleLanes();
    for (let i = 0; i < channelCount; i++) {
      expect(s.hub.channel(channels[i]?.channelId as ClientChannel['channelId'])?.cumulative ?? paid[i]).toBe(paid[i]);
    }

    // Even channels owe 800 each, odd ones 220: the amount threshold (1,000) is not reached; the age is.
    let run = await s.hub.settlement.runOnce();
    expect(run.claimed.channels).toBe(0);
    expect(s.hub.settlement.backlog()).toMatchObject({ channels: channelCount, entries: 4 * channelCount });
    await pay(0, 1, 300n); // 1,100 unclaimed on channel 0: due by amount
    run = await s.hub.settlement.runOnce();
    expect(run.claimed.channels).toBe(1);
    expect((await held(0))?.claimed.cumulative).toBe(paid[0]);
    clock.advance(60_000);
    run = await s.hub.settlement.runOnce();
    expect(run.claimed.channels).toBe(channelCount - 1);
    for (let i = 0; i < channelCount; i++) expect((await held(i))?.claimed.cumulative).toBe(paid[i]);
    await idleLanes();
    await expectSound(s.hub.ledger);

    // More on every channel after the claims (the read-back lanes know the claimed seq), then a
    // cooperative close of channel 1, long evicted.
    for (let i = 0; i < channelCount; i++) await pay(i, 2, 5n);
    const channel1 = channels[1] as ClientChannel;
    client.send({ type: 'close', id: 77, ...signClose(client.domain, channel1, client.signer) });
    const closed = await client.next();
    expect(closed.type === 'state' && closed.state.status).toBe('closed');
    expect(await held(1)).toMatchObject({ claimed: { cumulative: paid[1] } });
    expect((await held(1))?.finalizedAtMs).toBeDefined();
    await expectSound(s.hub.ledger);

    // A restart reads no open channel; payments and claims go on from the store.
    client.close();
    await s.restart();
    expect(s.hub.channelCount).toBe(0);
    client = await rawClient(s.hub.url, testKey(label));
    for (let i = 2; i < channelCount; i++) await pay(i, 1, 7n);
    await idleLanes();
    clock.advance(60_000);
    run = await s.hub.settlement.runOnce();
    expect(run.claimed.channels).toBe(channelCount - 1); // channel 0 too: its last 2 payments
    for (let i = 0; i < channelCount; i++) expect((await held(i))?.claimed.cumulative).toBe(paid[i]);

    // Expiry: every open channel finalized at what it was paid, its wallet refunded the rest.
    clock.advance(2 * 3_600_000);
    run = await s.hub.settlement.runOnce();
    expect(run.finalized.expired).toBe(channelCount - 1);
    for (let i = 0; i < channelCount; i++) {
      const ledgerChannel = await held(i);
      expect(ledgerChannel?.finalizedAtMs).toBeDefined();
      expect(ledgerChannel?.claimed.cumulative).toBe(paid[i]);
    }
    await s.hub.settlement.runOnce();
    expect(s.hub.settlement.backlog()).toMatchObject({ channels: 0, entries: 0, closing: 0 });
    await idleLanes();
    await expectSound(s.hub.ledger);
  }, 120_000);
});
