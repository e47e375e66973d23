/**
 * The hash primitives, configured once. `@noble/secp256k1` v3 needs its sync hashes set
 * explicitly before `sign` works; this module does that on import, with noble-hashes:
 * the hashes behind signing (RFC 6979 nonces, where a fault could leak the key) stay on
 * the audited library. The payment log, ids and MACs use sha256.ts (the same functions,
 * checked against noble-hashes and node:crypto, several times faster on the hot path's
 * small inputs: ADR 0206). HKDF, used once per merchant key, is noble-hashes'.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import * as secp from '@noble/secp256k1';
import { concatBytes } from './bytes.js';
import { hmacDigest, sha256Digest } from './sha256.js';

secp.hashes.sha256 = nobleSha256;
secp.hashes.hmacSha256 = (key, message) => hmac(nobleSha256, key, message);

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
  return sha256Digest(parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(...parts));
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
