import { createHash, createHmac } from 'node:crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hmacSha256, sha256, toHex } from './index.js';
import { cachedHmacKeyState, hmacDigest, hmacKeyState, hmacWithState, sha256Digest } from './sha256.js';

const ascii = (text: string) => new TextEncoder().encode(text);
const hex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

describe('sha256 (FIPS 180-4 vectors)', () => {
  it.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
    [
      'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
      'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
    ],
  ])('sha256(%j)', (text, digest) => {
    expect(toHex(sha256Digest(ascii(text)))).toBe(digest);
    expect(toHex(sha256(ascii(text)))).toBe(digest);
  });

  it('one million "a"', () => {
    expect(toHex(sha256(new Uint8Array(1_000_000).fill(0x61)))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    );
  });

  it('agrees with noble-hashes and node:crypto at every length around the block boundaries', () => {
    for (let length = 0; length <= 300; length++) {
      const message = Uint8Array.from({ length }, (_, i) => (i * 31 + length) & 0xff);
      const expected = toHex(nobleSha256(message));
      expect(toHex(sha256Digest(message))).toBe(expected);
      expect(createHash('sha256').update(message).digest('hex')).toBe(expected);
    }
  });

  it('hashes the concatenation of its parts', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 150 }), { maxLength: 5 }), (parts) => {
        const joined = Uint8Array.from(parts.flatMap((p) => [...p]));
        expect(toHex(sha256(...parts))).toBe(toHex(nobleSha256(joined)));
      }),
    );
  });

  it('does not depend on earlier calls (scratch state is reset) and returns fresh arrays', () => {
    const a = sha256Digest(ascii('abc'));
    sha256Digest(new Uint8Array(1000).fill(7));
    const b = sha256Digest(ascii('abc'));
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
  });
});

describe('hmacSha256 (RFC 4231 vectors)', () => {
  it.each([
    ['0b'.repeat(20), toHex(ascii('Hi There')), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    [
      toHex(ascii('Jefe')),
      toHex(ascii('what do ya want for nothing?')),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    ],
    ['aa'.repeat(20), 'dd'.repeat(50), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
    [
      'aa'.repeat(131),
      toHex(ascii('Test Using Larger Than Block-Size Key - Hash Key First')),
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    ],
    [
      'aa'.repeat(131),
      toHex(
        ascii(
          'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
        ),
      ),
      '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
    ],
  ])('case with key %s', (key, message, mac) => {
    expect(toHex(hmacDigest(hex(key), hex(message)))).toBe(mac);
    expect(toHex(hmacSha256(hex(key), hex(message)))).toBe(mac);
    expect(toHex(hmacWithState(hmacKeyState(hex(key)), hex(message)))).toBe(mac);
  });

  it('agrees with noble-hashes and node:crypto on random keys and messages', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 150 }), fc.uint8Array({ maxLength: 300 }), (key, message) => {
        const expected = toHex(hmac(nobleSha256, key, message));
        expect(toHex(hmacDigest(key, message))).toBe(expected);
        expect(toHex(hmacWithState(cachedHmacKeyState(key), message))).toBe(expected);
        expect(createHmac('sha256', key).update(message).digest('hex')).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('reuses the first block only for messages that start with it (alternating layouts under one key)', () => {
    const key = new Uint8Array(32).fill(9);
    const state = cachedHmacKeyState(key);
    const a = Uint8Array.from({ length: 154 }, (_, i) => i);
    const sameStart = Uint8Array.from(a, (b, i) => (i >= 64 ? b ^ 0xff : b));
    const otherStart = Uint8Array.from(a, (b, i) => (i === 3 ? b ^ 1 : b));
    for (const message of [a, sameStart, a, otherStart, sameStart, new Uint8Array(64), new Uint8Array(65), a]) {
      expect(toHex(hmacWithState(state, message))).toBe(toHex(hmac(nobleSha256, key, message)));
    }
  });

  it('never uses a cached key state after the key array was changed', () => {
    const key = new Uint8Array(32).fill(1);
    const message = ascii('receipt');
    const first = hmacWithState(cachedHmacKeyState(key), message);
    expect(hmacWithState(cachedHmacKeyState(key), message)).toEqual(first);
    key.fill(2);
    const second = hmacWithState(cachedHmacKeyState(key), message);
    expect(second).not.toEqual(first);
    expect(toHex(second)).toBe(toHex(hmac(nobleSha256, key, message)));
  });
});
