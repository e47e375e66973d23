import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import * as secp from '@noble/secp256k1';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { counterRandom, testKey } from '../test/helpers.js';
import {
  asSecretKey,
  checkSignature,
  createSecretKey,
  createSigner,
  deriveMerchantKey,
  hubIdFromKey,
  isLowS,
  isValidPublicKey,
  nobleVerifier,
  normalizeS,
  payeeIdFromKey,
  publicKeyOf,
  type Signature,
  signWithEntropy,
} from './index.js';

const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function highS(signature: Uint8Array): Uint8Array {
  const s = BigInt(`0x${Buffer.from(signature.subarray(32)).toString('hex')}`);
  const flipped = (n - s).toString(16).padStart(64, '0');
  const out = new Uint8Array(signature);
  out.set(Buffer.from(flipped, 'hex'), 32);
  return out;
}

/** DER encoding of a compact signature (what OpenSSL and many wallets produce). */
function toDer(compact: Uint8Array): Uint8Array {
  const int = (bytes: Uint8Array) => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0 && (bytes[i + 1] as number) < 0x80) i++;
    const body = (bytes[i] as number) >= 0x80 ? [0, ...bytes.subarray(i)] : [...bytes.subarray(i)];
    return [0x02, body.length, ...body];
  };
  const seq = [...int(compact.subarray(0, 32)), ...int(compact.subarray(32))];
  return new Uint8Array([0x30, seq.length, ...seq]);
}

describe('signing and verification', () => {
  const signer = createSigner(testKey('a'), { randomBytes: counterRandom() });
  const other = createSigner(testKey('b'), { randomBytes: counterRandom() });

  it('signs hedged (fresh entropy each time) and every signature verifies, low-S', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (message) => {
        const a = signer.sign(message);
        const b = signer.sign(message);
        expect(a).not.toEqual(b);
        for (const sig of [a, b]) {
          expect(sig.length).toBe(64);
          expect(isLowS(sig)).toBe(true);
          expect(checkSignature(nobleVerifier, sig, message, signer.publicKey)).toBe('valid');
        }
      }),
      { numRuns: 30 },
    );
  });

  it('is deterministic for a given entropy (what the vectors rely on)', () => {
    const key = testKey('a');
    const entropy = new Uint8Array(32).fill(5);
    expect(signWithEntropy(key, new Uint8Array([1]), entropy)).toEqual(
      signWithEntropy(key, new Uint8Array([1]), entropy),
    );
  });

  it('rejects a high-S signature even though it is otherwise valid', () => {
    const message = new Uint8Array([1, 2, 3]);
    const sig = signer.sign(message);
    const flipped = highS(sig);
    // The flipped signature is mathematically valid: a backend without the low-S rule accepts it.
    expect(secp.verify(flipped, message, signer.publicKey, { lowS: false, prehash: true, format: 'compact' })).toBe(
      true,
    );
    expect(isLowS(flipped)).toBe(false);
    expect(checkSignature(nobleVerifier, flipped, message, signer.publicKey)).toBe('highS');
    expect(normalizeS(flipped as Signature)).toEqual(sig);
  });

  it('rejects DER, recovered (65), truncated (63) and empty signatures as malformed', () => {
    const message = new Uint8Array([4]);
    const sig = signer.sign(message);
    const der = toDer(sig);
    // The DER form is a valid signature to OpenSSL: only our 64-byte rule refuses it.
    const spki = Buffer.concat([
      Buffer.from('3036301006072a8648ce3d020106052b8104000a032200', 'hex'),
      signer.publicKey,
    ]);
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    expect(nodeVerify('sha256', message, { key, dsaEncoding: 'der' }, der)).toBe(true);
    const recovered = secp.sign(message, testKey('a'), { format: 'recovered', prehash: true, lowS: true });
    expect(der.length).toBeGreaterThan(64);
    for (const bad of [der, recovered, sig.subarray(0, 63), new Uint8Array([...sig, 0]), new Uint8Array(0)]) {
      expect(checkSignature(nobleVerifier, bad, message, signer.publicKey)).toBe('malformed');
    }
  });

  it('rejects a signature by another key, over another message, or with zeroed parts', () => {
    const message = new Uint8Array([7]);
    const sig = signer.sign(message);
    expect(checkSignature(nobleVerifier, sig, message, other.publicKey)).toBe('invalid');
    expect(checkSignature(nobleVerifier, sig, new Uint8Array([8]), signer.publicKey)).toBe('invalid');
    expect(checkSignature(nobleVerifier, new Uint8Array(64), message, signer.publicKey)).toBe('highS');
    const badKey = new Uint8Array(33).fill(2);
    expect(checkSignature(nobleVerifier, sig, message, badKey as never)).toBe('invalid');
  });
});

describe('keys and ids', () => {
  it('creates keys from caller randomness and derives 33-byte compressed public keys', () => {
    const secret = createSecretKey(counterRandom(42));
    const pub = publicKeyOf(secret);
    expect(pub.length).toBe(33);
    expect(isValidPublicKey(pub)).toBe(true);
    expect(() => publicKeyOf(asSecretKey(new Uint8Array(32)))).toThrow(RangeError);
    expect(() => asSecretKey(new Uint8Array(31))).toThrow(RangeError);
  });

  it('derives distinct 32-byte hub and payee ids from the same key', () => {
    const pub = publicKeyOf(testKey('x'));
    expect(hubIdFromKey(pub)).toHaveLength(32);
    expect(hubIdFromKey(pub)).not.toEqual(payeeIdFromKey(pub));
  });

  it('derives the same merchant key on both sides, and a different one for another network or payee', () => {
    const hubSecret = testKey('hub');
    const merchantSecret = testKey('merchant');
    const hubId = hubIdFromKey(publicKeyOf(hubSecret));
    const payeeId = payeeIdFromKey(publicKeyOf(merchantSecret));
    const onHub = deriveMerchantKey({
      secretKey: hubSecret,
      peerKey: publicKeyOf(merchantSecret),
      networkId: 1,
      hubId,
      payeeId,
    });
    const onMerchant = deriveMerchantKey({
      secretKey: merchantSecret,
      peerKey: publicKeyOf(hubSecret),
      networkId: 1,
      hubId,
      payeeId,
    });
    expect(onHub).toEqual(onMerchant);
    const otherNet = deriveMerchantKey({
      secretKey: hubSecret,
      peerKey: publicKeyOf(merchantSecret),
      networkId: 2,
      hubId,
      payeeId,
    });
    expect(otherNet).not.toEqual(onHub);
    expect(() =>
      deriveMerchantKey({ secretKey: hubSecret, peerKey: new Uint8Array(33) as never, networkId: 1, hubId, payeeId }),
    ).toThrow(RangeError);
  });
});

describe('isLowS', () => {
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const toBytes = (value: bigint) =>
    Uint8Array.from({ length: 32 }, (_, i) => Number((value >> BigInt(8 * (31 - i))) & 0xffn));
  const reference = (r: bigint, s: bigint) => r >= 1n && r < n && s >= 1n && s <= n >> 1n;
  const scalar = fc.oneof(
    fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
    fc.constantFrom(0n, 1n, n >> 1n, (n >> 1n) + 1n, n - 1n, n, n + 1n, 2n ** 256n - 1n),
  );

  it('agrees with the bigint definition (r in 1..n-1, s in 1..n/2), boundaries included', () => {
    fc.assert(
      fc.property(scalar, scalar, (r, s) => {
        const signature = new Uint8Array(64);
        signature.set(toBytes(r), 0);
        signature.set(toBytes(s), 32);
        expect(isLowS(signature)).toBe(reference(r, s));
      }),
      { numRuns: 2_000 },
    );
  });
});
