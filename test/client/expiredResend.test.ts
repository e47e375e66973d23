/**
 * A voucher the hub accepted, whose receipts were lost with the connection, resent after
 * the channel expired: the hub refuses the resend (CHANNEL_EXPIRED is checked before the
 * duplicate rule, protocol 10.2) but still holds the voucher, and its reject says so. The
 * wallet must not roll back below the state the hub holds: the payment was made, its
 * receipt is in the hub's log, and the wallet's state (and its close) must match the hub's.
 */

import { createWallet, memoryStore, type Transport, type Wallet } from '@trickle/client';
import { wsTransport } from '@trickle/client/node';
import { createHub, type Hub } from '@trickle/hub';
import { checkReceiptMac, publicKeyOf } from '@trickle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from '../hub/fixtures.js';

/** A transport whose current connection can be made deaf (incoming frames dropped) and then cut. */
function cuttableTransport() {
  const inner = wsTransport();
  let current: { deaf: boolean; close: () => void } | undefined;
  const transport: Transport = {
    name: 'cuttable',
    connect(url, handlers) {
      const state = { deaf: false, close: () => connection.close(4000, 'cut') };
      current = state;
      const connection = inner.connect(url, {
        onOpen: handlers.onOpen,
        onClose: handlers.onClose,
        onMessage(bytes) {
          if (!state.deaf) handlers.onMessage(bytes);
        },
      });
      return connection;
    },
  };
  return {
    transport,
    deafen: () => {
      if (current) current.deaf = true;
    },
    cut: () => current?.close(),
  };
}

describe('an accepted voucher resent after the channel expired', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let wallet: Wallet | undefined;
  let nowMs = Date.now();
  const clock = { nowMs: () => nowMs };
  const key = testKey('expiry resend payer');

  beforeEach(async () => {
    dir = tempDir();
    nowMs = Date.now();
    hub = await createHub({ dataDir: dir.path, networkId, clock });
    await fund(hub, publicKeyOf(key), 1_000_000n);
  });
  afterEach(async () => {
    await wallet?.stop();
    await hub.close();
    dir.remove();
  });

  it('keeps the payment the hub holds: receipt from the log, same state as the hub, close settles it', async () => {
    const merchant = testMerchant('expiry resend', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    const link = cuttableTransport();
    wallet = await createWallet({
      key,
      hub: { url: hub.url, networkId },
      store: memoryStore(),
      clock,
      transport: link.transport,
      reconnectDelayMsMin: 1,
      reconnectDelayMsMax: 5,
    });
    const lifetimeMs = 120_000;
    await wallet.openChannel({ deposit: 100_000n, lifetimeMs });
    const first = await wallet.pay(merchant.request(10n, Date.now() + 3_600_000));
    const channelId = first.channelId;

    // The second voucher reaches the hub, which accepts it; its receipts never reach the wallet.
    link.deafen();
    const second = wallet.pay(merchant.request(20n, Date.now() + 3_600_000));
    while (hub.channel(channelId)?.seq !== 2) await new Promise((resolve) => setTimeout(resolve, 2));
    // The channel expires before the wallet is back.
    nowMs += lifetimeMs + 1_000;
    link.cut();

    const receipt = await second;
    expect(receipt.seq).toBe(2);
    expect(receipt.amount).toBe(20n);
    expect(checkReceiptMac(merchant.macKey, receipt)).toBe(true);
    const balance = wallet.balance()!;
    expect(balance.spent).toBe(30n);
    expect(balance.acknowledged).toBe(30n);
    expect(hub.channel(channelId)?.cumulative).toBe(30n);

    // The wallet's close names the state the hub holds, so it settles (within the ledger's grace).
    const closed = await wallet.close();
    expect(closed.refund).toBe(100_000n - 30n);
    expect(hub.channel(channelId)?.status).toBe('closed');
  });
});
