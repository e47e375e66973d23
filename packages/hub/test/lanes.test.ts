/**
 * The lanes' memory bound, without sockets or a store: idle closed channels beyond
 * closedChannelsCachedMax, and idle open ones beyond channelsCachedMax (ADR 0419), are evicted
 * least recently used first; a lane with work, pinned, closing or unsure never is; a lane that
 * never got a channel is dropped once idle.
 */
import type { ChannelId, HubChannel, LogHead, PublicKey } from '@trickle/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLanes, type Lane, type Lanes, pin, serialize, unpin } from '../src/lanes.js';

const idOf = (n: number) => new Uint8Array(32).fill(n) as ChannelId;

function channel(n: number, closed = false): HubChannel {
  return {
    channelId: idOf(n),
    clientKey: new Uint8Array(33).fill(2) as PublicKey,
    asset: { code: 'USD', scale: 6 },
    deposit: 1_000n,
    expiresAtMs: 2_000_000_000_000,
    seq: 0,
    cumulative: 0n,
    logHead: new Uint8Array(32) as LogHead,
    ...(closed ? { closingSinceMs: 1, closedAtMs: 2 } : {}),
  };
}

/** Lets every settled piece of lane work run its bookkeeping. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Work that holds the lane until `release` is called. */
function hold(lane: Lane): () => void {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  void serialize(lane, () => gate);
  return release;
}

/** A lane as the engine brings one in: the channel set, work queued in the same turn. */
async function use(lanes: Lanes, n: number, closed: boolean): Promise<Lane> {
  const lane = lanes.of(idOf(n));
  lane.channel ??= channel(n, closed);
  await serialize(lane, async () => undefined);
  await flush();
  return lane;
}

describe('lanes', () => {
  it('keeps the most recently used idle closed channels, and every open one', async () => {
    const lanes = createLanes({ closedChannelsCachedMax: 2, channelsCachedMax: 1_000 });
    for (let n = 1; n <= 3; n++) await use(lanes, n, false);
    for (let n = 11; n <= 14; n++) await use(lanes, n, true);
    expect(lanes.size).toBe(3 + 2);
    expect([11, 12].map((n) => lanes.get(idOf(n)))).toEqual([undefined, undefined]);
    // Using 13 again makes 14 the least recently used.
    await use(lanes, 13, true);
    await use(lanes, 15, true);
    expect([13, 14, 15].map((n) => lanes.get(idOf(n)) !== undefined)).toEqual([true, false, true]);
    for (let n = 1; n <= 3; n++) expect(lanes.get(idOf(n))?.channel?.closedAtMs).toBeUndefined();
  });

  it('never evicts a lane with work queued or running; it goes once idle', async () => {
    const lanes = createLanes({ closedChannelsCachedMax: 1, channelsCachedMax: 1_000 });
    const busy = await use(lanes, 1, true);
    const release = hold(busy);
    for (let n = 2; n <= 4; n++) await use(lanes, n, true);
    expect(lanes.get(idOf(1))).toBe(busy);
    release();
    await flush();
    // Idle now and the most recently used: the other one goes.
    expect(lanes.get(idOf(1))).toBe(busy);
    expect(lanes.size).toBe(1);
  });

  it('drops a lane that never got a channel once its last work is done', async () => {
    const lanes = createLanes({ closedChannelsCachedMax: 1, channelsCachedMax: 1_000 });
    const lane = lanes.of(idOf(1));
    const first = hold(lane);
    const second = hold(lane);
    first();
    await flush();
    expect(lanes.get(idOf(1))).toBe(lane); // the second open is still queued on it
    second();
    await flush();
    expect(lanes.size).toBe(0);
  });

  it('keeps the most recently used idle open channels; a pinned, closing or unsure one stays (ADR 0419)', async () => {
    const lanes = createLanes({ closedChannelsCachedMax: 1, channelsCachedMax: 2 });
    const pinned = pin(await use(lanes, 1, false));
    const closing = lanes.of(idOf(2));
    closing.channel = { ...channel(2), closingSinceMs: 1 };
    await serialize(closing, async () => undefined);
    const unsure = lanes.of(idOf(3));
    unsure.channel = channel(3);
    unsure.unsure = [];
    await serialize(unsure, async () => undefined);
    for (let n = 4; n <= 7; n++) await use(lanes, n, false);
    await flush();
    // 4 and 5 went (least recently used first); 6 and 7 are the two cached; 1, 2, 3 stay.
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => lanes.get(idOf(n)) !== undefined)).toEqual([
      true,
      true,
      true,
      false,
      false,
      true,
      true,
    ]);
    // Unpinned, 1 is the most recently idle: 6 goes.
    unpin(pinned);
    expect([1, 6, 7].map((n) => lanes.get(idOf(n)) !== undefined)).toEqual([true, false, true]);
    expect(lanes.size).toBe(4);
  });

  it('refuses a cache size that is not a positive integer', () => {
    expect(() => createLanes({ closedChannelsCachedMax: 0, channelsCachedMax: 1_000 })).toThrow(RangeError);
  });

  it('any interleaving: lanes with work and open channels stay, idle closed ones stay bounded (property)', async () => {
    const channels = 6;
    const cachedMax = 2;
    const step = fc.oneof(
      fc.record({ kind: fc.constant('use' as const), n: fc.nat(channels - 1) }),
      fc.record({ kind: fc.constant('close' as const), n: fc.nat(channels - 1) }),
      fc.record({ kind: fc.constant('release' as const), n: fc.nat(16) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), async (steps) => {
        const lanes = createLanes({ closedChannelsCachedMax: cachedMax, channelsCachedMax: 1_000 });
        const closed = new Set<number>();
        const held: { lane: Lane; n: number; release: () => void }[] = [];
        for (let n = 0; n < channels; n++) lanes.of(idOf(n)).channel = channel(n); // load(): every open one
        for (const s of steps) {
          if (s.kind === 'use') {
            const lane = lanes.of(idOf(s.n));
            lane.channel ??= channel(s.n, closed.has(s.n));
            held.push({ lane, n: s.n, release: hold(lane) });
          } else if (s.kind === 'close' && !closed.has(s.n)) {
            const lane = lanes.get(idOf(s.n));
            expect(lane).toBeDefined(); // an open channel is always in memory
            const live = lane as Lane;
            closed.add(s.n);
            void serialize(live, async () => {
              live.channel = channel(s.n, true);
            });
          } else if (s.kind === 'release' && held.length > 0) {
            held.splice(s.n % held.length, 1)[0]?.release();
          }
          await flush();
          for (const h of held) expect(lanes.get(idOf(h.n))).toBe(h.lane);
          for (let n = 0; n < channels; n++) if (!closed.has(n)) expect(lanes.get(idOf(n))).toBeDefined();
          const idleClosed = [...lanes.all()].filter((l) => l.pending === 0 && l.channel?.closedAtMs !== undefined);
          expect(idleClosed.length).toBeLessThanOrEqual(cachedMax);
        }
        for (const h of held) h.release();
        await flush();
        expect(lanes.size).toBeLessThanOrEqual(channels - closed.size + cachedMax);
      }),
      { numRuns: 200 },
    );
  });
});
