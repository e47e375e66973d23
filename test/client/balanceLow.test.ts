/**
 * A wallet on a real hub tells `balanceLow` once when its channel is nearly spent (10% of
 * the deposit by default), and the listener's top-up, as docs/client.md shows it, keeps
 * payments going without a refusal; after the top-up it is told again at the next crossing.
 */
import { createWallet, memoryStore } from '@trickle/client';
import { describe, expect, it } from 'vitest';
import { hubPerTest, networkId, testKey, testMerchant } from '../hub/fixtures.js';

describe("the wallet's balanceLow event", () => {
  const key = testKey('balance low');
  const setup = hubPerTest(key);

  it('fires once per crossing of 10% of the deposit; a top-up from the listener keeps paying', async () => {
    const hub = setup.hub;
    const shop = testMerchant('balance low shop', hub);
    await hub.registerMerchant({ publicKey: shop.publicKey, name: 'shop' });
    const wallet = setup.stopAfter(await createWallet({ key, hub: { url: hub.url, networkId }, store: memoryStore() }));
    const seen: { available: bigint; threshold: bigint }[] = [];
    const toppedUp: Promise<unknown>[] = [];
    wallet.on('balanceLow', (low) => {
      seen.push(low);
      if (seen.length === 1) toppedUp.push(wallet.topUp({ amount: 100_000n }));
    });
    await wallet.openChannel({ deposit: 100_000n });
    for (let i = 0; i < 9; i++) await wallet.pay(shop.request(10_000n)); // 10,000 left: not below 10,000
    expect(seen).toEqual([]);
    await wallet.pay(shop.request(1n)); // 9,999 left
    expect(seen).toEqual([{ available: 9_999n, threshold: 10_000n }]);
    await Promise.all(toppedUp);
    expect(wallet.balance()?.deposit).toBe(200_000n);
    expect(hub.channel(wallet.balance()!.channelId)?.deposit).toBe(200_000n);
    // 109,999 available of 200,000: the threshold is 20,000 now; crossing it tells again, once.
    for (let i = 0; i < 9; i++) await wallet.pay(shop.request(10_000n)); // 19,999 left
    await wallet.pay(shop.request(1n));
    expect(seen).toEqual([
      { available: 9_999n, threshold: 10_000n },
      { available: 19_999n, threshold: 20_000n },
    ]);
    expect(hub.channel(wallet.balance()!.channelId)?.cumulative).toBe(180_002n);
  });
});
