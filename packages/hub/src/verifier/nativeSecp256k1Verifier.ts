/**
 * Verification with libsecp256k1 as a native addon (npm `secp256k1`, its N-API prebuilds),
 * when it loads on this platform: ~52 µs of CPU per check here against ~230 µs for the
 * WASM build (tiny-secp256k1), the largest single item of a payment's cost at the hub
 * (ADR 0416). libsecp256k1 refuses high-S itself; the protocol's checks refuse it first.
 * It is an optional dependency: where it does not load, the hub keeps tiny-secp256k1.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Verifier } from '@trickle/protocol';

/** The part of `secp256k1`'s native binding used here. */
interface NativeSecp256k1 {
  ecdsaVerify(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean;
}

/**
 * The native binding, or undefined where it does not load (no prebuild for this platform,
 * or the optional dependency is absent). Its `bindings` entry loads the addon or throws: it
 * never falls back to JavaScript.
 */
function loadNative(): NativeSecp256k1 | undefined {
  try {
    return createRequire(import.meta.url)('secp256k1/bindings') as NativeSecp256k1;
  } catch {
    return undefined;
  }
}

/**
 * Where the native binding is, for the verifier threads that load it themselves (they
 * guard every call into it, see workerPoolVerifier.ts and ADR 0416); undefined where it
 * does not load in this thread. Not part of the package's exports.
 */
export function nativeSecp256k1Path(): string | undefined {
  if (nativeSecp256k1Verifier() === undefined) return undefined;
  return createRequire(import.meta.url).resolve('secp256k1/bindings');
}

let loaded: Verifier | null | undefined;

/**
 * A synchronous `Verifier` on native libsecp256k1, or undefined where the addon does not
 * load (then use `tinySecp256k1Verifier`, as the hub's default does).
 *
 * @example
 * ```ts
 * import { nativeSecp256k1Verifier, tinySecp256k1Verifier } from '@trickle/hub';
 * const verifier = nativeSecp256k1Verifier() ?? tinySecp256k1Verifier;
 * verifier.name; // 'libsecp256k1-native' where the prebuilt addon loads
 * ```
 */
export function nativeSecp256k1Verifier(): Verifier | undefined {
  if (loaded === undefined) {
    const native = loadNative();
    loaded =
      native === undefined
        ? null
        : Object.freeze<Verifier>({
            name: 'libsecp256k1-native',
            verify(signature, message, publicKey) {
              try {
                return native.ecdsaVerify(signature, createHash('sha256').update(message).digest(), publicKey);
              } catch {
                return false; // wrong lengths, not a point, r or s out of range
              }
            },
          });
  }
  return loaded ?? undefined;
}
