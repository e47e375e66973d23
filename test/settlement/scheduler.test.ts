/**
 * The settlement scheduler's policy, driven run by run with a manual clock (no background
 * runs), through the real hub and ledger on SQLite and PostgreSQL: the unclaimed-amount
 * and entry thresholds, the maximum age, the expiry margin, the liability cap, pause and
 * resume, its figures; claims mixed with payments, top-ups and a close with conservation
 * and the audit after every step; payout rules run idempotently and statements per day.
 */

import type { SettlementPolicy } from '@trickle/hub';
import { dayMs, type PayoutRule } from '@trickle/ledger';
import { type ClientChannel, signClose, signTopUp } from '@trickle/protocol';
import { type RawClient, rawClient } from '@trickle/testing/harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testKey, usd } from '../hub/fixtures.js';
import { openRaw } from '../hub/rawChannel.js';
import {
  type Backend,
  expectSound,
  funded,
  manualClock,
  payAll,
  presign,
  type SettlementHub,
  settlementHub,
} from './settlementHub.js';

const quiet: Partial<SettlementPolicy> = {
  intervalMs: 24 * 3_600_000,
  unclaimedAmountMax: 1_000n,
  unclaimedAgeMsMax: 60_000,
  expiryMarginMs: 300_000,
  claimEntriesMax: 50,
  batchEntriesMax: 50,
};

describe.each<Backend>(['sqlite', 'postgres'])('the settlement scheduler on %s', (backend) => {
  let clock: ReturnType<typeof manualClock>;
  let s: SettlementHub;
  let client: RawClient;
  let labels = 0;
  const channels = new Map<string, ClientChannel>();

  async function start(policy: Partial<SettlementPolicy> = {}, payoutRules: PayoutRule[] = []) {
    s = await settlementHub(backend, { clock, feePpm: 20_000, settlement: { ...quiet, ...policy }, payoutRules });
    const label = `scheduler ${backend} ${++labels}`;
    await funded(s.hub.ledger, label, 100_000_000n);
    client = await rawClient(s.hub.url, testKey(label));
  }
  /** Opens a channel (an hour to expiry by the hub's clock). */
  async function open(name: string, deposit = 1_000_000n) {
    const channel = await openRaw(client, deposit);
    channels.set(name, channel);
    return channel;
  }
  /** Pays `count` payments of `amount` on a channel, `perVoucher` per voucher. */
  async function pay(name: string, count: number, amount: bigint, perVoucher = 10) {
    const from = channels.get(name) as ClientChannel;
    const { frames, channel } = presign(client.domain, from, client.signer, s.merchant, {
      count,
      amount,
      perVoucher,
      nowMs: clock.now,
    });
    await payAll(client, frames);
    channels.set(name, channel);
  }
  const claimed = async (name: string) =>
    (await s.hub.ledger.channel((channels.get(name) as ClientChannel).channelId))?.claimed;

  beforeEach(() => {
    clock = manualClock();
    channels.clear();
  });
  afterEach(async () => {
    client?.close();
    await s?.cleanup();
  });

  it('claims a channel past the amount or entry threshold, and no other', async () => {
    await start();
    await open('below');
    await open('amount');
    await open('entries');
    await pay('below', 3, 300n);
    await pay('amount', 4, 250n);
    await pay('entries', 55, 1n, 5);
    const run = await s.hub.settlement.runOnce();
    expect((await claimed('below'))?.seq).toBe(0);
    expect(await claimed('amount')).toMatchObject({ seq: 1, cumulative: 1_000n });
    // A page of at most claimEntriesMax (50) entries: 10 vouchers of 5; the 5 entries left wait.
    expect(await claimed('entries')).toMatchObject({ seq: 10, cumulative: 50n });
    expect(run.claimed).toMatchObject({ channels: 2, entries: 54, amounts: { 'USD:6': 1_050n } });
    expect(s.hub.settlement.backlog()).toMatchObject({ channels: 2, entries: 8, amounts: { 'USD:6': 905n } });
    await pay('below', 1, 100n);
    await s.hub.settlement.runOnce();
    expect((await claimed('below'))?.cumulative).toBe(1_000n);
    await expectSound(s.hub.ledger);
  });

  it('claims what is unclaimed longer than the maximum age', async () => {
    await start();
    await open('old');
    await pay('old', 2, 5n);
    const since = clock.now;
    await s.hub.settlement.runOnce();
    expect((await claimed('old'))?.seq).toBe(0);
    expect(s.hub.settlement.backlog().oldestUnclaimedAtMs).toBe(since);
    clock.advance(59_999);
    await s.hub.settlement.runOnce();
    expect((await claimed('old'))?.seq).toBe(0);
    clock.advance(1);
    await s.hub.settlement.runOnce();
    expect((await claimed('old'))?.cumulative).toBe(10n);
    expect(s.hub.settlement.backlog()).toMatchObject({ channels: 0, oldestUnclaimedAtMs: undefined });
    await expectSound(s.hub.ledger);
  });

  it('claims everything once a channel nears its expiry', async () => {
    await start({ unclaimedAgeMsMax: 24 * 3_600_000 });
    const channel = await open('expiring');
    await pay('expiring', 3, 7n);
    clock.advance(channel.expiresAtMs - clock.now - 300_001);
    await s.hub.settlement.runOnce();
    expect((await claimed('expiring'))?.seq).toBe(0);
    clock.advance(1);
    await s.hub.settlement.runOnce();
    expect((await claimed('expiring'))?.cumulative).toBe(21n);
    await expectSound(s.hub.ledger);
  });

  it('counts the age of what is unclaimed across a restart', async () => {
    await start({ unclaimedAgeMsMax: 30 * 60_000 });
    await open('aged');
    await pay('aged', 1, 7n);
    clock.advance(20 * 60_000);
    // A restart forgets nothing the policy needs: the oldest unclaimed time is in the store.
    await s.restart();
    client = await rawClient(s.hub.url, testKey(`scheduler ${backend} ${labels}`));
    await s.hub.settlement.runOnce();
    expect((await claimed('aged'))?.seq).toBe(0);
    clock.advance(10 * 60_000);
    await s.hub.settlement.runOnce();
    expect((await claimed('aged'))?.cumulative).toBe(7n);
    await expectSound(s.hub.ledger);
  });

  it('claims the largest channels while the unsettled total is above the liability cap', async () => {
    await start({ unclaimedAmountMax: 1_000_000n, liabilityMax: 500n });
    await open('x');
    await open('y');
    await open('z');
    await pay('x', 1, 300n);
    await pay('y', 1, 200n);
    await pay('z', 1, 100n);
    await s.hub.settlement.runOnce();
    expect((await claimed('x'))?.cumulative).toBe(300n);
    expect((await claimed('y'))?.seq).toBe(0);
    expect((await claimed('z'))?.seq).toBe(0);
    expect(s.hub.settlement.backlog().amounts).toEqual({ 'USD:6': 300n });
    await expectSound(s.hub.ledger);
  });

  it('pauses and resumes; its last run and backlog are readable', async () => {
    await start({ paused: true });
    expect(s.hub.settlement.paused).toBe(true);
    await open('p');
    await pay('p', 2, 600n);
    const idle = await s.hub.settlement.runOnce();
    expect(idle).toMatchObject({ paused: true, claimed: { channels: 0 } });
    expect((await claimed('p'))?.seq).toBe(0);
    expect(s.hub.settlement.backlog()).toMatchObject({ channels: 1, entries: 2, amounts: { 'USD:6': 1_200n } });
    s.hub.settlement.resume();
    const run = await s.hub.settlement.runOnce();
    expect(run).toMatchObject({ paused: false, claimed: { channels: 1, entries: 2 }, errors: 0 });
    expect(s.hub.settlement.lastRun).toEqual(run);
    expect((await claimed('p'))?.cumulative).toBe(1_200n);
  });

  it('claims mixed with payments, top-ups and a close keep conservation and the audit', async () => {
    await start({ unclaimedAmountMax: 100n });
    const step = async () => {
      await s.hub.settlement.runOnce();
      await expectSound(s.hub.ledger);
    };
    await open('m', 1_000n);
    await pay('m', 3, 50n);
    await step();
    const topUp = signTopUp(
      client.domain,
      { channelId: channels.get('m')?.channelId as never, deposit: 5_000n },
      client.signer,
    );
    client.send({ type: 'topUp', id: 3, ...topUp });
    expect((await client.next()).type).toBe('state');
    channels.set('m', { ...(channels.get('m') as ClientChannel), deposit: 5_000n });
    await step();
    await pay('m', 20, 100n, 3);
    await step();
    await pay('m', 1, 1n);
    const channel = channels.get('m') as ClientChannel;
    client.send({ type: 'close', id: 4, ...signClose(client.domain, channel, client.signer) });
    const answer = await client.next();
    expect(answer.type === 'state' && answer.state.status).toBe('closed');
    await step();
    const held = await s.hub.ledger.channel(channel.channelId);
    expect(held?.claimed.cumulative).toBe(150n + 2_000n + 1n);
    expect((await s.hub.ledger.payerAccount(client.signer.publicKey, usd))?.balance).toBe(100_000_000n - 2_151n);
  });

  it('runs payout rules once per day and states the merchant’s days', async () => {
    clock = manualClock(Date.UTC(2026, 11, 1, 10));
    const rules = (payee: Uint8Array): PayoutRule[] => [{ payee: payee as never, asset: usd, when: 'daily' }];
    s = undefined as never;
    await start({ unclaimedAmountMax: 1n, payoutIntervalMs: 1 }, []);
    const payee = s.merchant.payee;
    await s.restart({ payoutRules: rules(payee) });
    client = await rawClient(s.hub.url, testKey(`scheduler ${backend} ${labels}`));
    await open('shop');
    await pay('shop', 2, 5_000n);
    const first = await s.hub.settlement.runOnce();
    expect(first.payouts).toEqual({ paid: 1, skipped: 0, failed: 0 });
    await pay('shop', 1, 5_000n);
    clock.advance(1);
    const again = await s.hub.settlement.runOnce();
    expect(again.payouts).toEqual({ paid: 0, skipped: 1, failed: 0 });
    clock.advance(dayMs);
    await s.hub.settlement.runOnce();
    const ledger = s.hub.ledger;
    expect((await ledger.payeeAccount(payee, usd))?.balance).toBe(0n);
    const statement = await ledger.statement({
      payee,
      asset: usd,
      fromMs: Date.UTC(2026, 11, 1),
      toMs: Date.UTC(2026, 11, 3),
    });
    expect(statement).toMatchObject({
      earned: 15_000n,
      fees: 300n,
      claimed: 14_700n,
      paidOut: 14_700n,
      openingBalance: 0n,
      closingBalance: 0n,
    });
    expect(statement.days.map((d) => [d.day, d.paidOut])).toEqual([
      ['2026-12-01', 9_800n],
      ['2026-12-02', 4_900n],
    ]);
    await expectSound(ledger);
  });
});
