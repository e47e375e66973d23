/**
 * The voucher: what the client signs for every payment. A fixed 125-byte layout:
 * header(voucher) || hubId (32) || channelId (32) || seq (u64) || cumulative (u64) || logHead (32).
 */
import { assertAmount } from './amount.js';
import { beginLayout, type Domain } from './domain.js';
import { byteSizes, type ChannelId, type LogHead, type PublicKey, type Signature } from './ids.js';
import { checkSignature, type SignatureCheck, type Signer, type Verifier } from './keys.js';
import { seqMax } from './limits.js';

/** The signed fields of a voucher (the domain supplies network and hub). */
export interface VoucherBody {
  readonly channelId: ChannelId;
  /** 1 for the first voucher of a channel, then +1 for each. */
  readonly seq: number;
  /** Total paid on the channel so far, in minor units; never above the deposit. */
  readonly cumulative: bigint;
  /** Head of the payment log after this voucher's entries. */
  readonly logHead: LogHead;
}

/** A voucher with the client's signature. */
export interface Voucher extends VoucherBody {
  readonly signature: Signature;
}

/** Length of a voucher's signing bytes. */
export const voucherBytesLength = 13 + 32 + 32 + 8 + 8 + 32;

/**
 * Checks a sequence number: a safe integer in 0..2^53-1. Throws `TypeError`/`RangeError`.
 *
 * @example
 * ```ts
 * import { assertSeq } from '@trickle/protocol';
 * assertSeq(1);
 * ```
 */
export function assertSeq(seq: unknown, title = 'seq'): number {
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) throw new TypeError(`${title}: expected a safe integer`);
  if (seq < 0 || seq > seqMax) throw new RangeError(`${title}: expected 0..2^53-1`);
  return seq;
}

/**
 * The exact bytes a client signs for a voucher (and, under kind `close`, for a close).
 *
 * @example
 * ```ts
 * import { voucherSigningBytes } from '@trickle/protocol';
 * declare const domain: Parameters<typeof voucherSigningBytes>[0];
 * declare const body: Parameters<typeof voucherSigningBytes>[1];
 * voucherSigningBytes(domain, body).length; // 125
 * ```
 */
export function voucherSigningBytes(
  domain: Domain,
  body: VoucherBody,
  kind: 'voucher' | 'close' = 'voucher',
): Uint8Array {
  return beginLayout(kind, domain.networkId, voucherBytesLength)
    .bytes(domain.hubId, byteSizes.hubId, 'hubId')
    .bytes(body.channelId, byteSizes.channelId, 'channelId')
    .u64(assertSeq(body.seq))
    .u64(assertAmount(body.cumulative, 'cumulative'))
    .bytes(body.logHead, byteSizes.logHead, 'logHead')
    .finish();
}

/**
 * Signs a voucher body.
 *
 * @example
 * ```ts
 * import { signVoucher } from '@trickle/protocol';
 * declare const domain: Parameters<typeof signVoucher>[0], body: Parameters<typeof signVoucher>[1];
 * declare const signer: Parameters<typeof signVoucher>[2];
 * const voucher = signVoucher(domain, body, signer);
 * ```
 */
export function signVoucher(domain: Domain, body: VoucherBody, signer: Signer): Voucher {
  return { ...body, signature: signer.sign(voucherSigningBytes(domain, body)) };
}

/**
 * Checks a voucher's signature by the channel's pinned key: 64 bytes, low-S, valid.
 *
 * @example
 * ```ts
 * import { checkVoucherSignature, nobleVerifier } from '@trickle/protocol';
 * declare const domain: Parameters<typeof checkVoucherSignature>[1];
 * declare const voucher: Parameters<typeof checkVoucherSignature>[2];
 * declare const key: Parameters<typeof checkVoucherSignature>[3];
 * checkVoucherSignature(nobleVerifier, domain, voucher, key); // 'valid' | 'malformed' | 'highS' | 'invalid'
 * ```
 */
export function checkVoucherSignature(
  verifier: Verifier,
  domain: Domain,
  voucher: Voucher,
  clientKey: PublicKey,
): SignatureCheck {
  return checkSignature(verifier, voucher.signature, voucherSigningBytes(domain, voucher), clientKey);
}
