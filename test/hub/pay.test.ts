import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { createHub, type Hub } from '@trickle/hub';
import { checkReceiptMac, decodeReceipt, encodeReceipt, publicKeyOf } from '@trickle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fund, ledgerBalance, networkId, tempDir, testKey, testMerchant } from './fixtures.js';

describe('hub and wallet over a real socket', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let wallet: Wallet | undefined;

  beforeEach(async () => {
    dir = tempDir();
    hub = await createHub({ dataDir: dir.path, networkId });
  });
  afterEach(async () => {
    await wallet?.stop();
    await hub.close();
    dir.remove();
  });

  it('pays, and the merchant verifies the receipt with its own derived key', async () => {
    const merchant = testMerchant('shop', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey, name: 'shop' });
    const key = testKey('payer 1');
    await fund(hub, publicKeyOf(key), 10_000_000n);
    wallet = await createWallet({ key, hub: { url: hub.url, networkId }, store: memoryStore() });
    await wallet.openChannel({ deposit: 1_000_000n });
    const receipt = await wallet.pay(merchant.request(2_500n));
    expect(receipt.amount).toBe(2_500n);
    const token = encodeReceipt(receipt);
    expect(checkReceiptMac(merchant.macKey, decodeReceipt(token))).toBe(true);
    expect(wallet.balance()?.available).toBe(997_500n);
    expect(hub.channel(receipt.channelId)?.cumulative).toBe(2_500n);
    const result = await wallet.close();
    expect(result.refund).toBe(997_500n);
    // Settled on the hub's default SQLite ledger: the payer got the refund, the merchant the payment.
    expect(await ledgerBalance(hub, 'payer', publicKeyOf(key))).toBe(10_000_000n - 2_500n);
    expect(await ledgerBalance(hub, 'payee', merchant.payee)).toBe(2_500n);
  });
});
