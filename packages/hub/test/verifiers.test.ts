import {
  checkSignature,
  createSecretKey,
  createSigner,
  nobleVerifier,
  type PublicKey,
  type Signature,
} from '@trickle/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  asAsyncVerifier,
  checkSignatureAsync,
  createNodeCryptoVerifier,
  createThreadPoolVerifier,
  tinySecp256k1Verifier,
} from '../src/index.js';

const curveOrder = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const nodeCrypto = createNodeCryptoVerifier();
const threadPool = createThreadPoolVerifier();
const syncVerifiers = [nobleVerifier, nodeCrypto, tinySecp256k1Verifier];
const asyncVerifiers = [threadPool, asAsyncVerifier(tinySecp256k1Verifier)];

function highS(signature: Signature): Signature {
  const s = BigInt(`0x${Buffer.from(signature.subarray(32)).toString('hex')}`);
  const out = new Uint8Array(signature);
  out.set(Buffer.from((curveOrder - s).toString(16).padStart(64, '0'), 'hex'), 32);
  return out as Signature;
}

describe('verifiers agree with the noble reference', () => {
  it('valid signatures verify and tampered ones do not, in every backend (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), async (message, flip) => {
        const signer = createSigner(createSecretKey(randomBytes), { randomBytes });
        const signature = signer.sign(message);
        const tampered = new Uint8Array(message);
        const at = flip % tampered.length;
        tampered[at] = (tampered[at] as number) ^ 1;
        for (const v of syncVerifiers) {
          expect(v.verify(signature, message, signer.publicKey), v.name).toBe(true);
          expect(v.verify(signature, tampered, signer.publicKey), v.name).toBe(false);
        }
        for (const v of asyncVerifiers) {
          expect(await v.verify(signature, message, signer.publicKey), v.name).toBe(true);
          expect(await v.verify(signature, tampered, signer.publicKey), v.name).toBe(false);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('high-S is refused by the checks whatever the backend accepts (OpenSSL accepts it)', async () => {
    const signer = createSigner(createSecretKey(randomBytes), { randomBytes });
    const message = new Uint8Array([1, 2, 3]);
    const high = highS(signer.sign(message));
    // The backends disagree on high-S: OpenSSL verifies it, libsecp256k1 strict and noble do not.
    expect(nodeCrypto.verify(high, message, signer.publicKey)).toBe(true);
    expect(tinySecp256k1Verifier.verify(high, message, signer.publicKey)).toBe(false);
    expect(nobleVerifier.verify(high, message, signer.publicKey)).toBe(false);
    // Behind protocol's checks, every backend refuses it.
    for (const v of syncVerifiers) expect(checkSignature(v, high, message, signer.publicKey)).toBe('highS');
    for (const v of asyncVerifiers) expect(await checkSignatureAsync(v, high, message, signer.publicKey)).toBe('highS');
    expect(await checkSignatureAsync(threadPool, high.subarray(0, 63), message, signer.publicKey)).toBe('malformed');
  });

  it('a key that is not a curve point verifies nothing and throws nothing', async () => {
    const signer = createSigner(createSecretKey(randomBytes), { randomBytes });
    const message = new Uint8Array([9]);
    const signature = signer.sign(message);
    const notAPoint = new Uint8Array(33).fill(0xff) as PublicKey;
    notAPoint[0] = 2;
    for (const v of syncVerifiers) expect(v.verify(signature, message, notAPoint)).toBe(false);
    expect(await threadPool.verify(signature, message, notAPoint)).toBe(false);
  });
});
