/**
 * Verification with tiny-secp256k1 (libsecp256k1 compiled to WebAssembly), strict mode
 * (low-S only). The fastest synchronous option measured (ADR 0201); the hub uses it for
 * the rare signatures it checks inline (auth, open, top-up, close).
 */
import { createHash } from 'node:crypto';
import type { Verifier } from '@trickle/protocol';
import * as tiny from 'tiny-secp256k1';

/**
 * A synchronous `Verifier` on tiny-secp256k1.
 *
 * @example
 * ```ts
 * import { tinySecp256k1Verifier } from '@trickle/hub';
 * tinySecp256k1Verifier.name; // 'tiny-secp256k1'
 * ```
 */
export const tinySecp256k1Verifier: Verifier = Object.freeze<Verifier>({
  name: 'tiny-secp256k1',
  verify(signature, message, publicKey) {
    try {
      const digest = createHash('sha256').update(message).digest();
      return tiny.verify(digest, publicKey, signature, true);
    } catch {
      return false; // not a point, r or s out of range
    }
  },
});
