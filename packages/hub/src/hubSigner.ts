/**
 * The hub key's port (ADR 0414): the one private operation the hub does with its key is
 * key agreement (ECDH with each merchant's public key, from which both sides derive their
 * MAC key). A signer that answers it can keep the key in a KMS, an HSM, another process or
 * a worker; the hub never reads the raw key then.
 */
import { type PublicKey, publicKeyOf, type RandomBytes, type SecretKey, sharedSecretOf } from '@trickle/protocol';
import { loadOrCreateHubKey } from './hubKey.js';

/**
 * Holds the hub's secp256k1 key. `createHub({ signer })` takes one; without it the hub uses
 * {@link localHubSigner} on `<dataDir>/hub.key`.
 *
 * A KMS or HSM adapter answers `sharedSecret` with its key-agreement call (AWS KMS
 * `DeriveSharedSecret` with `KeyAgreementAlgorithm: ECDH` on an `ECC_SECG_P256K1` key,
 * PKCS#11 `C_DeriveKey` with `CKM_ECDH1_DERIVE`): the X coordinate of the shared point,
 * 32 bytes. It is called once per merchant (at its registration and at each start), never
 * per payment.
 *
 * @example
 * ```ts
 * import { createHub, type HubSigner } from '@trickle/hub';
 * import { asPublicKey } from '@trickle/protocol';
 * declare const kms: { deriveSharedSecret(keyId: string, peer: Uint8Array): Promise<Uint8Array>; publicKey(keyId: string): Promise<Uint8Array> };
 * const keyId = 'arn:aws:kms:eu-west-1:111122223333:key/hub';
 * const signer: HubSigner = {
 *   publicKey: asPublicKey(await kms.publicKey(keyId)), // 33-byte compressed
 *   sharedSecret: (peerKey) => kms.deriveSharedSecret(keyId, peerKey),
 * };
 * const hub = await createHub({ dataDir: './.data/hub', networkId: 1, signer });
 * ```
 */
export interface HubSigner {
  /** The hub's public key, 33 bytes compressed: the hub id is derived from it. */
  readonly publicKey: PublicKey;
  /** The X coordinate of ECDH(hub key, `peerKey`), 32 bytes. Rejects when the key cannot be used (the hub answers INTERNAL). */
  sharedSecret(peerKey: PublicKey): Promise<Uint8Array>;
}

/**
 * A signer on a key held in this process's memory.
 *
 * @example
 * ```ts
 * import { localHubSigner, loadOrCreateHubKey, systemRandomBytes } from '@trickle/hub';
 * const signer = localHubSigner(loadOrCreateHubKey('./.data/hub', systemRandomBytes));
 * ```
 */
export function localHubSigner(secretKey: SecretKey): HubSigner {
  const publicKey = publicKeyOf(secretKey);
  return {
    publicKey,
    sharedSecret: async (peerKey) => sharedSecretOf(secretKey, peerKey),
  };
}

/** The default: {@link localHubSigner} on `<dataDir>/hub.key`, created on first start. */
export function defaultHubSigner(dataDir: string, randomBytes: RandomBytes): HubSigner {
  return localHubSigner(loadOrCreateHubKey(dataDir, randomBytes));
}
