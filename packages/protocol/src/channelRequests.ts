/**
 * The client's signed requests other than vouchers: authenticate a session, open a
 * channel, top it up, and close it. Each is a fixed layout behind a domain header.
 */
import { type Asset, assertAmount } from './amount.js';
import { assertBytes } from './bytes.js';
import { beginLayout, type Domain, writeAsset } from './domain.js';
import { byteSizes, type ChannelId, type PublicKey, type Signature } from './ids.js';
import type { Signer } from './keys.js';
import { timeMsMax } from './limits.js';
import { type VoucherBody, voucherSigningBytes } from './voucher.js';

/**
 * Checks a Unix time in milliseconds: a safe integer in 0..9,999,999,999,999.
 *
 * @example
 * ```ts
 * import { assertTimeMs } from '@trickle/protocol';
 * assertTimeMs(1_700_000_000_000, 'expiresAtMs');
 * ```
 */
export function assertTimeMs(value: unknown, title: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new TypeError(`${title}: expected integer milliseconds`);
  if (value < 0 || value > timeMsMax) throw new RangeError(`${title}: out of range`);
  return value;
}

/**
 * The bytes a client signs to prove it holds its key, answering the hub's challenge:
 * header(auth) || hubId || challenge nonce (32) || client key (33). 110 bytes.
 *
 * @example
 * ```ts
 * import { authSigningBytes } from '@trickle/protocol';
 * declare const domain: Parameters<typeof authSigningBytes>[0];
 * declare const nonce: Uint8Array, key: Parameters<typeof authSigningBytes>[2];
 * authSigningBytes(domain, nonce, key).length; // 110
 * ```
 */
export function authSigningBytes(domain: Domain, challenge: Uint8Array, clientKey: PublicKey): Uint8Array {
  return beginLayout('auth', domain.networkId, 13 + 32 + 32 + 33)
    .bytes(domain.hubId, byteSizes.hubId, 'hubId')
    .bytes(challenge, byteSizes.challengeNonce, 'challenge')
    .bytes(clientKey, byteSizes.publicKey, 'clientKey')
    .finish();
}

/** The signed fields of an open request. */
export interface OpenRequestBody {
  /** The key every voucher of the channel must be signed by (pinned at open). */
  readonly clientKey: PublicKey;
  /** 16 bytes the client chooses so that each of its channels has a new id. */
  readonly nonce: Uint8Array;
  readonly asset: Asset;
  /** Minor units moved from the payer's ledger account into the channel's escrow, at least 1. */
  readonly deposit: bigint;
  /** When the channel stops accepting vouchers and is finalized (Unix ms). */
  readonly expiresAtMs: number;
}

/** An open request with the client's signature. */
export interface OpenRequest extends OpenRequestBody {
  readonly signature: Signature;
}

/**
 * The bytes a client signs to open a channel: header(open) || hubId || clientKey (33) ||
 * nonce (16) || asset (13) || deposit (u64) || expiresAtMs (u64). 123 bytes.
 *
 * @example
 * ```ts
 * import { openSigningBytes } from '@trickle/protocol';
 * declare const domain: Parameters<typeof openSigningBytes>[0], body: Parameters<typeof openSigningBytes>[1];
 * openSigningBytes(domain, body).length; // 123
 * ```
 */
export function openSigningBytes(domain: Domain, body: OpenRequestBody): Uint8Array {
  const writer = beginLayout('open', domain.networkId, 13 + 32 + 33 + 16 + 13 + 8 + 8)
    .bytes(domain.hubId, byteSizes.hubId, 'hubId')
    .bytes(body.clientKey, byteSizes.publicKey, 'clientKey')
    .bytes(assertBytes(body.nonce, byteSizes.channelNonce, 'nonce'), byteSizes.channelNonce, 'nonce');
  return writeAsset(writer, body.asset)
    .u64(assertAmount(body.deposit, 'deposit'))
    .u64(assertTimeMs(body.expiresAtMs, 'expiresAtMs'))
    .finish();
}

/** The signed fields of a top-up: the channel's new total deposit (not the increment), so a retry cannot add twice. */
export interface TopUpBody {
  readonly channelId: ChannelId;
  readonly deposit: bigint;
}

/** A top-up with the client's signature. */
export interface TopUpRequest extends TopUpBody {
  readonly signature: Signature;
}

/**
 * The bytes a client signs to raise a channel's deposit to a new total:
 * header(topUp) || hubId || channelId || deposit (u64). 85 bytes.
 *
 * @example
 * ```ts
 * import { topUpSigningBytes } from '@trickle/protocol';
 * declare const domain: Parameters<typeof topUpSigningBytes>[0], body: Parameters<typeof topUpSigningBytes>[1];
 * topUpSigningBytes(domain, body).length; // 85
 * ```
 */
export function topUpSigningBytes(domain: Domain, body: TopUpBody): Uint8Array {
  return beginLayout('topUp', domain.networkId, 13 + 32 + 32 + 8)
    .bytes(domain.hubId, byteSizes.hubId, 'hubId')
    .bytes(body.channelId, byteSizes.channelId, 'channelId')
    .u64(assertAmount(body.deposit, 'deposit'))
    .finish();
}

/** A close request: the final state the client agrees to settle, with its signature. */
export interface CloseRequest extends VoucherBody {
  readonly signature: Signature;
}

/**
 * The bytes a client signs to close a channel at a state: the voucher layout under kind
 * `close`, so a close can never be mistaken for a payment. 125 bytes.
 *
 * @example
 * ```ts
 * import { closeSigningBytes } from '@trickle/protocol';
 * declare const domain: Parameters<typeof closeSigningBytes>[0], body: Parameters<typeof closeSigningBytes>[1];
 * closeSigningBytes(domain, body).length; // 125
 * ```
 */
export function closeSigningBytes(domain: Domain, body: VoucherBody): Uint8Array {
  return voucherSigningBytes(domain, body, 'close');
}

/**
 * Signs an open request.
 *
 * @example
 * ```ts
 * import { signOpenRequest } from '@trickle/protocol';
 * declare const args: Parameters<typeof signOpenRequest>;
 * const request = signOpenRequest(...args);
 * ```
 */
export function signOpenRequest(domain: Domain, body: Omit<OpenRequestBody, 'clientKey'>, signer: Signer): OpenRequest {
  const full: OpenRequestBody = { ...body, clientKey: signer.publicKey };
  return { ...full, signature: signer.sign(openSigningBytes(domain, full)) };
}

/**
 * Signs a top-up to a new total deposit.
 *
 * @example
 * ```ts
 * import { signTopUp } from '@trickle/protocol';
 * declare const args: Parameters<typeof signTopUp>;
 * const request = signTopUp(...args);
 * ```
 */
export function signTopUp(domain: Domain, body: TopUpBody, signer: Signer): TopUpRequest {
  return { ...body, signature: signer.sign(topUpSigningBytes(domain, body)) };
}

/**
 * Signs a close at a state.
 *
 * @example
 * ```ts
 * import { signClose } from '@trickle/protocol';
 * declare const args: Parameters<typeof signClose>;
 * const request = signClose(...args);
 * ```
 */
export function signClose(domain: Domain, body: VoucherBody, signer: Signer): CloseRequest {
  return { ...body, signature: signer.sign(closeSigningBytes(domain, body)) };
}
