/**
 * Receiving in the wallet's pure machine (ADR 0240): an incoming payment is stored before
 * the listeners hear of it and before it is acknowledged; a repeat is dropped; a gap closes
 * the connection so the hub replays from the cursor; a failed write rolls the cursor back.
 * Clearing notices (ADR 0243) share the inbox's order and are held the same way; each
 * payment then carries the clearing time of the notice whose voucher range holds it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type HubMessage,
  type HubMessageOf,
  type IncomingPayment,
  type PaymentsCleared,
  receivedPayments,
  stepWallet,
  type WalletEffect,
  type WalletState,
} from '../src/index.js';
import { usd } from './helpers.js';
import { World } from './walletWorld.js';

function incoming(seq: number, amount = 5n): HubMessageOf<'incoming'> {
  return {
    type: 'incoming',
    seq,
    channelId: new Uint8Array(32).fill(1) as HubMessageOf<'incoming'>['channelId'],
    voucherSeq: seq,
    invoiceId: new Uint8Array(16).fill(seq) as HubMessageOf<'incoming'>['invoiceId'],
    asset: usd,
    amount,
    memo: `#${seq}`,
    mac: new Uint8Array(32).fill(2) as HubMessageOf<'incoming'>['mac'],
    timeMs: 1_000 + seq,
  };
}

function receivingWorld(): World {
  const world = new World({ receive: true });
  expect(world.settle()).toBe(true);
  expect(world.state.link.phase).toBe('ready');
  return world;
}

const frame = (state: WalletState, seq: number, nowMs = 5_000) =>
  stepWallet(state, { type: 'frame', message: incoming(seq), nowMs });
const kinds = (effects: readonly WalletEffect[]) =>
  effects.map((e) => (e.type === 'emit' ? `emit:${e.event}` : e.type));

describe('receiving in the wallet machine', () => {
  it('asks for what arrived after the cursor it holds once ready', () => {
    const world = receivingWorld();
    expect(world.hubSaw.some((m) => m.type === 'receive' && m.after === 0)).toBe(true);
  });

  it('stores a payment first; only once durable does it tell the listeners and acknowledge it', () => {
    const world = receivingWorld();
    const step = frame(world.state, 1);
    expect(kinds(step.effects)).toEqual(['write']);
    const write = step.effects[0] as Extract<WalletEffect, { type: 'write' }>;
    expect(write.change.record?.inbox).toEqual({ seq: 1 });
    expect(write.change.addHistory?.[0]?.received).toMatchObject({ inboxSeq: 1, memo: '#1', paidAtMs: 1_001 });
    const written = stepWallet(step.state, { type: 'written', purpose: write.purpose, nowMs: 5_001 });
    expect(kinds(written.effects)).toEqual(['emit:payment', 'send']);
    expect(written.effects[1]).toEqual({ type: 'send', message: { type: 'ack', seq: 1 } });
    // A replay of what it holds changes nothing and says nothing.
    const again = frame(written.state, 1);
    expect(again.effects).toEqual([]);
    expect(again.state).toBe(written.state);
  });

  it('holds nothing once stopped: a frame still arriving is left for the next start to receive', () => {
    const world = receivingWorld();
    const stopped = stepWallet(world.state, { type: 'stop', call: 99, nowMs: 5_000 });
    const late = frame(stopped.state, 1);
    expect(late.effects).toEqual([]);
    expect(late.state.inbox.seq).toBe(0);
  });

  it('closes the connection on a gap, so the hub replays from the cursor', () => {
    const world = receivingWorld();
    const step = frame(world.state, 2);
    expect(step.effects).toEqual([{ type: 'disconnect', code: 1002, reason: 'inbox items out of order' }]);
    expect(step.state.inbox.seq).toBe(0);
  });

  it('a failed write takes the cursor back and reconnects: the payment comes again', () => {
    const world = receivingWorld();
    const step = frame(world.state, 1);
    const write = step.effects[0] as Extract<WalletEffect, { type: 'write' }>;
    const failed = stepWallet(step.state, {
      type: 'writeFailed',
      purpose: write.purpose,
      error: new Error('disk full'),
      nowMs: 5_001,
    });
    expect(kinds(failed.effects)).toEqual(['emit:error', 'disconnect']);
    expect(failed.state.inbox.seq).toBe(0);
    expect(kinds(frame(failed.state, 1).effects)).toEqual(['write']);
  });

  it('delivers a run of payments to the store and the listeners in order, each once, through the world', () => {
    const world = receivingWorld();
    for (const seq of [1, 2, 2, 3, 1, 4]) world.conn?.toWallet.push(incoming(seq));
    expect(world.settle()).toBe(true);
    const payments = world.events
      .filter((e) => e.event === 'payment')
      .map((e) => (e.payload as { inboxSeq: number }).inboxSeq);
    expect(payments).toEqual([1, 2, 3, 4]);
    expect(world.store.record?.inbox).toEqual({ seq: 4 });
    expect(world.store.history.map((h) => h.received?.inboxSeq)).toEqual([1, 2, 3, 4]);
    expect(world.violations).toEqual([]);
  });

  it('stores a clearing notice first, then tells the listeners and acknowledges it; incoming() gets its time', () => {
    const world = receivingWorld();
    for (const seq of [1, 2]) world.conn?.toWallet.push(incoming(seq));
    expect(world.settle()).toBe(true);
    const notice = cleared(3, 0, 1, 9_000);
    const step = stepWallet(world.state, { type: 'frame', message: notice, nowMs: 9_500 });
    expect(kinds(step.effects)).toEqual(['write']);
    const write = step.effects[0] as Extract<WalletEffect, { type: 'write' }>;
    expect(write.change.record?.inbox).toEqual({ seq: 3 });
    expect(write.change.addHistory?.[0]).toMatchObject({
      seq: 1,
      amount: '5',
      clearing: { inboxSeq: 3, afterVoucherSeq: 0, payments: 1, clearedAtMs: 9_000 },
    });
    const written = stepWallet(step.state, { type: 'written', purpose: write.purpose, nowMs: 9_501 });
    expect(kinds(written.effects)).toEqual(['emit:cleared', 'send']);
    expect((written.effects[0] as { payload: PaymentsCleared }).payload).toMatchObject({
      inboxSeq: 3,
      throughVoucherSeq: 1,
      amount: 5n,
      clearedAtMs: 9_000,
    });
    expect(written.effects[1]).toEqual({ type: 'send', message: { type: 'ack', seq: 3 } });
    // Replayed, it changes nothing.
    expect(stepWallet(written.state, { type: 'frame', message: notice, nowMs: 9_600 }).effects).toEqual([]);
    const history = [...world.store.history, ...(write.change.addHistory ?? [])];
    expect(receivedPayments(history).map((p) => [p.inboxSeq, p.clearedAtMs, p.clearingMs])).toEqual([
      [1, 9_000, 9_000 - 1_001],
      [2, undefined, undefined],
    ]);
  });

  it('a clearing notice whose write fails comes again after the reconnect', () => {
    const world = receivingWorld();
    world.conn?.toWallet.push(incoming(1));
    expect(world.settle()).toBe(true);
    const step = stepWallet(world.state, { type: 'frame', message: cleared(2, 0, 1, 9_000), nowMs: 9_500 });
    const write = step.effects[0] as Extract<WalletEffect, { type: 'write' }>;
    const failed = stepWallet(step.state, {
      type: 'writeFailed',
      purpose: write.purpose,
      error: new Error('x'),
      nowMs: 1,
    });
    expect(kinds(failed.effects)).toEqual(['emit:error', 'disconnect']);
    expect(failed.state.inbox.seq).toBe(1);
  });

  it('property: payments and clearing notices interleaved, replayed and cut, are each taken once in order, and every payment gets the time of the notice that covers it', () => {
    fc.assert(
      fc.property(
        // Per step: which payer channel pays (0..2), or a claim of a channel (3..5); then delivery choices.
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: -3, max: 2 }), { minLength: 1, maxLength: 60 }),
        (plan, deliveries) => {
          const items: HubMessage[] = [];
          const vouchers: number[] = [0, 0, 0];
          const claimed: number[] = [0, 0, 0];
          const expected = new Map<number, number | undefined>(); // inbox seq of a payment -> its clearing time
          const open: { seq: number; channel: number; voucher: number }[] = [];
          for (const step of plan) {
            const seq = items.length + 1;
            if (step < 3) {
              const voucher = (vouchers[step] ?? 0) + 1;
              vouchers[step] = voucher;
              items.push({ ...incoming(seq, BigInt(1 + step)), channelId: channelOf(step), voucherSeq: voucher });
              expected.set(seq, undefined);
              open.push({ seq, channel: step, voucher });
              continue;
            }
            const channel = step - 3;
            const covered = open.filter((p) => p.channel === channel && p.voucher > (claimed[channel] ?? 0));
            if (covered.length === 0) continue;
            const through = vouchers[channel] as number;
            const atMs = 50_000 + seq;
            items.push({
              ...cleared(seq, claimed[channel] as number, through, atMs),
              channelId: channelOf(channel),
              payments: covered.length,
              amount: BigInt(covered.length * (1 + channel)),
            });
            for (const p of covered) expected.set(p.seq, atMs);
            claimed[channel] = through;
          }
          const world = receivingWorld();
          world.checkPurity = false;
          let turn = 0;
          let reconnected = false;
          for (let rounds = 0; world.state.inbox.seq < items.length && rounds < 400; rounds++) {
            // The hub sends from near the cursor: a replay of what the wallet holds, the next, or a
            // gap; after a gap the wallet reconnects and the hub replays from the cursor it sends.
            const offset: number = reconnected ? 0 : (deliveries[turn++ % deliveries.length] ?? 0);
            reconnected = offset > 0;
            const from = Math.max(1, world.state.inbox.seq + 1 + offset);
            const to = Math.max(from + 2, world.state.inbox.seq + 2); // a replay reaches past the cursor
            for (const item of items.slice(from - 1, to)) world.conn?.toWallet.push(item);
            expect(world.settle()).toBe(true);
            if (offset > 0) world.conn?.toWallet.splice(0); // what followed the gap died with the connection
          }
          expect(world.state.inbox.seq).toBe(items.length);
          const taken = world.events
            .filter((e) => e.event === 'payment' || e.event === 'cleared')
            .map((e) => (e.payload as { inboxSeq: number }).inboxSeq);
          expect(taken).toEqual(items.map((_, i) => i + 1));
          const payments: IncomingPayment[] = receivedPayments(world.store.history);
          expect(payments.map((p) => p.inboxSeq)).toEqual([...expected.keys()]);
          for (const p of payments) {
            expect(p.clearedAtMs).toBe(expected.get(p.inboxSeq));
            if (p.clearedAtMs !== undefined) expect(p.clearingMs).toBe(p.clearedAtMs - p.paidAtMs);
          }
          expect(world.violations).toEqual([]);
        },
      ),
      { numRuns: 100 },
    );
  });
});

function channelOf(index: number): HubMessageOf<'incoming'>['channelId'] {
  return new Uint8Array(32).fill(10 + index) as HubMessageOf<'incoming'>['channelId'];
}

function cleared(seq: number, after: number, through: number, timeMs: number): HubMessageOf<'cleared'> {
  return {
    type: 'cleared',
    seq,
    channelId: new Uint8Array(32).fill(1) as HubMessageOf<'cleared'>['channelId'],
    afterVoucherSeq: after,
    throughVoucherSeq: through,
    asset: usd,
    payments: through - after,
    amount: 5n * BigInt(through - after),
    timeMs,
  };
}
