/**
 * topUp({ amount }) raises the deposit by `amount`. Top-ups are signed as the new total
 * (protocol 5.4), so two calls made at the same time must not both sign "deposit + their
 * amount" from the same starting deposit: the hub would move only the larger of the two,
 * while both calls report success.
 */

import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { createHub, type Hub } from '@trickle/hub';
import { publicKeyOf } from '@trickle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fund, ledgerBalance, networkId, tempDir, testKey } from '../hub/fixtures.js';

describe('top-ups made at the same time', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let wallet: Wallet | undefined;
  const key = testKey('concurrent top-ups');

  beforeEach(async () => {
    dir = tempDir();
    hub = await createHub({ dataDir: dir.path, networkId });
    await fund(hub, publicKeyOf(key), 1_000_000n);
  });
  afterEach(async () => {
    await wallet?.stop();
    await hub.close();
    dir.remove();
  });

  it('each raises the deposit by its amount', async () => {
    wallet = await createWallet({ key, hub: { url: hub.url, networkId }, store: memoryStore() });
    await wallet.openChannel({ deposit: 100_000n });
    const results = await Promise.allSettled([wallet.topUp({ amount: 30_000n }), wallet.topUp({ amount: 50_000n })]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(wallet.balance()?.deposit).toBe(180_000n);
    expect(hub.channel(wallet.balance()!.channelId)?.deposit).toBe(180_000n);
    expect(await ledgerBalance(hub, 'payer', publicKeyOf(key))).toBe(1_000_000n - 180_000n);
  });
});
