/**
 * topUp({ amount }) raises the deposit by `amount`. Top-ups are signed as the new total
 * (protocol 5.4), so two calls made at the same time must not both sign "deposit + their
 * amount" from the same starting deposit: the hub would move only the larger of the two,
 * while both calls report success.
 */

import { createWallet, memoryStore } from '@trickle/client';
import { publicKeyOf } from '@trickle/protocol';
import { describe, expect, it } from 'vitest';
import { hubPerTest, ledgerBalance, networkId, testKey } from '../hub/fixtures.js';

describe('top-ups made at the same time', () => {
  const key = testKey('concurrent top-ups');
  const setup = hubPerTest(key);

  it('each raises the deposit by its amount', async () => {
    const hub = setup.hub;
    const wallet = setup.stopAfter(await createWallet({ key, hub: { url: hub.url, networkId }, store: memoryStore() }));
    await wallet.openChannel({ deposit: 100_000n });
    const results = await Promise.allSettled([wallet.topUp({ amount: 30_000n }), wallet.topUp({ amount: 50_000n })]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(wallet.balance()?.deposit).toBe(180_000n);
    expect(hub.channel(wallet.balance()!.channelId)?.deposit).toBe(180_000n);
    expect(await ledgerBalance(hub, 'payer', publicKeyOf(key))).toBe(1_000_000n - 180_000n);
  });
});
