/**
 * secp256k1 keys, signing and verification. Signing is hedged (RFC 6979 plus fresh
 * entropy the caller supplies) and always low-S; verification accepts only 64-byte
 * compact low-S signatures by the exact 33-byte key, whatever backend does the math.
 */
import { asciiBytes, assertBytes, ByteWriter } from './bytes.js';
import { hkdfSha256, secp } from './crypto.js';
import {
  asSecretKey,
  byteSizes,
  type HubId,
  type MerchantKey,
  type PayeeId,
  type PublicKey,
  type SecretKey,
  type Signature,
} from './ids.js';

/** A source of cryptographically secure random bytes, supplied by the caller. */
export type RandomBytes = (length: number) => Uint8Array;

const curveOrder = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const halfCurveOrder = curveOrder >> 1n;

/**
 * A fresh secret key from the caller's randomness (48 random bytes reduced into the
 * curve's range, as FIPS 186-5 allows).
 *
 * @example
 * ```ts
 * import { createSecretKey } from '@trickle/protocol';
 * const secretKey = createSecretKey((n) => crypto.getRandomValues(new Uint8Array(n)));
 * ```
 */
export function createSecretKey(randomBytes: RandomBytes): SecretKey {
  return secp.utils.randomSecretKey(assertBytes(randomBytes(48), 48, 'randomBytes(48)')) as SecretKey;
}

/**
 * The 33-byte compressed public key of `secretKey`. Throws `RangeError` for a secret key
 * that is zero or not below the curve order.
 *
 * @example
 * ```ts
 * import { publicKeyOf, asSecretKey } from '@trickle/protocol';
 * publicKeyOf(asSecretKey(new Uint8Array(32).fill(1))).length; // 33
 * ```
 */
export function publicKeyOf(secretKey: SecretKey): PublicKey {
  asSecretKey(secretKey);
  if (!secp.utils.isValidSecretKey(secretKey)) throw new RangeError('secretKey: not in 1..n-1');
  return secp.getPublicKey(secretKey, true) as PublicKey;
}

/**
 * True when `key` is a valid 33-byte compressed point on secp256k1.
 *
 * @example
 * ```ts
 * import { isValidPublicKey } from '@trickle/protocol';
 * isValidPublicKey(new Uint8Array(33)); // false
 * ```
 */
export function isValidPublicKey(key: Uint8Array): key is PublicKey {
  return key instanceof Uint8Array && key.length === byteSizes.publicKey && secp.utils.isValidPublicKey(key, true);
}

/**
 * True when a 64-byte compact signature has `r` in 1..n-1 and `s` in 1..n/2 (low-S).
 * OpenSSL and some native verifiers accept high-S signatures; Trickle never does.
 *
 * @example
 * ```ts
 * import { isLowS } from '@trickle/protocol';
 * isLowS(new Uint8Array(64)); // false: r = 0
 * ```
 */
export function isLowS(signature: Uint8Array): boolean {
  if (signature.length !== byteSizes.signature) return false;
  // Big-endian byte comparisons against n and n/2: the same answer as comparing bigints,
  // without building two bigints per check (this runs for every voucher).
  return (
    !isZero(signature, 0) &&
    compareAt(signature, 0, curveOrderBytes) < 0 &&
    !isZero(signature, 32) &&
    compareAt(signature, 32, halfCurveOrderBytes) <= 0
  );
}

const curveOrderBytes = bigIntTo32Bytes(curveOrder);
const halfCurveOrderBytes = bigIntTo32Bytes(halfCurveOrder);

/** Compares the 32 bytes of `bytes` at `offset` with `bound` as big-endian numbers: -1, 0 or 1. */
function compareAt(bytes: Uint8Array, offset: number, bound: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const a = bytes[offset + i] as number;
    const b = bound[i] as number;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

function isZero(bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 32; i++) if (bytes[offset + i] !== 0) return false;
  return true;
}

/**
 * Returns a signature with `s` replaced by `n - s` when it is high: for signatures made by other libraries.
 *
 * @example
 * ```ts
 * import { normalizeS, isLowS } from '@trickle/protocol';
 * declare const opensslSignature: Parameters<typeof normalizeS>[0];
 * isLowS(normalizeS(opensslSignature)); // true
 * ```
 */
export function normalizeS(signature: Signature): Signature {
  const s = bytesToBigInt(signature.subarray(32, 64));
  if (s <= halfCurveOrder) return signature;
  const out = new Uint8Array(signature);
  out.set(bigIntTo32Bytes(curveOrder - s), 32);
  return out as Signature;
}

/**
 * Something that signs for one key. The message is the layout's signing bytes; the
 * signature is ECDSA over sha256(message), 64 bytes compact, low-S.
 */
export interface Signer {
  /** The 33-byte compressed public key that signatures verify under. */
  readonly publicKey: PublicKey;
  /** Signs `message` (not a digest). */
  sign(message: Uint8Array): Signature;
}

/** Options of {@link createSigner}. */
export interface CreateSignerOptions {
  /** Entropy source for hedged signing: 32 fresh bytes per signature. */
  readonly randomBytes: RandomBytes;
}

/**
 * A {@link Signer} backed by `@noble/secp256k1`: hedged (RFC 6979 with 32 fresh bytes of
 * extra entropy per signature), low-S, compact.
 *
 * @example
 * ```ts
 * import { createSigner, createSecretKey } from '@trickle/protocol';
 * const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
 * const signer = createSigner(createSecretKey(randomBytes), { randomBytes });
 * signer.sign(new Uint8Array([1, 2, 3])).length; // 64
 * ```
 */
export function createSigner(secretKey: SecretKey, options: CreateSignerOptions): Signer {
  const publicKey = publicKeyOf(secretKey);
  const key = new Uint8Array(secretKey);
  return {
    publicKey,
    sign: (message) => signWithEntropy(key as SecretKey, message, options.randomBytes(32)),
  };
}

/**
 * Signs `message` with explicit extra entropy: deterministic for a given entropy, which
 * is what test vectors need. Production code uses {@link createSigner}.
 *
 * @example
 * ```ts
 * import { signWithEntropy, asSecretKey } from '@trickle/protocol';
 * const sig = signWithEntropy(asSecretKey(new Uint8Array(32).fill(1)), new Uint8Array([1]), new Uint8Array(32));
 * ```
 */
export function signWithEntropy(secretKey: SecretKey, message: Uint8Array, entropy: Uint8Array): Signature {
  assertBytes(message, undefined, 'message');
  assertBytes(entropy, 32, 'entropy');
  return secp.sign(message, asSecretKey(secretKey), {
    prehash: true,
    lowS: true,
    format: 'compact',
    extraEntropy: entropy,
  }) as Signature;
}

/**
 * The verification port. An implementation answers whether `signature` is a valid ECDSA
 * signature over sha256(`message`) by `publicKey`. Callers go through
 * {@link checkSignature}, which enforces length and low-S first, so a backend that
 * accepts high-S signatures (OpenSSL) is still safe behind this port.
 */
export interface Verifier {
  /** A short name for logs and benchmarks, e.g. `noble`, `node-crypto`. */
  readonly name: string;
  /** Verifies one signature; never throws for bad signatures or keys (returns false). */
  verify(signature: Signature, message: Uint8Array, publicKey: PublicKey): boolean;
}

/**
 * The reference {@link Verifier} on `@noble/secp256k1` (pure JavaScript, ~450/s): runs
 * everywhere, including browsers. The hub uses a faster native one.
 *
 * @example
 * ```ts
 * import { nobleVerifier } from '@trickle/protocol';
 * nobleVerifier.name; // 'noble'
 * ```
 */
export const nobleVerifier: Verifier = {
  name: 'noble',
  verify(signature, message, publicKey) {
    try {
      return secp.verify(signature, message, publicKey, { prehash: true, lowS: true, format: 'compact' });
    } catch {
      return false;
    }
  },
};

/** The outcome of {@link checkSignature}. */
export type SignatureCheck = 'valid' | 'malformed' | 'highS' | 'invalid';

/**
 * Checks a signature by every rule: exactly 64 bytes (`malformed` otherwise), low-S
 * (`highS`), then the verifier (`invalid` when it fails).
 *
 * @example
 * ```ts
 * import { checkSignature, nobleVerifier, createSigner, createSecretKey } from '@trickle/protocol';
 * const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
 * const signer = createSigner(createSecretKey(randomBytes), { randomBytes });
 * const message = new Uint8Array([1]);
 * checkSignature(nobleVerifier, signer.sign(message), message, signer.publicKey); // 'valid'
 * ```
 */
export function checkSignature(
  verifier: Verifier,
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: PublicKey,
): SignatureCheck {
  if (!(signature instanceof Uint8Array) || signature.length !== byteSizes.signature) return 'malformed';
  if (!isLowS(signature)) return 'highS';
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== byteSizes.publicKey) return 'invalid';
  return verifier.verify(signature as Signature, message, publicKey) ? 'valid' : 'invalid';
}

const merchantKeySalt = asciiBytes('trickle/merchant-key');

/** Parameters of {@link deriveMerchantKey}. */
export interface DeriveMerchantKeyParameters {
  /** This side's secret key: the merchant's, or the hub's. */
  readonly secretKey: SecretKey;
  /** The other side's public key: the hub's, or the merchant's. */
  readonly peerKey: PublicKey;
  readonly networkId: number;
  readonly hubId: HubId;
  readonly payeeId: PayeeId;
}

/**
 * The 32-byte key that one hub and one payee share for payment-request and receipt MACs,
 * derived on each side without any exchange of secrets:
 * HKDF-SHA256(ikm = x(ECDH), salt = "trickle/merchant-key", info = networkId u32 || hubId || payeeId).
 * The merchant calls it with its secret key and the hub's public key; the hub with its
 * secret key and the merchant's public key; both get the same key.
 *
 * @example
 * ```ts
 * import { deriveMerchantKey } from '@trickle/protocol';
 * declare const p: Parameters<typeof deriveMerchantKey>[0];
 * const key = deriveMerchantKey(p); // 32 bytes
 * ```
 */
export function deriveMerchantKey(parameters: DeriveMerchantKeyParameters): MerchantKey {
  const { secretKey, peerKey, networkId, hubId, payeeId } = parameters;
  return merchantKeyFromSharedSecret(sharedSecretOf(secretKey, peerKey), { networkId, hubId, payeeId });
}

/**
 * The x coordinate of ECDH(`secretKey`, `peerKey`) on secp256k1, 32 bytes: the input of
 * {@link merchantKeyFromSharedSecret}, and what a KMS or HSM computes for a key it holds
 * (AWS KMS DeriveSharedSecret, PKCS#11 CKM_ECDH1_DERIVE: the X coordinate).
 *
 * @example
 * ```ts
 * import { publicKeyOf, sharedSecretOf, asSecretKey } from '@trickle/protocol';
 * const a = asSecretKey(new Uint8Array(32).fill(1));
 * const b = asSecretKey(new Uint8Array(32).fill(2));
 * sharedSecretOf(a, publicKeyOf(b)); // equals sharedSecretOf(b, publicKeyOf(a))
 * ```
 */
export function sharedSecretOf(secretKey: SecretKey, peerKey: PublicKey): Uint8Array {
  if (!isValidPublicKey(peerKey)) throw new RangeError('peerKey: not a valid compressed secp256k1 point');
  return secp.getSharedSecret(asSecretKey(secretKey), peerKey, true).subarray(1);
}

/**
 * The merchant key from the ECDH shared secret (its x coordinate, 32 bytes), for a side
 * whose secret key is held elsewhere (a hub signer on a KMS): the second half of
 * {@link deriveMerchantKey}.
 *
 * @example
 * ```ts
 * import { merchantKeyFromSharedSecret } from '@trickle/protocol';
 * declare const shared: Uint8Array, hubId: import('@trickle/protocol').HubId, payeeId: import('@trickle/protocol').PayeeId;
 * const key = merchantKeyFromSharedSecret(shared, { networkId: 1, hubId, payeeId });
 * ```
 */
export function merchantKeyFromSharedSecret(
  shared: Uint8Array,
  parameters: Omit<DeriveMerchantKeyParameters, 'secretKey' | 'peerKey'>,
): MerchantKey {
  const { networkId, hubId, payeeId } = parameters;
  if (!(shared instanceof Uint8Array) || shared.length !== 32) throw new RangeError('shared: 32 bytes expected');
  const info = new ByteWriter(4 + 32 + 32)
    .u32(networkId)
    .bytes(hubId, 32, 'hubId')
    .bytes(payeeId, 32, 'payeeId')
    .finish();
  return hkdfSha256(shared, merchantKeySalt, info, 32) as MerchantKey;
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function bigIntTo32Bytes(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}
