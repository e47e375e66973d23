/**
 * Closed channels do not stay in memory forever: the hub keeps at most
 * `limits.closedChannelsCachedMax` idle closed channels and evicts the least recently used.
 * An evicted channel is read back from the store when a client asks about it, so every
 * answer is the one it would have had in memory: its closed state, CHANNEL_CLOSED for a
 * pay or a top-up (a resent voucher included), its log with the original receipt MACs,
 * and the final state again for a resent open or close.
 */

import { createHub, type Hub } from '@trickle/hub';
import {
  type ChannelId,
  type ChannelState,
  type ClientChannel,
  type ClientMessageOf,
  checkReceiptMac,
  type HubMessage,
  type Mac,
  preparePayment,
  publicKeyOf,
  signClose,
  signOpenRequest,
  signTopUp,
  signVoucher,
} from '@trickle/protocol';
import { type RawClient, rawClient } from '@trickle/testing/harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant, usd } from './fixtures.js';

const cachedMax = 2;
const closedCount = 6;

type OpenMessage = ClientMessageOf<'open'>;
type PayFrame = ClientMessageOf<'pay'>;

/** One channel as the test drives it: what was sent and what came back. */
interface Driven {
  open: OpenMessage;
  channel: ClientChannel;
  /** The pay frames sent, in seq order, and the receipt MACs each got. */
  frames: PayFrame[];
  macs: Mac[][];
  close: ClientMessageOf<'close'>;
  closed: ChannelState;
}

function state(message: HubMessage): ChannelState {
  if (message.type !== 'state') {
    throw new Error(`expected state, got ${message.type} ${message.type === 'reject' ? message.code : ''}`);
  }
  return message.state;
}

/** The next `count` messages, in arrival order. */
async function take(client: RawClient, count: number): Promise<HubMessage[]> {
  const messages: HubMessage[] = [];
  for (let i = 0; i < count; i++) messages.push(await client.next());
  return messages;
}

const sameId = (a: ChannelId, b: ChannelId) => Buffer.from(a).equals(Buffer.from(b));

describe('closed channels in memory', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let client: RawClient;
  let merchant: ReturnType<typeof testMerchant>;
  let nextId = 1;

  beforeEach(async () => {
    dir = tempDir();
    hub = await createHub({ dataDir: dir.path, networkId, limits: { closedChannelsCachedMax: cachedMax } });
    await fund(hub, publicKeyOf(testKey('closed channels')), 1_000_000n);
    merchant = testMerchant('closed channels', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    client = await rawClient(hub.url, testKey('closed channels'));
  });
  afterEach(async () => {
    client.close();
    await hub.close();
    dir.remove();
  });

  async function openChannel(deposit: bigint): Promise<{ open: OpenMessage; channel: ClientChannel }> {
    const signed = signOpenRequest(
      client.domain,
      {
        nonce: crypto.getRandomValues(new Uint8Array(16)),
        asset: usd,
        deposit,
        expiresAtMs: Date.now() + 3_600_000,
      },
      client.signer,
    );
    const open: OpenMessage = { type: 'open', id: nextId++, ...signed, asset: usd, deposit };
    client.send(open);
    const opened = state(await client.next());
    const { channelId, asset, expiresAtMs, seq, cumulative, logHead } = opened;
    return { open, channel: { channelId, asset, deposit: opened.deposit, expiresAtMs, seq, cumulative, logHead } };
  }

  function payFrame(channel: ClientChannel, amounts: bigint[]): { frame: PayFrame; channel: ClientChannel } {
    const prepared = preparePayment(
      client.domain,
      channel,
      amounts.map((amount) => merchant.request(amount)),
      Date.now(),
    );
    const frame: PayFrame = {
      type: 'pay',
      id: prepared.voucher.seq,
      ...signVoucher(client.domain, prepared.voucher, client.signer),
      entries: [...prepared.entries],
    };
    return { frame, channel: prepared.channel };
  }

  /** Opens a channel, pays two vouchers, closes it. */
  async function payAndClose(index: number): Promise<Driven> {
    const opened = await openChannel(10_000n);
    let channel = opened.channel;
    const frames: PayFrame[] = [];
    const macs: Mac[][] = [];
    for (const amounts of [[10n + BigInt(index)], [3n, 4n]]) {
      const paid = payFrame(channel, amounts);
      client.send(paid.frame);
      const answer = await client.next();
      if (answer.type !== 'receipts') throw new Error(`expected receipts, got ${answer.type}`);
      frames.push(paid.frame);
      macs.push(answer.macs);
      channel = paid.channel;
    }
    const signed = signClose(
      client.domain,
      { channelId: channel.channelId, seq: channel.seq, cumulative: channel.cumulative, logHead: channel.logHead },
      client.signer,
    );
    const close: ClientMessageOf<'close'> = {
      type: 'close',
      id: nextId++,
      channelId: channel.channelId,
      seq: channel.seq,
      cumulative: channel.cumulative,
      logHead: channel.logHead,
      signature: signed.signature,
    };
    client.send(close);
    const closed = state(await client.next());
    expect(closed.status).toBe('closed');
    return { open: opened.open, channel, frames, macs, close, closed };
  }

  it('keeps at most closedChannelsCachedMax closed channels, never an open one', async () => {
    const stillOpen = await openChannel(1_000n);
    const driven: Driven[] = [];
    for (let i = 0; i < closedCount; i++) {
      driven.push(await payAndClose(i));
      // The open channel and at most `cachedMax` closed ones.
      expect(hub.channelCount).toBe(1 + Math.min(i + 1, cachedMax));
    }
    expect(hub.channel(stillOpen.channel.channelId)?.status).toBe('open');
    // The most recently closed are in memory; the others were evicted.
    for (const [i, d] of driven.entries()) {
      const inMemory = hub.channel(d.channel.channelId);
      if (i >= closedCount - cachedMax) expect(inMemory).toEqual(d.closed);
      else expect(inMemory).toBeUndefined();
    }

    // The open channel still takes payments.
    const paid = payFrame(stillOpen.channel, [5n]);
    client.send(paid.frame);
    expect(await client.next()).toMatchObject({ type: 'receipts', seq: 1 });
    expect(hub.channelCount).toBe(1 + cachedMax);
  });

  it('answers about an evicted closed channel as it did before eviction', async () => {
    const driven: Driven[] = [];
    for (let i = 0; i < closedCount; i++) driven.push(await payAndClose(i));
    const evicted = driven[0] as Driven;
    const { channelId } = evicted.channel;
    expect(hub.channel(channelId)).toBeUndefined();
    expect(hub.channelCount).toBe(cachedMax);

    // sync: the closed state.
    client.send({ type: 'sync', id: nextId++, channelId });
    expect(state(await client.next())).toEqual(evicted.closed);

    // A resent voucher (the last accepted one) and a new one: CHANNEL_CLOSED with the closed state.
    const resent = evicted.frames[1] as PayFrame;
    client.send(resent);
    const next = payFrame(evicted.channel, [1n]);
    client.send(next.frame);
    const rejects = await take(client, 2);
    expect(rejects).toEqual([
      expect.objectContaining({ type: 'reject', seq: resent.seq, code: 'CHANNEL_CLOSED', state: evicted.closed }),
      expect.objectContaining({ type: 'reject', seq: next.frame.seq, code: 'CHANNEL_CLOSED', state: evicted.closed }),
    ]);

    // log: every voucher with the receipt MACs it was first answered with.
    client.send({ type: 'log', id: nextId++, channelId, fromSeq: 1, limit: 10 });
    const page = await client.next();
    if (page.type !== 'logPage') throw new Error(`expected logPage, got ${page.type}`);
    expect(page.more).toBe(false);
    expect(page.vouchers.map((v) => v.seq)).toEqual([1, 2]);
    expect(page.vouchers.map((v) => v.macs)).toEqual(evicted.macs);
    const last = page.vouchers[1] as (typeof page.vouchers)[number];
    last.entries.forEach((entry, i) => {
      const receipt = {
        networkId,
        hubId: hub.hubId,
        channelId,
        seq: last.seq,
        payee: entry.payee,
        invoiceId: entry.invoiceId,
        asset: usd,
        amount: entry.amount,
        mac: last.macs[i] as Mac,
      };
      expect(checkReceiptMac(merchant.macKey, receipt)).toBe(true);
    });

    // topUp: CHANNEL_CLOSED; a resent close or open: the final state.
    const topUp = signTopUp(client.domain, { channelId, deposit: 20_000n }, client.signer);
    client.send({ type: 'topUp', id: nextId, channelId, deposit: 20_000n, signature: topUp.signature });
    expect(await client.next()).toMatchObject({ type: 'reject', id: nextId++, code: 'CHANNEL_CLOSED' });
    client.send({ ...evicted.close, id: nextId++ });
    expect(state(await client.next())).toEqual(evicted.closed);
    client.send({ ...evicted.open, id: nextId++ });
    expect(state(await client.next())).toEqual(evicted.closed);

    // Asking brought it back as the most recently used; memory stays bounded.
    expect(hub.channel(channelId)).toEqual(evicted.closed);
    expect(hub.channelCount).toBe(cachedMax);
  });

  it('answers requests on several evicted channels at once, and memory stays bounded', async () => {
    const driven: Driven[] = [];
    for (let i = 0; i < closedCount; i++) driven.push(await payAndClose(i));
    // Everything pipelined, for every channel: the reloads, the eviction they cause and the
    // lanes' queued work interleave.
    const firstId = nextId;
    for (const d of driven) {
      client.send(d.frames[0] as PayFrame);
      client.send({ type: 'sync', id: nextId++, channelId: d.channel.channelId });
      client.send(d.frames[1] as PayFrame);
      client.send({ type: 'log', id: nextId++, channelId: d.channel.channelId, fromSeq: 1, limit: 10 });
    }
    const answers = await take(client, driven.length * 4);
    for (const [i, d] of driven.entries()) {
      const about = answers.filter((m) => 'channelId' in m && sameId(m.channelId, d.channel.channelId));
      const rejects = about.filter((m) => m.type === 'reject');
      expect(rejects.map((m) => m.type === 'reject' && [m.seq, m.code, m.state])).toEqual([
        [1, 'CHANNEL_CLOSED', d.closed],
        [2, 'CHANNEL_CLOSED', d.closed],
      ]);
      const page = about.find((m) => m.type === 'logPage');
      expect(page?.type === 'logPage' && page.vouchers.map((v) => v.macs)).toEqual(d.macs);
      const sync = answers.find((m) => m.type === 'state' && m.id === firstId + 2 * i);
      expect(sync?.type === 'state' && sync.state).toEqual(d.closed);
    }
    expect(hub.channelCount).toBeLessThanOrEqual(cachedMax);

    // Another key asking about an evicted channel is told nothing and brings nothing back.
    const stranger = await rawClient(hub.url, testKey('closed channels stranger'));
    try {
      const evicted = driven.find((d) => hub.channel(d.channel.channelId) === undefined) as Driven;
      stranger.send({ type: 'sync', id: 1, channelId: evicted.channel.channelId });
      expect(await stranger.next()).toMatchObject({ type: 'reject', id: 1, code: 'UNKNOWN_CHANNEL' });
      stranger.send(evicted.frames[0] as PayFrame);
      expect(await stranger.next()).toMatchObject({ type: 'reject', code: 'UNKNOWN_CHANNEL' });
      expect(hub.channel(evicted.channel.channelId)).toBeUndefined();
      expect(hub.channelCount).toBeLessThanOrEqual(cachedMax);
    } finally {
      stranger.close();
    }
  });
});
