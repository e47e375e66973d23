/**
 * The wallet stops (as a crashing app would) with vouchers signed, saved and in flight; a
 * new wallet on the same file store resumes: it resends them, the hub charges each
 * exactly once, and both sides agree.
 */

import { createWallet, type Wallet } from '@trickle/client';
import { fileStore } from '@trickle/client/node';
import { createHub, type Hub } from '@trickle/hub';
import { publicKeyOf, type Receipt } from '@trickle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from '../hub/fixtures.js';

describe('wallet restart with vouchers in flight', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let wallet: Wallet | undefined;
  const key = testKey('restarting payer');

  beforeEach(async () => {
    dir = tempDir();
    hub = await createHub({ dataDir: `${dir.path}/hub`, networkId });
    await fund(hub, publicKeyOf(key), 10_000_000n);
  });
  afterEach(async () => {
    await wallet?.stop();
    await hub.close();
    dir.remove();
  });

  it('resends what was signed and saved; nothing is charged twice or lost', async () => {
    const merchant = testMerchant('restart shop', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    const path = `${dir.path}/wallet.jsonl`;
    const first = await createWallet({ key, hub: { url: hub.url, networkId }, store: fileStore({ path }) });
    await first.openChannel({ deposit: 5_000_000n });
    const amounts = Array.from({ length: 600 }, (_, i) => BigInt(1 + (i % 5)));
    const outcomes = amounts.map((amount) =>
      first.pay(merchant.request(amount)).then(
        (receipt: Receipt) => ({ kind: 'paid' as const, amount: receipt.amount }),
        (error: Error) => ({
          kind: /may still be charged/.test(error.message) ? ('inFlight' as const) : ('notSigned' as const),
          amount,
        }),
      ),
    );
    // Stop mid-stream: once the first receipt is in, the rest is in flight.
    await new Promise((resolve) => first.on('receipt', resolve));
    await first.stop();
    const settled = await Promise.all(outcomes);
    const sum = (kind: string) => settled.filter((o) => o.kind === kind).reduce((a, o) => a + o.amount, 0n);

    wallet = await createWallet({ key, hub: { url: hub.url, networkId }, store: fileStore({ path }) });
    // The restarted wallet resends the saved vouchers; wait until the hub has acknowledged them all.
    await wallet.close().catch(() => undefined);
    const balance = wallet.balance()!;
    expect(balance.acknowledged).toBe(balance.spent);
    expect(balance.spent).toBe(sum('paid') + sum('inFlight'));
    expect(balance.status).toBe('closed');
    const state = hub.channel(balance.channelId);
    expect(state?.cumulative).toBe(balance.spent);
    expect(state?.status).toBe('closed');
  });
});
