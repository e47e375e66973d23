/**
 * Verification with node:crypto (OpenSSL): the key is wrapped once as SPKI DER and
 * cached as a KeyObject; signatures are read as compact `ieee-p1363`. OpenSSL accepts
 * high-S signatures, so this must only be used behind `checkSignature` /
 * `checkSignatureAsync`, which reject them first (ADR 0201).
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { LruMap, type PublicKey, type Verifier } from '@trickle/protocol';
import { keyCacheEntriesMax } from '../limits.js';
import type { AsyncVerifier } from './asyncVerifier.js';

/** SPKI DER prefix of a compressed secp256k1 public key (id-ecPublicKey, secp256k1, BIT STRING of 33 bytes). */
const spkiPrefix = Uint8Array.from([
  0x30, 0x36, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00,
  0x0a, 0x03, 0x22, 0x00,
]);

/** A small LRU of KeyObjects (~2.8 KB each), bounded by `entriesMax`. */
function keyCache(entriesMax: number) {
  const cache = new LruMap<string, KeyObject | null>(entriesMax);
  return (publicKey: PublicKey): KeyObject | null => {
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('latin1');
    let key = cache.get(id);
    if (key !== undefined) return key;
    try {
      const der = new Uint8Array(spkiPrefix.length + publicKey.length);
      der.set(spkiPrefix);
      der.set(publicKey, spkiPrefix.length);
      key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
    } catch {
      key = null; // not a point on the curve: every signature under it is invalid
    }
    cache.set(id, key);
    return key;
  };
}

/** Options of {@link createNodeCryptoVerifier}. */
export interface NodeCryptoVerifierOptions {
  /** Most cached KeyObjects. Default {@link keyCacheEntriesMax} (10,000). */
  readonly keyCacheEntriesMax?: number;
}

/**
 * A synchronous `Verifier` on node:crypto with a cached KeyObject per key.
 *
 * @example
 * ```ts
 * import { createNodeCryptoVerifier } from '@trickle/hub';
 * const verifier = createNodeCryptoVerifier();
 * verifier.name; // 'node-crypto'
 * ```
 */
export function createNodeCryptoVerifier(options: NodeCryptoVerifierOptions = {}): Verifier {
  const keyOf = keyCache(options.keyCacheEntriesMax ?? keyCacheEntriesMax);
  return {
    name: 'node-crypto',
    verify(signature, message, publicKey) {
      const key = keyOf(publicKey);
      if (key === null) return false;
      try {
        return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
      } catch {
        return false;
      }
    },
  };
}

/**
 * An {@link AsyncVerifier} on node:crypto's asynchronous `verify`, which runs on the
 * libuv threadpool: verification uses every core and never blocks the event loop.
 * The hub's default (ADR 0201).
 *
 * @example
 * ```ts
 * import { createThreadPoolVerifier } from '@trickle/hub';
 * const verifier = createThreadPoolVerifier();
 * verifier.name; // 'node-crypto-threadpool'
 * ```
 */
export function createThreadPoolVerifier(options: NodeCryptoVerifierOptions = {}): AsyncVerifier {
  const keyOf = keyCache(options.keyCacheEntriesMax ?? keyCacheEntriesMax);
  return {
    name: 'node-crypto-threadpool',
    verify(signature, message, publicKey) {
      const key = keyOf(publicKey);
      if (key === null) return Promise.resolve(false);
      return new Promise((resolve) => {
        try {
          verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature, (error, ok) =>
            resolve(error === null && ok),
          );
        } catch {
          resolve(false);
        }
      });
    },
  };
}
