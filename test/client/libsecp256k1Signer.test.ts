/** `libsecp256k1Signer` (`@trickle/client/node`): the default signer's signatures, made by libsecp256k1, paying a real hub. */
import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { libsecp256k1Signer } from '@trickle/client/node';
import { createHub, type Hub } from '@trickle/hub';
import { asSecretKey, checkSignature, nobleVerifier, publicKeyOf, signWithEntropy, toHex } from '@trickle/protocol';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from '../hub/fixtures.js';

/** A valid secret key from 32 arbitrary bytes (reduced into 1..n-1 by nudging the first byte). */
const secretKeys = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => {
  bytes[0] = (bytes[0] ?? 0) % 0xfe; // below the group order's first byte (0xff)
  bytes[31] = (bytes[31] ?? 0) | 1; // never zero
  return asSecretKey(bytes);
});

describe('libsecp256k1Signer', () => {
  it('for the same entropy, makes byte for byte the signature of the default (noble) signer', () => {
    fc.assert(
      fc.property(
        secretKeys,
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (key, message, entropy) => {
          const signer = libsecp256k1Signer(key, { randomBytes: () => entropy.slice() });
          const signature = signer.sign(message);
          expect(toHex(signature)).toBe(toHex(signWithEntropy(key, message, entropy)));
          expect(toHex(signer.publicKey)).toBe(toHex(publicKeyOf(key)));
          expect(checkSignature(nobleVerifier, signature, message, signer.publicKey)).toBe('valid');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is hedged: two signatures of one message differ, both verify; the key is copied', () => {
    const key = new Uint8Array(testKey('hedged'));
    const signer = libsecp256k1Signer(key);
    key.fill(0); // the caller wiping its copy changes nothing
    const message = new TextEncoder().encode('one voucher');
    const [a, b] = [signer.sign(message), signer.sign(message)];
    expect(toHex(a)).not.toBe(toHex(b));
    expect(checkSignature(nobleVerifier, a, message, signer.publicKey)).toBe('valid');
    expect(checkSignature(nobleVerifier, b, message, signer.publicKey)).toBe('valid');
  });

  it('refuses a key of the wrong length, an invalid key and an entropy source that returns the wrong length', () => {
    expect(() => libsecp256k1Signer(new Uint8Array(31))).toThrow(RangeError);
    expect(() => libsecp256k1Signer(new Uint8Array(32)).sign(new Uint8Array(1))).toThrow();
    const short = libsecp256k1Signer(testKey('short entropy'), { randomBytes: () => new Uint8Array(16) });
    expect(() => short.sign(new Uint8Array(1))).toThrow(/32 bytes/);
  });

  describe('a wallet signing with it', () => {
    const dir = tempDir();
    let hub: Hub | undefined;
    let wallet: Wallet | undefined;
    afterEach(async () => {
      await wallet?.stop();
      await hub?.close();
      dir.remove();
    });

    it('pays a real hub, which checks every voucher: 200 payments, cumulative exact', async () => {
      hub = await createHub({ dataDir: dir.path, networkId });
      const key = testKey('payer libsecp256k1');
      await fund(hub, publicKeyOf(key), 10_000_000n);
      const merchant = testMerchant('m', hub);
      await hub.registerMerchant({ publicKey: merchant.publicKey });
      wallet = await createWallet({
        key: libsecp256k1Signer(key),
        hub: { url: hub.url, networkId },
        store: memoryStore(),
      });
      await wallet.openChannel({ deposit: 5_000_000n });
      let total = 0n;
      for (let i = 1; i <= 200; i++) {
        const amount = BigInt(i);
        total += amount;
        const receipt = await wallet.pay(merchant.request(amount));
        expect(receipt.amount).toBe(amount);
      }
      const channelId = wallet.balance()?.channelId;
      expect(channelId).toBeDefined();
      expect(hub.channel(channelId!)?.cumulative).toBe(total);
      expect(wallet.balance()?.acknowledged).toBe(total);
    });
  });
});
