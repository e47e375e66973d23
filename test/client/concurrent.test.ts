import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { createHub, type Hub } from '@trickle/hub';
import { checkReceiptMac, publicKeyOf, toHex } from '@trickle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from '../hub/fixtures.js';

describe('many concurrent payments on one wallet', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let wallet: Wallet | undefined;

  beforeEach(async () => {
    dir = tempDir();
    hub = await createHub({ dataDir: dir.path, networkId });
    await fund(hub, publicKeyOf(testKey('payer concurrent')), 100_000_000n);
  });
  afterEach(async () => {
    await wallet?.stop();
    await hub.close();
    dir.remove();
  });

  it('1,000 concurrent pay() calls: every receipt arrives, cumulative exact to the unit', async () => {
    const merchants = [testMerchant('a', hub), testMerchant('b', hub)];
    for (const m of merchants) await hub.registerMerchant({ publicKey: m.publicKey });
    wallet = await createWallet({
      key: testKey('payer concurrent'),
      hub: { url: hub.url, networkId },
      store: memoryStore(),
    });
    await wallet.openChannel({ deposit: 50_000_000n });
    const amounts = Array.from({ length: 1_000 }, (_, i) => BigInt(1 + ((i * 7919) % 997)));
    const requests = amounts.map((amount, i) => (merchants[i % 2] as (typeof merchants)[number]).request(amount));
    const receipts = await Promise.all(requests.map((r) => wallet!.pay(r)));
    const expected = amounts.reduce((a, b) => a + b, 0n);
    expect(receipts).toHaveLength(1_000);
    expect(new Set(receipts.map((r) => toHex(r.invoiceId))).size).toBe(1_000);
    expect(receipts.reduce((sum, r) => sum + r.amount, 0n)).toBe(expected);
    receipts.forEach((receipt, i) => {
      expect(checkReceiptMac((merchants[i % 2] as (typeof merchants)[number]).macKey, receipt)).toBe(true);
    });
    expect(wallet.balance()?.spent).toBe(expected);
    expect(wallet.balance()?.acknowledged).toBe(expected);
    const state = hub.channel(receipts[0]!.channelId);
    expect(state?.cumulative).toBe(expected);
    // Coalesced: far fewer vouchers than payments (up to 128 entries per voucher).
    expect(state?.seq).toBeLessThan(100);
    expect(wallet.history()).toHaveLength(1_000);
  });
});
