/**
 * Branded byte types (keys, signatures, ids) and how ids are derived. A brand is only a
 * compile-time promise; every `as...` function checks the length before it brands.
 */
import { asciiBytes, assertBytes } from './bytes.js';
import { sha256 } from './crypto.js';

declare const brand: unique symbol;
/** `T` marked as `B` at compile time only. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A 32-byte secp256k1 secret key. Never log it. */
export type SecretKey = Brand<Uint8Array, 'SecretKey'>;
/** A 33-byte compressed secp256k1 public key. */
export type PublicKey = Brand<Uint8Array, 'PublicKey'>;
/** A 64-byte compact (r || s) ECDSA signature, low-S. */
export type Signature = Brand<Uint8Array, 'Signature'>;
/** A hub's id: sha256("trickle/hub-id" || hub public key), 32 bytes. */
export type HubId = Brand<Uint8Array, 'HubId'>;
/** A payee's (merchant's or wallet's) id: sha256("trickle/payee-id" || public key), 32 bytes. */
export type PayeeId = Brand<Uint8Array, 'PayeeId'>;
/** A channel's id: sha256("trickle/channel-id" || hub id || client key || nonce), 32 bytes. */
export type ChannelId = Brand<Uint8Array, 'ChannelId'>;
/** A merchant-chosen invoice id, 16 bytes, unique per payee. */
export type InvoiceId = Brand<Uint8Array, 'InvoiceId'>;
/** A head of a channel's payment-log hash chain, 32 bytes. */
export type LogHead = Brand<Uint8Array, 'LogHead'>;
/** A 32-byte HMAC-SHA256 tag (payment requests and receipts). */
export type Mac = Brand<Uint8Array, 'Mac'>;
/** The 32-byte key a hub and one payee share for MACs (see deriveMerchantKey). */
export type MerchantKey = Brand<Uint8Array, 'MerchantKey'>;

/** Sizes of the branded byte types, in bytes. */
export const byteSizes = {
  secretKey: 32,
  publicKey: 33,
  signature: 64,
  hubId: 32,
  payeeId: 32,
  channelId: 32,
  invoiceId: 16,
  logHead: 32,
  mac: 32,
  merchantKey: 32,
  channelNonce: 16,
  challengeNonce: 32,
  resource: 32,
} as const;

function brandAs<T>(size: number, title: string) {
  return (bytes: Uint8Array): T => assertBytes(bytes, size, title) as T;
}

/**
 * Checks 32 bytes and brands them as a {@link SecretKey}.
 *
 * @example
 * ```ts
 * import { asSecretKey } from '@trickle/protocol';
 * const value = asSecretKey(new Uint8Array(32)); // throws RangeError for another length
 * ```
 */
export const asSecretKey = brandAs<SecretKey>(byteSizes.secretKey, 'secretKey');
/**
 * Checks 33 bytes and brands them as a {@link PublicKey} (the point is checked on use).
 *
 * @example
 * ```ts
 * import { asPublicKey } from '@trickle/protocol';
 * const value = asPublicKey(new Uint8Array(33)); // throws RangeError for another length
 * ```
 */
export const asPublicKey = brandAs<PublicKey>(byteSizes.publicKey, 'publicKey');
/**
 * Checks 64 bytes and brands them as a {@link Signature}.
 *
 * @example
 * ```ts
 * import { asSignature } from '@trickle/protocol';
 * const value = asSignature(new Uint8Array(64)); // throws RangeError for another length
 * ```
 */
export const asSignature = brandAs<Signature>(byteSizes.signature, 'signature');
/**
 * Checks 32 bytes and brands them as a {@link HubId}.
 *
 * @example
 * ```ts
 * import { asHubId } from '@trickle/protocol';
 * const value = asHubId(new Uint8Array(32)); // throws RangeError for another length
 * ```
 */
export const asHubId = brandAs<HubId>(byteSizes.hubId, 'hubId');
/**
 * Checks 32 bytes and brands them as a {@link PayeeId}.
 *
 * @example
 * ```ts
 * import { asPayeeId } from '@trickle/protocol';
 * const value = asPayeeId(new Uint8Array(32)); // throws RangeError for another length
 * ```
 */
export const asPayeeId = brandAs<PayeeId>(byteSizes.payeeId, 'payeeId');
/**
 * Checks 32 bytes and brands them as a {@link ChannelId}.
 *
 * @example
 * ```ts
 * import { asChannelId } from '@trickle/protocol';
 * const value = asChannelId(new Uint8Array(32)); // throws RangeError for another length
 * ```
 */
export const asChannelId = brandAs<ChannelId>(byteSizes.channelId, 'channelId');
/**
 * Checks 16 bytes and brands them as an {@link InvoiceId}.
 *
 * @example
 * ```ts
 * import { asInvoiceId } from '@trickle/protocol';
 * const value = asInvoiceId(new Uint8Array(16)); // throws RangeError for another length
 * ```
 */
export const asInvoiceId = brandAs<InvoiceId>(byteSizes.invoiceId, 'invoiceId');
/**
 * Checks 32 bytes and brands them as a {@link LogHead}.
 *
 * @example
 * ```ts
 * import { asLogHead } from '@trickle/protocol';
 * const value = asLogHead(new Uint8Array(32)); // throws RangeError for another length
 * ```
 */
export const asLogHead = brandAs<LogHead>(byteSizes.logHead, 'logHead');
/**
 * Checks 32 bytes and brands them as a {@link Mac}.
 *
 * @example
 * ```ts
 * import { asMac } from '@trickle/protocol';
 * const value = asMac(new Uint8Array(32)); // throws RangeError for another length
 * ```
 */
export const asMac = brandAs<Mac>(byteSizes.mac, 'mac');
/**
 * Checks 32 bytes and brands them as a {@link MerchantKey}.
 *
 * @example
 * ```ts
 * import { asMerchantKey } from '@trickle/protocol';
 * const value = asMerchantKey(new Uint8Array(32)); // throws RangeError for another length
 * ```
 */
export const asMerchantKey = brandAs<MerchantKey>(byteSizes.merchantKey, 'merchantKey');

const hubIdTag = asciiBytes('trickle/hub-id');
const payeeIdTag = asciiBytes('trickle/payee-id');
const channelIdTag = asciiBytes('trickle/channel-id');

/**
 * A hub's id from its public key. Ids derived from keys cannot collide across hubs.
 *
 * @example
 * ```ts
 * import { hubIdFromKey, publicKeyOf, asSecretKey } from '@trickle/protocol';
 * const hubId = hubIdFromKey(publicKeyOf(asSecretKey(new Uint8Array(32).fill(1))));
 * ```
 */
export function hubIdFromKey(hubKey: PublicKey): HubId {
  return sha256(hubIdTag, asPublicKey(hubKey)) as HubId;
}

/**
 * A payee's id from its public key: merchants and, later, any wallet.
 *
 * @example
 * ```ts
 * import { payeeIdFromKey, publicKeyOf, asSecretKey } from '@trickle/protocol';
 * const payee = payeeIdFromKey(publicKeyOf(asSecretKey(new Uint8Array(32).fill(2))));
 * ```
 */
export function payeeIdFromKey(payeeKey: PublicKey): PayeeId {
  return sha256(payeeIdTag, asPublicKey(payeeKey)) as PayeeId;
}

/**
 * A channel's id from the hub id, the client's public key and a 16-byte nonce the client
 * chose: unique per hub and client, so ids never collide across hubs.
 *
 * @example
 * ```ts
 * import { channelIdOf, asHubId, asPublicKey } from '@trickle/protocol';
 * declare const hubId: ReturnType<typeof asHubId>, clientKey: ReturnType<typeof asPublicKey>;
 * const id = channelIdOf(hubId, clientKey, new Uint8Array(16));
 * ```
 */
export function channelIdOf(hubId: HubId, clientKey: PublicKey, nonce: Uint8Array): ChannelId {
  assertBytes(nonce, byteSizes.channelNonce, 'nonce');
  return sha256(channelIdTag, asHubId(hubId), asPublicKey(clientKey), nonce) as ChannelId;
}
