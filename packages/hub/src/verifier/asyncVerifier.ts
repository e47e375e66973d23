/**
 * The hub's one verification port (ADR 0225): every signature the hub checks goes through
 * it. Like protocol's `Verifier`, but asynchronous so that the
 * math can run off the event loop (libuv threadpool, worker threads).
 */
import {
  byteSizes,
  isLowS,
  type PublicKey,
  type Signature,
  type SignatureCheck,
  type Verifier,
} from '@trickle/protocol';

/** Verifies signatures without blocking the event loop. Never rejects for a bad signature: resolves false. */
export interface AsyncVerifier {
  /** A short name for logs and figures, e.g. `node-crypto-threadpool`. */
  readonly name: string;
  /** Resolves whether `signature` is a valid ECDSA signature over sha256(`message`) by `publicKey`. */
  verify(signature: Signature, message: Uint8Array, publicKey: PublicKey): Promise<boolean>;
  /**
   * Like `verify`, but never on the calling thread, for a caller with its own work to do
   * meanwhile (the hub commits a voucher while its signature is checked, ADR 0415). Optional:
   * a verifier that always works off the event loop needs none.
   */
  verifyAside?(signature: Signature, message: Uint8Array, publicKey: PublicKey): Promise<boolean>;
  /** Ends what the verifier runs (threads); a hub closes the verifier it created. Optional. */
  close?(): Promise<void>;
}

/**
 * Wraps a synchronous `Verifier` (noble, tiny-secp256k1) as an {@link AsyncVerifier}.
 * The math still runs on the event loop: this is for baselines and tests.
 *
 * @example
 * ```ts
 * import { nobleVerifier } from '@trickle/protocol';
 * import { asAsyncVerifier } from '@trickle/hub';
 * const verifier = asAsyncVerifier(nobleVerifier);
 * ```
 */
export function asAsyncVerifier(verifier: Verifier): AsyncVerifier {
  return {
    name: verifier.name,
    verify: (signature, message, publicKey) => Promise.resolve(verifier.verify(signature, message, publicKey)),
  };
}

/**
 * protocol's `checkSignature` rules (64 bytes, low-S, 33-byte key) in front of an
 * {@link AsyncVerifier}, so a backend that accepts high-S (OpenSSL) is still safe.
 *
 * @example
 * ```ts
 * import { asAsyncVerifier, checkSignatureAsync } from '@trickle/hub';
 * import { nobleVerifier } from '@trickle/protocol';
 * declare const sig: Uint8Array, msg: Uint8Array, key: import('@trickle/protocol').PublicKey;
 * const check = await checkSignatureAsync(asAsyncVerifier(nobleVerifier), sig, msg, key); // 'valid' | ...
 * ```
 */
export async function checkSignatureAsync(
  verifier: AsyncVerifier,
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: PublicKey,
): Promise<SignatureCheck> {
  if (!(signature instanceof Uint8Array) || signature.length !== byteSizes.signature) return 'malformed';
  if (!isLowS(signature)) return 'highS';
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== byteSizes.publicKey) return 'invalid';
  return (await verifier.verify(signature as Signature, message, publicKey)) ? 'valid' : 'invalid';
}
