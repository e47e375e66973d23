/**
 * The hash primitives, configured once. `@noble/secp256k1` v3 needs its sync hashes set
 * explicitly before `sign` works; this module does that on import. SHA-256 and HMAC are
 * sha256.ts (the same functions as noble-hashes, checked against it, several times
 * faster on the small inputs of the hot path and of RFC 6979 nonces: ADR 0206); HKDF,
 * used once per merchant key, stays noble-hashes'.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import * as secp from '@noble/secp256k1';
import { hmacDigest, sha256Digest } from './sha256.js';

secp.hashes.sha256 = sha256Digest;
secp.hashes.hmacSha256 = hmacDigest;

/**
 * SHA-256 of the concatenation of `parts`.
 *
 * @example
 * ```ts
 * import { sha256 } from '@trickle/protocol';
 * sha256(new Uint8Array([1]), new Uint8Array([2])).length; // 32
 * ```
 */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return sha256Digest(parts[0] as Uint8Array);
  let length = 0;
  for (const part of parts) length += part.length;
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return sha256Digest(joined);
}

/**
 * HMAC-SHA256 of `message` under `key`.
 *
 * @example
 * ```ts
 * import { hmacSha256 } from '@trickle/protocol';
 * hmacSha256(new Uint8Array(32), new Uint8Array([1])).length; // 32
 * ```
 */
export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  return hmacDigest(key, message);
}

/** HKDF-SHA256 (RFC 5869) of `length` bytes. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return hkdf(nobleSha256, ikm, salt, info, length);
}

export { secp };
