/**
 * `balanceLow` decided by the wallet's pure machine: once per crossing of the threshold
 * (10% of the deposit by default, or `balanceLowAt`, or `balanceLowPercent`), again only
 * after a top-up lifted the balance back above it.
 */
import { describe, expect, it } from 'vitest';
import { walletBalance } from '../src/index.js';
import { openWorld, type World } from './walletWorld.js';

function pay(world: World, amount: bigint): void {
  const request = world.fx.request(amount, world.nowMs + 3_600_000);
  const call = world.call('pay', (id) => ({ type: 'pay', call: id, request }), request);
  expect(world.settle()).toBe(true);
  expect(world.calls.get(call)?.answers[0]?.ok).toBe(true);
}

const lows = (world: World) => world.events.filter((e) => e.event === 'balanceLow').map((e) => e.payload);

describe('balanceLow', () => {
  it('fires once below 10% of the deposit by default, and again after a top-up re-armed it', () => {
    const world = openWorld();
    pay(world, 1_700n); // 300 left: above 200
    expect(lows(world)).toEqual([]);
    pay(world, 150n); // 150 left
    expect(lows(world)).toEqual([{ available: 150n, threshold: 200n }]);
    pay(world, 50n); // 100 left: still low, not told again
    expect(lows(world)).toHaveLength(1);

    const topUp = world.call('topUp', (id) => ({ type: 'topUp', call: id, amount: 1_000n }));
    expect(world.settle()).toBe(true);
    expect(world.calls.get(topUp)?.answers[0]?.ok).toBe(true);
    expect(walletBalance(world.state)?.available).toBe(1_100n); // deposit 3,000: the threshold is 300
    pay(world, 700n); // 400 left
    expect(lows(world)).toHaveLength(1);
    pay(world, 150n); // 250 left, below 300
    expect(lows(world)).toEqual([
      { available: 150n, threshold: 200n },
      { available: 250n, threshold: 300n },
    ]);
    expect(world.violations).toEqual([]);
  });

  it('follows balanceLowAt (0n: never) and balanceLowPercent', () => {
    const at = openWorld({ balanceLowAt: 1_000n });
    pay(at, 999n);
    expect(lows(at)).toEqual([]);
    pay(at, 2n); // 999 left
    expect(lows(at)).toEqual([{ available: 999n, threshold: 1_000n }]);

    const never = openWorld({ balanceLowAt: 0n });
    pay(never, 2_000n); // all spent
    expect(lows(never)).toEqual([]);

    const half = openWorld({ balanceLowPercent: 50 });
    pay(half, 1_001n); // 999 left, below 1,000
    expect(lows(half)).toEqual([{ available: 999n, threshold: 1_000n }]);
    const off = openWorld({ balanceLowPercent: 0 });
    pay(off, 2_000n);
    expect(lows(off)).toEqual([]);
  });
});
