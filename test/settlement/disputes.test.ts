/**
 * Disputes through the real hub and ledger, on SQLite and PostgreSQL, with a manual clock:
 * a payer forces a close with a stale state over the wire and the hub answers with its
 * newer one in the window (the payer is told); a stale close recorded while the hub was
 * down is answered after the hub restarts mid-window; one found only after the window is
 * too late: the ledger refuses the answer and the stale state settles. A forced close by
 * the wallet, and expiry, finalize by themselves and the wallet is told.
 */

import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { challengeWindowMsDefault } from '@trickle/ledger';
import type { ClientChannel, HubMessage, HubMessageOf } from '@trickle/protocol';
import { payFrames, type RawClient, rawClient } from '@trickle/testing/harness';
import { afterEach, describe, expect, it } from 'vitest';
import { networkId, testKey, usd } from '../hub/fixtures.js';
import { openRaw, type PayFrame } from '../hub/rawChannel.js';
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

const windowMs = challengeWindowMsDefault;

/** The next message of a type, skipping others. */
async function nextOf<T extends HubMessage['type']>(
  client: RawClient,
  type: T,
): Promise<Extract<HubMessage, { type: T }>> {
  for (;;) {
    const message = await client.next();
    if (message.type === type) return message as Extract<HubMessage, { type: T }>;
  }
}

describe.each<Backend>(['sqlite', 'postgres'])('disputes on %s', (backend) => {
  let clock: ReturnType<typeof manualClock>;
  let s: SettlementHub;
  let client: RawClient | undefined;
  let wallet: Wallet | undefined;
  afterEach(async () => {
    client?.close();
    await wallet?.stop();
    wallet = undefined;
    await s?.cleanup();
  });

  /** A hub with no background runs, a payer's channel and five paid vouchers of two entries. */
  async function paidChannel(label: string) {
    clock = manualClock();
    s = await settlementHub(backend, { clock, feePpm: 10_000, settlement: { intervalMs: 24 * 3_600_000 } });
    await funded(s.hub.ledger, label, 10_000_000n);
    client = await rawClient(s.hub.url, testKey(label));
    const opened = await openRaw(client, 100_000n);
    const { frames, channel } = presign(client.domain, opened, client.signer, s.merchant, {
      count: 10,
      amount: 1_000n,
      perVoucher: 2,
      nowMs: clock.now,
    });
    await payFrames(client, frames);
    return { frames, channel, opened };
  }

  const settled = async (channel: ClientChannel) => (await s.hub.ledger.channel(channel.channelId))?.claimed;

  it('a stale forced close over the wire is answered in time with the newer state, which settles', async () => {
    const { frames, channel } = await paidChannel(`dispute wire ${backend}`);
    const raw = client as RawClient;
    const stale = frames[1] as PayFrame;
    raw.send({
      type: 'forceClose',
      id: 21,
      channelId: channel.channelId,
      seq: stale.seq,
      cumulative: stale.cumulative,
      logHead: stale.logHead,
      signature: stale.signature,
    });
    const recorded = (await nextOf(raw, 'closing')) as HubMessageOf<'closing'>;
    expect(recorded).toMatchObject({ id: 21, close: { by: 'client', seq: 2, cumulative: 4_000n } });
    expect(recorded.close.endsAtMs).toBe(clock.now + windowMs);
    // The hub's answer, told to the payer: the newer state replaces the stale one.
    const answered = await nextOf(raw, 'closing');
    expect(answered).toMatchObject({ close: { by: 'client', seq: 5, cumulative: 10_000n } });
    expect(answered.id).toBeUndefined();
    // Payments stop while it closes.
    const more = presign(raw.domain, channel, raw.signer, s.merchant, {
      count: 1,
      amount: 1n,
      perVoucher: 1,
      nowMs: clock.now,
    });
    raw.send(more.frames[0] as PayFrame);
    expect(await raw.next()).toMatchObject({ type: 'reject', code: 'CHANNEL_CLOSED' });
    clock.advance(windowMs);
    const run = await s.hub.settlement.runOnce();
    expect(run.finalized.due).toBe(1);
    const closed = await nextOf(raw, 'closed');
    expect(closed).toMatchObject({ seq: 5, cumulative: 10_000n, refund: 90_000n, state: { status: 'closed' } });
    expect((await settled(channel))?.cumulative).toBe(10_000n);
    await expectSound(s.hub.ledger);
  });

  it('a stale close recorded while the hub was down is answered after it restarts mid-window', async () => {
    const { frames, channel } = await paidChannel(`dispute restart ${backend}`);
    client?.close();
    await s.stop();
    const ledger = await s.openLedger();
    await ledger.startClose({ ...stateAt(frames, 1), by: 'client' });
    await ledger.close();
    clock.advance(windowMs / 2);
    await s.start();
    const run = await s.hub.settlement.runOnce();
    expect(run.disputes).toEqual({ answered: 1, late: 0 });
    expect((await s.hub.ledger.channel(channel.channelId))?.close?.state.seq).toBe(5);
    expect(s.hub.channel(channel.channelId)?.status).toBe('closing');
    clock.advance(windowMs / 2);
    await s.hub.settlement.runOnce();
    expect(await settled(channel)).toMatchObject({ seq: 5, cumulative: 10_000n });
    expect(s.hub.channel(channel.channelId)?.status).toBe('closed');
    await expectSound(s.hub.ledger);
  });

  it('an answer after the window is too late: the ledger refuses it and the stale state settles', async () => {
    const { frames, channel } = await paidChannel(`dispute late ${backend}`);
    client?.close();
    await s.stop();
    const ledger = await s.openLedger();
    await ledger.startClose({ ...stateAt(frames, 2), by: 'client' });
    await ledger.close();
    clock.advance(windowMs);
    await s.start();
    await expect(s.hub.ledger.startClose({ ...stateAt(frames, 5), by: 'hub' })).rejects.toMatchObject({
      code: 'CHANNEL_NOT_OPEN',
    });
    const run = await s.hub.settlement.runOnce();
    expect(run.disputes.answered).toBe(0);
    expect(run.finalized.due).toBe(1);
    expect(await settled(channel)).toMatchObject({ seq: 2, cumulative: 4_000n });
    expect(s.hub.channel(channel.channelId)?.status).toBe('closed');
    await expectSound(s.hub.ledger);
  });

  it('the wallet forces a close and is told when it settles; an expired channel settles by itself', async () => {
    clock = manualClock();
    s = await settlementHub(backend, { clock, feePpm: 0, settlement: { intervalMs: 24 * 3_600_000 } });
    const key = testKey(`wallet force ${backend}`);
    await funded(s.hub.ledger, `wallet force ${backend}`, 10_000_000n);
    const open = async () =>
      createWallet({
        key,
        hub: { url: s.hub.url, networkId },
        store: memoryStore(),
        clock,
        reconnectDelayMsMin: 20,
      });
    wallet = await open();
    await wallet.openChannel({ deposit: 50_000n });
    for (let i = 0; i < 3; i++) await wallet.pay(s.merchant.request(1_000n, clock.now + 3_600_000));
    const closing = new Promise((resolve) => wallet?.on('closing', resolve));
    const closed = new Promise<{ refund: bigint }>((resolve) => wallet?.on('closed', resolve));
    const forced = await wallet.forceClose();
    expect(forced.close).toMatchObject({ by: 'client', seq: 3, cumulative: 3_000n });
    expect(wallet.balance()?.status).toBe('closing');
    await closing;
    clock.advance(windowMs);
    await s.hub.settlement.runOnce();
    expect((await closed).refund).toBe(47_000n);
    expect(wallet.balance()?.status).toBe('closed');
    await wallet.stop();

    // Expiry: no close at all; the hub claims, finalizes at once, and tells the wallet.
    wallet = await open();
    await wallet.openChannel({ deposit: 20_000n, lifetimeMs: 120_000 });
    await wallet.pay(s.merchant.request(500n, clock.now + 60_000));
    const expired = new Promise<{ refund: bigint }>((resolve) => wallet?.on('closed', resolve));
    clock.advance(120_000);
    const run = await s.hub.settlement.runOnce();
    expect(run.finalized.expired).toBe(1);
    expect((await expired).refund).toBe(19_500n);
    const balance = wallet.balance();
    expect(balance?.status).toBe('closed');
    const held = await s.hub.ledger.channel(balance?.channelId as never);
    expect(held?.close?.kind).toBe('expiry');
    expect((await s.hub.ledger.payerAccount(wallet.publicKey, usd))?.balance).toBe(10_000_000n - 3_000n - 500n);
    await expectSound(s.hub.ledger);
  });
});
