/**
 * `balanceLow` decided by the wallet's pure machine: once per crossing of the threshold
 * (10% of the deposit by default, or `balanceLowAt`, or `balanceLowPercent`), again only
 * after a top-up lifted the balance back above it.
 */
import { describe, expect, it } from 'vitest';
import { type WalletConfig, walletBalance } from '../src/index.js';
import { usd } from './helpers.js';
import { deposit, World } from './walletWorld.js';

/** A world with an open channel of `deposit` (2,000) at rest, with `extra` configuration. */
function openWith(extra: Partial<WalletConfig> = {}): World {
  const world = new World(extra);
  expect(world.settle()).toBe(true);
  world.call('openChannel', (id) => ({
    type: 'openChannel',
    call: id,
    deposit,
    asset: usd,
    lifetimeMs: 3_600_000,
    nonce: new Uint8Array(16).fill(9),
  }));
  expect(world.settle()).toBe(true);
  return world;
}

function pay(world: World, amount: bigint): void {
  const request = world.fx.request(amount, world.nowMs + 3_600_000);
  const call = world.call('pay', (id) => ({ type: 'pay', call: id, request }), request);
  expect(world.settle()).toBe(true);
  expect(world.calls.get(call)?.answers[0]?.ok).toBe(true);
}

const lows = (world: World) => world.events.filter((e) => e.event === 'balanceLow').map((e) => e.payload);

describe('balanceLow', () => {
  it('fires once below 10% of the deposit by default, and again after a top-up re-armed it', () => {
    const world = openWith();
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
    const at = openWith({ balanceLowAt: 1_000n });
    pay(at, 999n);
    expect(lows(at)).toEqual([]);
    pay(at, 2n); // 999 left
    expect(lows(at)).toEqual([{ available: 999n, threshold: 1_000n }]);

    const never = openWith({ balanceLowAt: 0n });
    pay(never, 2_000n); // all spent
    expect(lows(never)).toEqual([]);

    const half = openWith({ balanceLowPercent: 50 });
    pay(half, 1_001n); // 999 left, below 1,000
    expect(lows(half)).toEqual([{ available: 999n, threshold: 1_000n }]);
    const off = openWith({ balanceLowPercent: 0 });
    pay(off, 2_000n);
    expect(lows(off)).toEqual([]);
  });
});
