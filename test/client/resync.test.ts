/**
 * Restoring an old backup of the wallet's store: the hub holds a newer state this wallet
 * signed. The wallet adopts it (protocol's reconcile), says so (`resynced`), and goes on
 * paying from the hub's state: nothing is signed twice at one seq, nothing is lost.
 */
import { copyFileSync } from 'node:fs';
import { createWallet, type Wallet } from '@trickle/client';
import { fileStore } from '@trickle/client/node';
import { createHub, type Hub } from '@trickle/hub';
import { checkReceiptMac, publicKeyOf } from '@trickle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from '../hub/fixtures.js';

describe('wallet restored from an old backup', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let wallet: Wallet | undefined;
  const key = testKey('backup payer');

  beforeEach(async () => {
    dir = tempDir();
    hub = await createHub({ dataDir: `${dir.path}/hub`, networkId });
    await fund(hub, publicKeyOf(key), 1_000_000n);
  });
  afterEach(async () => {
    await wallet?.stop();
    await hub.close();
    dir.remove();
  });

  it('adopts the newer state it signed and keeps paying from it', async () => {
    const merchant = testMerchant('backup shop', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    const path = `${dir.path}/wallet.jsonl`;
    const first = await createWallet({ key, hub: { url: hub.url, networkId }, store: fileStore({ path }) });
    await first.openChannel({ deposit: 100_000n });
    for (let i = 0; i < 5; i++) await first.pay(merchant.request(10n));
    await first.stop(); // flushes what was staged
    copyFileSync(path, `${dir.path}/backup.jsonl`);
    const again = await createWallet({ key, hub: { url: hub.url, networkId }, store: fileStore({ path }) });
    for (let i = 0; i < 5; i++) await again.pay(merchant.request(20n));
    await again.stop();

    wallet = await createWallet({
      key,
      hub: { url: hub.url, networkId },
      store: fileStore({ path: `${dir.path}/backup.jsonl` }),
    });
    expect(wallet.balance()?.spent).toBe(50n); // what the backup knew
    const resynced = await new Promise<{ from: number; to: number }>((resolve) => wallet!.on('resynced', resolve));
    expect(resynced).toEqual({ from: 5, to: 10 });
    expect(wallet.balance()?.spent).toBe(150n);
    const receipt = await wallet.pay(merchant.request(7n));
    expect(receipt.seq).toBe(11);
    expect(checkReceiptMac(merchant.macKey, receipt)).toBe(true);
    expect(hub.channel(receipt.channelId)?.cumulative).toBe(157n);
    expect(wallet.balance()?.acknowledged).toBe(157n);
  });
});
