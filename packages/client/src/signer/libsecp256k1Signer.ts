/**
 * A wallet signer on libsecp256k1 (the `tiny-secp256k1` build, WebAssembly): the same
 * signatures as the default noble signer, about three times faster. Node only (it is
 * exported from `@trickle/client/node`, so a browser bundle never carries the WebAssembly).
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import {
  asSecretKey,
  publicKeyOf,
  type RandomBytes,
  type SecretKey,
  type Signature,
  type Signer,
  sha256,
} from '@trickle/protocol';
import * as secp from 'tiny-secp256k1';

/** Options of {@link libsecp256k1Signer}. */
export interface Libsecp256k1SignerOptions {
  /** Entropy for hedged signing, 32 fresh bytes per signature; default `node:crypto`'s `randomBytes`. */
  readonly randomBytes?: RandomBytes;
}

/**
 * A `Signer` for `createWallet({ key })` that signs with libsecp256k1: RFC 6979 nonces hedged
 * with 32 fresh random bytes, low-S, 64-byte compact, over SHA-256 of the message. For the same
 * entropy its signature is byte for byte the one the default signer (`createSigner`, noble)
 * makes, so hubs and ledgers see no difference; a signature takes ~0.08 ms instead of ~0.26 ms
 * on the reference machine, which is most of what a Node payer's own CPU adds to a payment
 * (docs/benchmarks.md, P1).
 *
 * @param secretKey - The payer's 32-byte secret key; copied, so the caller may wipe its own.
 * @throws TypeError if `secretKey` is not a valid secp256k1 secret key.
 *
 * @example
 * ```ts
 * import { createWallet } from '@trickle/client';
 * import { fileStore, libsecp256k1Signer } from '@trickle/client/node';
 * declare const secretKey: Uint8Array;
 *
 * const wallet = await createWallet({
 *   key: libsecp256k1Signer(secretKey),
 *   hub: { url: 'ws://127.0.0.1:8787', networkId: 1 },
 *   store: fileStore({ path: './.data/wallet.jsonl' }),
 * });
 * ```
 */
export function libsecp256k1Signer(secretKey: Uint8Array, options: Libsecp256k1SignerOptions = {}): Signer {
  const key: SecretKey = asSecretKey(new Uint8Array(secretKey));
  const randomBytes = options.randomBytes ?? ((length: number) => new Uint8Array(nodeRandomBytes(length)));
  return {
    publicKey: publicKeyOf(key),
    sign(message: Uint8Array): Signature {
      const entropy = randomBytes(32);
      if (entropy.length !== 32) throw new RangeError('libsecp256k1Signer: randomBytes(32) must return 32 bytes');
      return secp.sign(sha256(message), key, entropy) as Signature;
    },
  };
}
