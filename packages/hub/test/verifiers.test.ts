import {
  checkSignature,
  createSecretKey,
  createSigner,
  nobleVerifier,
  type PublicKey,
  type Signature,
} from '@trickle/protocol';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  asAsyncVerifier,
  checkSignatureAsync,
  createNodeCryptoVerifier,
  createThreadPoolVerifier,
  createWorkerPoolVerifier,
  nativeSecp256k1Verifier,
  tinySecp256k1Verifier,
} from '../src/index.js';

const curveOrder = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const nodeCrypto = createNodeCryptoVerifier();
const threadPool = createThreadPoolVerifier();
// The native addon ships prebuilt for the platforms CI runs on: there it must load, or the
// hub would quietly pay four times the CPU per check (ADR 0416).
const native = nativeSecp256k1Verifier();
const nativeExpected = ['linux-x64', 'darwin-arm64', 'win32-x64'].includes(`${process.platform}-${process.arch}`);
const syncVerifiers = [nobleVerifier, nodeCrypto, tinySecp256k1Verifier, ...(native === undefined ? [] : [native])];
const workerPool = createWorkerPoolVerifier({ threads: 2, startNow: true }); // the hub's way; the lazy start is below
const wasmWorkerPool = createWorkerPoolVerifier({ threads: 1, native: false });
const asyncVerifiers = [threadPool, workerPool, wasmWorkerPool, asAsyncVerifier(tinySecp256k1Verifier)];
afterAll(() => Promise.all([workerPool.close(), wasmWorkerPool.close()]));

it('the native libsecp256k1 addon loads where it ships prebuilt, and the worker threads use it', () => {
  if (nativeExpected) expect(native?.name).toBe('libsecp256k1-native');
  expect(workerPool.name).toBe(`${native === undefined ? 'tiny-secp256k1' : 'libsecp256k1-native'}-workers(2)`);
  expect(wasmWorkerPool.name).toBe('tiny-secp256k1-workers(1)');
});

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
    if (native !== undefined) expect(native.verify(high, message, signer.publicKey)).toBe(false);
    expect(await workerPool.verify(high, message, signer.publicKey)).toBe(false);
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
    expect(await workerPool.verify(signature, message, notAPoint)).toBe(false);
    expect(await wasmWorkerPool.verify(signature, message, notAPoint)).toBe(false);
    if (native !== undefined) {
      // Wrong lengths are refused, not thrown.
      expect(native.verify(signature.subarray(0, 63) as Signature, message, signer.publicKey)).toBe(false);
      expect(native.verify(signature, message, signer.publicKey.subarray(0, 32) as PublicKey)).toBe(false);
    }
  });
});

describe('the worker pool verifier', () => {
  it('answers each of many checks requested in one turn (batched) for its own signature', async () => {
    const signer = createSigner(createSecretKey(randomBytes), { randomBytes });
    const messages = Array.from({ length: 200 }, (_, i) => randomBytes(1 + (i % 150)));
    const signatures = messages.map((m, i) => {
      const signature = signer.sign(m);
      if (i % 3 !== 0) return signature;
      const bad = new Uint8Array(signature);
      bad[5] = (bad[5] as number) ^ 1;
      return bad as Signature;
    });
    const results = await Promise.all(
      messages.map((m, i) => workerPool.verify(signatures[i] as Signature, m, signer.publicKey)),
    );
    expect(results).toEqual(messages.map((_, i) => i % 3 !== 0));
  });

  it('closing with checks in flight loses none: they are verified inline', async () => {
    const pool = createWorkerPoolVerifier({ threads: 1 });
    const signer = createSigner(createSecretKey(randomBytes), { randomBytes });
    const message = new Uint8Array([4, 2]);
    const signature = signer.sign(message);
    const bad = new Uint8Array(signature) as Signature;
    bad[40] = (bad[40] as number) ^ 1;
    try {
      expect(await pool.verify(signature, message, signer.publicKey)).toBe(true);
      const pending = Array.from({ length: 20 }, (_, i) =>
        pool.verify(i % 2 ? bad : signature, message, signer.publicKey),
      );
      await new Promise((resolve) => setImmediate(resolve)); // the batch is on its way to the thread
      await pool.close();
      expect(await Promise.all(pending)).toEqual(pending.map((_, i) => i % 2 === 0));
      // After close, checks are still answered (inline).
      expect(await pool.verify(signature, message, signer.publicKey)).toBe(true);
    } finally {
      await pool.close();
    }
  });
});
