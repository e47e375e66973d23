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
import { payFrames, type RawClient, rawClient } from '@trickle/testing/harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testKey, usd } from '../hub/fixtures.js';
import { openRaw } from '../hub/rawChannel.js';
import {
  type Backend,
  expectSound,
  funded,
  manualClock,
  presign,
  type SettlementHub,
  settlementHub,
  stateAt,
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
  /** Pays `count` payments of `amount` on a channel, `perVoucher` per voucher; returns the frames sent. */
  async function pay(name: string, count: number, amount: bigint, perVoucher = 10) {
    const from = channels.get(name) as ClientChannel;
    const { frames, channel } = presign(client.domain, from, client.signer, s.merchant, {
      count,
      amount,
      perVoucher,
      nowMs: clock.now,
    });
    await payFrames(client, frames);
    channels.set(name, channel);
    return frames;
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

  it('claims a batch with a failing channel in it: the others are claimed, the refused one is caught up', async () => {
    await start();
    await open('a');
    await open('gone');
    await open('c');
    await pay('a', 2, 600n);
    const goneFrames = await pay('gone', 3, 500n, 1);
    await pay('c', 3, 400n);
    // Another process on the same ledger settled one channel at an earlier state (a claim at or
    // below a settled state is answered as done; one beyond it is refused).
    const gone = channels.get('gone') as ClientChannel;
    await s.hub.ledger.closeCooperative(stateAt(goneFrames, 2));
    expect(s.hub.channel(gone.channelId)?.status).toBe('open');
    const run = await s.hub.settlement.runOnce();
    // One ledger batch of three claims: two claimed, one refused, by index.
    expect(run.claimed).toMatchObject({ channels: 2, batches: 1, amounts: { 'USD:6': 2_400n } });
    expect(run.refused).toEqual({ CHANNEL_NOT_OPEN: 1 });
    expect(await claimed('a')).toMatchObject({ seq: 1, cumulative: 1_200n });
    expect(await claimed('c')).toMatchObject({ seq: 1, cumulative: 1_200n });
    // The hub learns the close from the refusal and tells the payer; the channel leaves the backlog.
    expect(s.hub.channel(gone.channelId)?.status).toBe('closed');
    const told = await client.next();
    expect(told).toMatchObject({ type: 'closed', seq: 2, cumulative: 1_000n });
    expect(s.hub.settlement.backlog()).toMatchObject({ channels: 0, entries: 0 });
    await expectSound(s.hub.ledger);
    const again = await s.hub.settlement.runOnce();
    expect(again).toMatchObject({ claimed: { channels: 0 }, refused: {}, errors: 0 });
  });

  it('paused, it still finalizes an expired channel (expiry has a deadline)', async () => {
    await start({ paused: true });
    const channel = await open('expires', 10_000n);
    await pay('expires', 4, 250n);
    clock.advance(channel.expiresAtMs - clock.now);
    const run = await s.hub.settlement.runOnce();
    expect(run).toMatchObject({ paused: true, finalized: { expired: 1 }, claimed: { channels: 1, entries: 4 } });
    const held = await s.hub.ledger.channel(channel.channelId);
    expect(held).toMatchObject({ claimed: { seq: 1, cumulative: 1_000n }, close: { kind: 'expiry' } });
    expect(held?.finalizedAtMs).toBeDefined();
    expect(s.hub.channel(channel.channelId)?.status).toBe('closed');
    expect(s.hub.settlement.backlog()).toMatchObject({ channels: 0, closing: 0 });
    await expectSound(s.hub.ledger);
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
  it('runs an above-an-amount payout rule when the balance reaches it, once per balance', async () => {
    const rules = (payee: Uint8Array): PayoutRule[] => [
      { payee: payee as never, asset: usd, when: { above: 10_000n } },
    ];
    await start({ unclaimedAmountMax: 1n, payoutIntervalMs: 1 });
    const payee = s.merchant.payee;
    await s.restart({ payoutRules: rules(payee) });
    client = await rawClient(s.hub.url, testKey(`scheduler ${backend} ${labels}`));
    await open('big');
    await pay('big', 1, 5_000n);
    // 4,900 after the 2% fee: below the amount.
    const below = await s.hub.settlement.runOnce();
    expect(below.payouts).toEqual({ paid: 0, skipped: 1, failed: 0 });
    expect((await s.hub.ledger.payeeAccount(payee, usd))?.balance).toBe(4_900n);
    await pay('big', 1, 6_000n);
    clock.advance(1);
    const reached = await s.hub.settlement.runOnce();
    expect(reached.payouts).toEqual({ paid: 1, skipped: 0, failed: 0 });
    expect((await s.hub.ledger.payeeAccount(payee, usd))?.balance).toBe(0n);
    // A restart and another run over the same balance pay nothing twice.
    await s.restart({ payoutRules: rules(payee) });
    clock.advance(1);
    const after = await s.hub.settlement.runOnce();
    expect(after.payouts).toEqual({ paid: 0, skipped: 1, failed: 0 });
    const statement = await s.hub.ledger.statement({
      payee,
      asset: usd,
      fromMs: clock.now - dayMs,
      toMs: clock.now + 1,
    });
    expect(statement).toMatchObject({
      earned: 11_000n,
      fees: 220n,
      claimed: 10_780n,
      paidOut: 10_780n,
      closingBalance: 0n,
    });
    await expectSound(s.hub.ledger);
  });
});
