/**
 * Receiving in the wallet's pure machine (ADR 0240): an incoming payment is stored before
 * the listeners hear of it and before it is acknowledged; a repeat is dropped; a gap closes
 * the connection so the hub replays from the cursor; a failed write rolls the cursor back.
 */
import { describe, expect, it } from 'vitest';
import { type HubMessageOf, stepWallet, type WalletEffect, type WalletState } from '../src/index.js';
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
    expect(step.effects).toEqual([{ type: 'disconnect', code: 1002, reason: 'incoming payments out of order' }]);
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
});
