/**
 * Money requests (ADR 0241): round trip, signature bound to every field, and hostile
 * tokens answered with a typed error, never anything else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  asSecretKey,
  checkMoneyRequest,
  createSigner,
  decodeMoneyRequest,
  encodeMoneyRequest,
  fromBase64url,
  type HubId,
  memoCharsMax,
  moneyRequestPayee,
  moneyRequestTokenCharsMax,
  nobleVerifier,
  payeeIdFromKey,
  signMoneyRequest,
  TrickleError,
  toBase64url,
} from '../src/index.js';

const signer = createSigner(asSecretKey(new Uint8Array(32).fill(5)), {
  randomBytes: (n) => new Uint8Array(n).fill(1),
});
const hubId = new Uint8Array(32).fill(9) as HubId;
const domain = { networkId: 3, hubId };
const body = {
  networkId: 3,
  hubId,
  payeeKey: signer.publicKey,
  asset: { code: 'USD', scale: 6 },
  amount: 2_500n,
  expiresAtMs: 2_000_000_000_000,
  memo: 'rent, December',
};

function refused(token: string): boolean {
  try {
    decodeMoneyRequest(token);
    return false;
  } catch (error) {
    expect(error).toBeInstanceOf(TrickleError);
    expect((error as TrickleError).code).toBe('MALFORMED_TOKEN');
    return true;
  }
}

describe('money requests', () => {
  it('round-trips and verifies; the payee is the signer', () => {
    const token = encodeMoneyRequest(signMoneyRequest(signer, body));
    const request = decodeMoneyRequest(token);
    expect(request).toMatchObject(body);
    expect(moneyRequestPayee(request)).toEqual(payeeIdFromKey(signer.publicKey));
    expect(checkMoneyRequest(request, domain, 1_000, nobleVerifier)).toBe('valid');
    expect(checkMoneyRequest(request, { ...domain, networkId: 4 }, 1_000, nobleVerifier)).toBe('wrongNetwork');
    expect(checkMoneyRequest(request, { ...domain, hubId: new Uint8Array(32) as HubId }, 1_000, nobleVerifier)).toBe(
      'wrongHub',
    );
    expect(checkMoneyRequest(request, domain, body.expiresAtMs, nobleVerifier)).toBe('expired');
  });

  it('fits a QR code: the longest memo still makes a token of at most moneyRequestTokenCharsMax', () => {
    const token = encodeMoneyRequest(signMoneyRequest(signer, { ...body, memo: 'é'.repeat(127) }));
    expect(token.length).toBeLessThanOrEqual(moneyRequestTokenCharsMax);
    expect(moneyRequestTokenCharsMax).toBe(570);
    expect(() => signMoneyRequest(signer, { ...body, memo: 'x'.repeat(memoCharsMax + 1) })).toThrow(RangeError);
  });

  it('any changed field breaks the signature', () => {
    const request = signMoneyRequest(signer, body);
    for (const change of [
      { amount: 2_501n },
      { memo: 'rent, January' },
      { expiresAtMs: body.expiresAtMs + 1 },
      { asset: { code: 'EUR', scale: 6 } },
    ]) {
      const changed = decodeMoneyRequest(encodeMoneyRequest({ ...request, ...change }));
      expect(checkMoneyRequest(changed, domain, 1_000, nobleVerifier)).toBe('badSignature');
    }
  });

  it('hostile tokens: random text, truncations, flipped bytes, a lying memo length, bad UTF-8: a typed error or a token that fails its check', () => {
    const bytes = fromBase64url(encodeMoneyRequest(signMoneyRequest(signer, body)), 'test');
    expect(refused('')).toBe(true);
    expect(refused('x'.repeat(moneyRequestTokenCharsMax + 1))).toBe(true);
    expect(refused(toBase64url(bytes.subarray(0, bytes.length - 1)))).toBe(true);
    const lying = bytes.slice();
    lying[13 + 32 + 33 + 13 + 16] = 200; // memo length past the end
    expect(refused(toBase64url(lying))).toBe(true);
    const badUtf8 = bytes.slice();
    badUtf8[13 + 32 + 33 + 13 + 16 + 1] = 0xc0; // an overlong form in the memo
    expect(refused(toBase64url(badUtf8))).toBe(true);
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        try {
          decodeMoneyRequest(text);
        } catch (error) {
          expect(error).toBeInstanceOf(TrickleError);
        }
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const mutated = bytes.slice();
        mutated[at] = (mutated[at] as number) ^ xor;
        try {
          const request = decodeMoneyRequest(toBase64url(mutated));
          expect(checkMoneyRequest(request, domain, 1_000, nobleVerifier)).not.toBe('valid');
        } catch (error) {
          expect(error).toBeInstanceOf(TrickleError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
