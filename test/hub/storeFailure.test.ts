/**
 * Persist, then promise: when the channel store fails, no receipt is sent, the channel's
 * state does not move, the failure is reported, and the wallet's resend succeeds once the
 * store works again.
 */

import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { type ChannelStore, createHub, type Hub, HubError } from '@trickle/hub';
import { sqliteChannelStore } from '@trickle/hub/sqlite';
import { publicKeyOf } from '@trickle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from './fixtures.js';

describe('channel store failure', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let wallet: Wallet | undefined;
  let failing = false;
  const errors: string[] = [];

  beforeEach(async () => {
    dir = tempDir();
    const real = sqliteChannelStore({ path: `${dir.path}/channels.sqlite` });
    const flaky: ChannelStore = {
      ...real,
      commit: (writes) =>
        failing ? Promise.reject(new HubError('STORE_FAILED', 'disk full (simulated)')) : real.commit(writes),
    };
    hub = await createHub({ dataDir: dir.path, networkId, store: flaky, onError: (e) => errors.push(String(e)) });
    await fund(hub, publicKeyOf(testKey('store failure')), 1_000_000n);
  });
  afterEach(async () => {
    await wallet?.stop();
    await hub.close();
    dir.remove();
  });

  it('answers INTERNAL, keeps the state, and accepts the resend later', async () => {
    const merchant = testMerchant('store failure', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    wallet = await createWallet({
      key: testKey('store failure'),
      hub: { url: hub.url, networkId },
      store: memoryStore(),
    });
    await wallet.openChannel({ deposit: 100_000n });
    await wallet.pay(merchant.request(5n));
    const channelId = wallet.balance()!.channelId;
    failing = true;
    let settled = false;
    const payment = wallet.pay(merchant.request(7n)).finally(() => {
      settled = true;
    });
    while (errors.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(settled).toBe(false); // no receipt while the write is not durable
    expect(hub.channel(channelId)?.cumulative).toBe(5n);
    expect(errors[0]).toMatch(/STORE_FAILED|disk full/);
    failing = false; // the wallet resends after its retry delay
    const receipt = await payment;
    expect(receipt.amount).toBe(7n);
    expect(hub.channel(channelId)?.cumulative).toBe(12n);
    expect(wallet.balance()?.acknowledged).toBe(12n);
  });
});
