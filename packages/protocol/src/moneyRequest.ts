/**
 * A request for money (ADR 0241): what a wallet-payee asks to be paid (amount, memo,
 * expiry) at its hub, signed by the payee's key, as a short token that fits a QR code and
 * a URL. Whoever holds it checks the signature (the payee's key is in it; its payee id is
 * derived from the key) and pays the payee by its id through the hub (ADR 0240).
 * Layout: header(moneyRequest) || hubId (32) || payee key (33) || asset (13) ||
 * amount (u64) || expiresAtMs (u64) || memo length (u8, bytes) || memo (UTF-8), then the
 * payee's 64-byte signature over sha256 of it; the token is unpadded base64url.
 */
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { type Asset, assertAmount } from './amount.js';
import { assertBytes, ByteReader, concatBytes, equalBytes, fromBase64url, toBase64url } from './bytes.js';
import { readCanonical } from './canonicalMsgpack.js';
import { assertTimeMs } from './channelRequests.js';
import { sha256 } from './crypto.js';
import { beginLayout, type Domain, readAsset, readHeader, writeAsset } from './domain.js';
import { TrickleError } from './errors.js';
import {
  asInvoiceId,
  byteSizes,
  type HubId,
  type InvoiceId,
  type PayeeId,
  type PublicKey,
  payeeIdFromKey,
  type Signature,
} from './ids.js';
import { checkSignature, type Signer, type Verifier } from './keys.js';
import { memoCharsMax } from './limits.js';

/** Most bytes of a money request's memo in UTF-8 (140 characters of up to 3 bytes each fit a u8 length only up to 255). */
export const moneyRequestMemoBytesMax = 255;

/** The signed fields of a money request. */
export interface MoneyRequestBody {
  readonly networkId: number;
  /** The hub the payee receives at. */
  readonly hubId: HubId;
  /** The payee's public key: its payee id is `payeeIdFromKey(payeeKey)`. */
  readonly payeeKey: PublicKey;
  readonly asset: Asset;
  /** Minor units, at least 1. */
  readonly amount: bigint;
  /** After this instant (Unix ms) a wallet refuses to pay it. */
  readonly expiresAtMs: number;
  /** Up to `memoCharsMax` characters and {@link moneyRequestMemoBytesMax} UTF-8 bytes. */
  readonly memo: string;
}

/** A money request with the payee's signature. */
export interface MoneyRequest extends MoneyRequestBody {
  readonly signature: Signature;
}

const fixedBytes = 13 + 32 + 33 + 13 + 8 + 8 + 1;
/** Strict UTF-8 (no overlong form, no surrogate): read as the one msgpack str of those bytes. */
function utf8Of(bytes: Uint8Array): string {
  const header = bytes.length < 32 ? [0xa0 | bytes.length] : [0xd9, bytes.length];
  const text = readCanonical(concatBytes(new Uint8Array(header), bytes), 'memo');
  if (typeof text !== 'string') throw new RangeError('memo: not text');
  return text;
}

function memoBytes(memo: string): Uint8Array {
  if (typeof memo !== 'string' || memo.length > memoCharsMax) {
    throw new RangeError(`memo: a string of at most ${memoCharsMax} characters`);
  }
  const bytes = utf8ToBytes(memo);
  if (bytes.length > moneyRequestMemoBytesMax) throw new RangeError(`memo: at most ${moneyRequestMemoBytesMax} bytes`);
  return bytes;
}

/**
 * The exact bytes a money request's signature covers.
 *
 * @example
 * ```ts
 * import { moneyRequestBytes, type MoneyRequestBody } from '@trickle/protocol';
 * declare const body: MoneyRequestBody;
 * moneyRequestBytes(body).length; // 108 + the memo's UTF-8 bytes
 * ```
 */
export function moneyRequestBytes(body: MoneyRequestBody): Uint8Array {
  const amount = assertAmount(body.amount, 'amount');
  if (amount < 1n) throw new RangeError('amount: at least 1');
  const memo = memoBytes(body.memo);
  const writer = beginLayout('moneyRequest', body.networkId, fixedBytes + memo.length)
    .bytes(assertBytes(body.hubId, byteSizes.hubId, 'hubId'), byteSizes.hubId, 'hubId')
    .bytes(assertBytes(body.payeeKey, byteSizes.publicKey, 'payeeKey'), byteSizes.publicKey, 'payeeKey');
  return writeAsset(writer, body.asset)
    .u64(amount)
    .u64(assertTimeMs(body.expiresAtMs, 'expiresAtMs'))
    .u8(memo.length)
    .bytes(memo, memo.length, 'memo')
    .finish();
}

/**
 * The id of a money request: the first 16 bytes of sha256 over its signed layout. The payer
 * sends it with its `invoice` (protocol 8.2), and the hub makes the invoice of a request and
 * amount the same every time it is asked, so the request is paid once: a second payment of
 * it is refused `INVOICE_ALREADY_PAID` (ADR 0241).
 *
 * @example
 * ```ts
 * import { moneyRequestId, type MoneyRequestBody } from '@trickle/protocol';
 * declare const body: MoneyRequestBody;
 * moneyRequestId(body).length; // 16
 * ```
 */
export function moneyRequestId(body: MoneyRequestBody): InvoiceId {
  return asInvoiceId(sha256(moneyRequestBytes(body)).slice(0, byteSizes.invoiceId));
}

/**
 * Signs a money request with the payee's key (the signer is the payee).
 *
 * @example
 * ```ts
 * import { createSigner, encodeMoneyRequest, signMoneyRequest, type HubId } from '@trickle/protocol';
 * declare const secretKey: import('@trickle/protocol').SecretKey, hubId: HubId;
 * const signer = createSigner(secretKey, { randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)) });
 * const request = signMoneyRequest(signer, {
 *   networkId: 1, hubId, payeeKey: signer.publicKey, asset: { code: 'USD', scale: 6 },
 *   amount: 2_500n, expiresAtMs: Date.now() + 3_600_000, memo: 'pizza',
 * });
 * const token = encodeMoneyRequest(request); // for a QR code or a link
 * ```
 */
export function signMoneyRequest(signer: Signer, body: MoneyRequestBody): MoneyRequest {
  if (!equalBytes(signer.publicKey, body.payeeKey)) throw new RangeError("payeeKey: not the signer's key");
  return { ...body, signature: signer.sign(moneyRequestBytes(body)) };
}

/**
 * The token of a money request: unpadded base64url of its bytes and signature (at most
 * {@link moneyRequestTokenCharsMax} characters), safe in a URL and a QR code.
 *
 * @example
 * ```ts
 * import { encodeMoneyRequest, type MoneyRequest } from '@trickle/protocol';
 * declare const request: MoneyRequest;
 * const link = `https://pay.example/#request=${encodeMoneyRequest(request)}`;
 * ```
 */
export function encodeMoneyRequest(request: MoneyRequest): string {
  return toBase64url(
    concatBytes(moneyRequestBytes(request), assertBytes(request.signature, byteSizes.signature, 'signature')),
  );
}

/** The longest money request token, in characters. */
export const moneyRequestTokenCharsMax = Math.ceil(((fixedBytes + moneyRequestMemoBytesMax + 64) * 4) / 3);

/**
 * Reads a money request token; throws `TrickleError('MALFORMED_TOKEN')` for anything else
 * (it does not check the signature: see {@link checkMoneyRequest}).
 *
 * @example
 * ```ts
 * import { decodeMoneyRequest } from '@trickle/protocol';
 * declare const token: string;
 * const { amount, memo } = decodeMoneyRequest(token);
 * ```
 */
export function decodeMoneyRequest(token: string): MoneyRequest {
  try {
    if (typeof token !== 'string' || token.length > moneyRequestTokenCharsMax) throw new RangeError('wrong length');
    const reader = new ByteReader(fromBase64url(token, 'money request'));
    const networkId = readHeader(reader, 'moneyRequest');
    const hubId = reader.bytes(32) as HubId;
    const payeeKey = reader.bytes(33) as PublicKey;
    const asset = readAsset(reader);
    const amount = assertAmount(reader.u64(), 'amount');
    if (amount < 1n) throw new RangeError('amount: at least 1');
    const expiresAtMs = assertTimeMs(Number(reader.u64()), 'expiresAtMs');
    const memo = utf8Of(reader.bytes(reader.u8()));
    if (memo.length > memoCharsMax) throw new RangeError('memo too long');
    const signature = reader.bytes(64) as Signature;
    reader.end();
    return { networkId, hubId, payeeKey, asset, amount, expiresAtMs, memo, signature };
  } catch (cause) {
    throw new TrickleError('MALFORMED_TOKEN', 'not a valid trickle money request', { cause });
  }
}

/** The outcome of {@link checkMoneyRequest}. */
export type MoneyRequestCheck = 'valid' | 'expired' | 'wrongNetwork' | 'wrongHub' | 'badSignature';

/**
 * Checks a money request for a payer at `domain` at `nowMs`: its network and hub, its
 * expiry, and the payee's signature over it.
 *
 * @example
 * ```ts
 * import { checkMoneyRequest, decodeMoneyRequest, nobleVerifier, type Domain } from '@trickle/protocol';
 * declare const token: string, domain: Domain;
 * const verdict = checkMoneyRequest(decodeMoneyRequest(token), domain, Date.now(), nobleVerifier); // 'valid'
 * ```
 */
export function checkMoneyRequest(
  request: MoneyRequest,
  domain: Domain,
  nowMs: number,
  verifier: Verifier,
): MoneyRequestCheck {
  if (request.networkId !== domain.networkId) return 'wrongNetwork';
  if (!equalBytes(request.hubId, domain.hubId)) return 'wrongHub';
  if (nowMs >= request.expiresAtMs) return 'expired';
  let bytes: Uint8Array;
  try {
    bytes = moneyRequestBytes(request);
  } catch {
    return 'badSignature';
  }
  return checkSignature(verifier, request.signature, bytes, request.payeeKey) === 'valid' ? 'valid' : 'badSignature';
}

/**
 * The payee id a money request pays.
 *
 * @example
 * ```ts
 * import { moneyRequestPayee, type MoneyRequest } from '@trickle/protocol';
 * declare const request: MoneyRequest;
 * moneyRequestPayee(request).length; // 32
 * ```
 */
export function moneyRequestPayee(request: MoneyRequestBody): PayeeId {
  return payeeIdFromKey(request.payeeKey);
}
