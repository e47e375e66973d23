/** The wallet's behaviour against a real hub: policy, typed errors before signing, events, top-up, close. */

import { createWallet, memoryStore, PolicyError, type Wallet, WalletError } from '@trickle/client';
import { createHub, type Hub } from '@trickle/hub';
import { createSigner, PaymentError, publicKeyOf, RejectError, type Signer, toHex } from '@trickle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from '../hub/fixtures.js';

describe('wallet', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let wallet: Wallet | undefined;
  let merchant: ReturnType<typeof testMerchant>;
  const key = testKey('wallet payer');

  beforeEach(async () => {
    dir = tempDir();
    hub = await createHub({ dataDir: dir.path, networkId });
    await fund(hub, publicKeyOf(key), 10_000_000n);
    merchant = testMerchant('wallet shop', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
  });
  afterEach(async () => {
    await wallet?.stop();
    await hub.close();
    dir.remove();
  });

  it('refuses payments that break the spending policy before signing anything', async () => {
    wallet = await createWallet({
      key,
      hub: { url: hub.url, networkId },
      store: memoryStore(),
      policy: { paymentMax: 1_000n, payeeMax: 1_500n, totalMax: 5_000n },
    });
    await wallet.openChannel({ deposit: 1_000_000n });
    await expect(wallet.pay(merchant.request(1_001n))).rejects.toMatchObject({
      name: 'PolicyError',
      code: 'PAYMENT_CAP',
    });
    await wallet.pay(merchant.request(1_000n));
    const error = await wallet.pay(merchant.request(600n)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).code).toBe('PAYEE_CAP');
    const balance = wallet.balance()!;
    expect(balance.spent).toBe(1_000n);
    expect(hub.channel(balance.channelId)?.seq).toBe(1);
  });

  it('a custom signer that throws fails only the payments it was signing, typed, and nothing is charged', async () => {
    const real = createSigner(key, { randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)) });
    let broken = false;
    const signer: Signer = {
      publicKey: real.publicKey,
      sign: (message) => {
        if (broken) throw new Error('the hardware key was unplugged');
        return real.sign(message);
      },
    };
    wallet = await createWallet({ key: signer, hub: { url: hub.url, networkId }, store: memoryStore() });
    await wallet.openChannel({ deposit: 1_000_000n });
    await wallet.pay(merchant.request(10n));

    broken = true;
    const refused = merchant.request(20n);
    const error = await wallet.pay(refused).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WalletError);
    expect((error as WalletError).code).toBe('SIGNER_FAILED');
    expect(((error as WalletError).cause as Error).message).toBe('the hardware key was unplugged');
    const balance = wallet.balance()!;
    expect(balance.spent).toBe(10n);
    expect(hub.channel(balance.channelId)?.cumulative).toBe(10n);

    // The wallet goes on: the same invoice can be paid once the signer is back.
    broken = false;
    const receipt = await wallet.pay(refused);
    expect(receipt.seq).toBe(2);
    expect(hub.channel(balance.channelId)?.cumulative).toBe(30n);
  });

  it('refuses expired, foreign, duplicate and unaffordable requests with typed errors', async () => {
    wallet = await createWallet({ key, hub: { url: hub.url, networkId }, store: memoryStore() });
    const early = wallet.pay(merchant.request(1n)); // never throws synchronously
    await expect(early).rejects.toMatchObject({ code: 'NO_CHANNEL' });
    await wallet.openChannel({ deposit: 1_000n });
    await expect(wallet.pay(merchant.request(5n, Date.now() - 1))).rejects.toBeInstanceOf(PaymentError);
    await expect(wallet.pay(merchant.request(1_001n))).rejects.toMatchObject({ code: 'INSUFFICIENT_CHANNEL_BALANCE' });
    const request = merchant.request(5n);
    const first = wallet.pay(request);
    await expect(wallet.pay(request)).rejects.toMatchObject({ code: 'INVOICE_ALREADY_PAID' });
    await first;
    await expect(wallet.pay(request)).rejects.toBeInstanceOf(RejectError);
    expect(wallet.balance()?.spent).toBe(5n);
  });

  it('a bad entry in a coalesced voucher fails alone; the others are paid', async () => {
    wallet = await createWallet({ key, hub: { url: hub.url, networkId }, store: memoryStore() });
    await wallet.openChannel({ deposit: 1_000_000n });
    const resyncs: number[] = [];
    wallet.on('resynced', ({ to }) => resyncs.push(to));
    const stranger = testMerchant('unregistered', hub);
    const results = await Promise.allSettled([
      wallet.pay(merchant.request(10n)),
      wallet.pay(stranger.request(20n)),
      wallet.pay(merchant.request(30n)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'UNKNOWN_PAYEE' });
    expect(wallet.balance()?.acknowledged).toBe(40n);
    expect(hub.channel(wallet.balance()!.channelId)?.cumulative).toBe(40n);
    // The coalesced voucher was refused (the reject names entry 1) and rolled back to seq 0; the
    // bad payment failed at once and the two good ones were signed again, together.
    expect(resyncs).toEqual([0]);
    expect(new Set(wallet.history().map((h) => h.seq)).size).toBe(1);
  });

  it('emits receipt and balanceLow, tops up, keeps history, closes with a refund', async () => {
    wallet = await createWallet({ key, hub: { url: hub.url, networkId }, store: memoryStore(), balanceLowAt: 500n });
    const seen: string[] = [];
    wallet.on('receipt', (r) => seen.push(`receipt ${r.amount}`));
    wallet.on('balanceLow', ({ available }) => seen.push(`low ${available}`));
    wallet.on('closed', ({ refund }) => seen.push(`closed ${refund}`));
    await wallet.openChannel({ deposit: 1_000n });
    await wallet.pay(merchant.request(600n));
    expect(seen).toEqual(['receipt 600', 'low 400']);
    const topped = await wallet.topUp({ amount: 2_000n });
    expect(topped.deposit).toBe(3_000n);
    expect(hub.channel(topped.channelId)?.deposit).toBe(3_000n);
    await wallet.pay(merchant.request(700n));
    expect(wallet.history().map((h) => h.amount)).toEqual(['600', '700']);
    expect(wallet.history()[0]?.payee).toBe(toHex(merchant.payee));
    const closed = await wallet.close();
    expect(closed.refund).toBe(1_700n);
    expect(closed.state.status).toBe('closed');
    expect(seen.at(-1)).toBe('closed 1700');
    await expect(wallet.pay(merchant.request(1n))).rejects.toBeInstanceOf(WalletError);
  });

  it('refuses a hub other than the pinned one', async () => {
    wallet = await createWallet({
      key,
      hub: { url: hub.url, networkId, hubId: 'ab'.repeat(32) },
      store: memoryStore(),
    });
    const error = await new Promise<Error>((resolve) => wallet!.on('error', resolve));
    expect(error).toMatchObject({ code: 'HUB_MISMATCH' });
    await expect(wallet.openChannel({ deposit: 1n })).rejects.toMatchObject({ code: 'HUB_MISMATCH' });
  });
});
