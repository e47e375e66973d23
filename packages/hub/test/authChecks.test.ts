/** The auth-check queue (ADR 0226): bounded in flight and waiting, refused beyond, abandoned checks dropped unchecked. */
import { authSigningBytes, createSecretKey, createSigner, type PublicKey } from '@trickle/protocol';
import { expect, it } from 'vitest';
import { type AsyncVerifier, asAsyncVerifier, tinySecp256k1Verifier } from '../src/index.js';
import { createAuthChecks } from '../src/verifier/authChecks.js';

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const signer = createSigner(createSecretKey(random), { randomBytes: random });
const domain = { networkId: 1, hubId: random(32) as never };
const signed = authSigningBytes(domain, random(32), signer.publicKey);
const signature = signer.sign(signed);
const key: PublicKey = signer.publicKey;

/** The real verifier, each check held until `release()`; counts the checks that reached it. */
function heldVerifier() {
  const inner = asAsyncVerifier(tinySecp256k1Verifier);
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const seen = { checks: 0 };
  const verifier: AsyncVerifier = {
    name: 'held',
    async verify(...args) {
      seen.checks++;
      await held;
      return inner.verify(...args);
    },
  };
  return { verifier, seen, release };
}

it('runs at most authChecksInFlightMax at once, queues authChecksQueuedMax, refuses the next at once', async () => {
  const { verifier, seen, release } = heldVerifier();
  const checks = createAuthChecks(verifier, { authChecksInFlightMax: 2, authChecksQueuedMax: 1 });
  const results = [0, 1, 2].map(() => checks.check(signature, signed, key, () => true));
  expect(await checks.check(signature, signed, key, () => true)).toBe('overloaded');
  expect(checks.inFlight).toBe(2);
  expect(checks.queued).toBe(1);
  expect(seen.checks).toBe(2);
  release();
  expect(await Promise.all(results)).toEqual(['valid', 'valid', 'valid']);
  expect(seen.checks).toBe(3);
  expect(checks.inFlight).toBe(0);
});

it('drops a queued check whose connection is gone, unchecked, and answers an invalid signature invalid', async () => {
  const { verifier, seen, release } = heldVerifier();
  const checks = createAuthChecks(verifier, { authChecksInFlightMax: 1, authChecksQueuedMax: 4 });
  const wrong = signer.sign(authSigningBytes(domain, random(32), key));
  const first = checks.check(wrong, signed, key, () => true);
  let gone = false;
  const abandoned = checks.check(signature, signed, key, () => !gone);
  const last = checks.check(signature, signed, key, () => true);
  gone = true;
  release();
  expect(await first).toBe('invalid');
  expect(await abandoned).toBe('abandoned');
  expect(await last).toBe('valid');
  expect(seen.checks).toBe(2);
});
