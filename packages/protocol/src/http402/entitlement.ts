import { assertBytes, ByteReader, concatBytes, equalBytes, fromBase64url, toBase64url } from '../bytes.js';
import { assertTimeMs } from '../channelRequests.js';
import { beginLayout, readHeader } from '../domain.js';
import { TrickleError } from '../errors.js';
import {
  byteSizes,
  type ChannelId,
  type InvoiceId,
  type PayeeId,
  type PublicKey,
  payeeIdFromKey,
  type Signature,
} from '../ids.js';
import { checkSignature, type Signer, type Verifier } from '../keys.js';
import { Http402Error } from './errors.js';
import { isToken, malformed, token } from './json.js';
import { entitlementCookieName, entitlementsPerRequestMax } from './names.js';

/**
 * The signed fields of an entitlement: "payee sold `resource` under invoice `invoiceId`, paid
 * through channel `channelId`; whoever holds this may read it until `expiresAtMs`". A bearer
 * token (docs/adr/0302-entitlement-token.md): it works on any device that has it.
 */
export interface EntitlementBody {
  readonly networkId: number;
  /** The merchant that signed it: `payeeIdFromKey(merchant public key)`. */
  readonly payee: PayeeId;
  /** sha256 of the resource name (see `resourceHash`). */
  readonly resource: Uint8Array;
  /** The invoice whose payment bought it: a proof of purchase that links to the receipt. */
  readonly invoiceId: InvoiceId;
  /** The channel that paid. */
  readonly channelId: ChannelId;
  readonly issuedAtMs: number;
  /** Unix ms after which it is refused; after `issuedAtMs`. */
  readonly expiresAtMs: number;
}

/** An entitlement with the merchant's signature (64-byte compact, low-S, over sha256 of the layout). */
export interface Entitlement extends EntitlementBody {
  readonly signature: Signature;
}

/** Length of an entitlement's signed bytes: header(entitlement) || payee || resource || invoiceId || channelId || issuedAtMs || expiresAtMs. */
export const entitlementBytesLength = 13 + 32 + 32 + 16 + 32 + 8 + 8;

/** Length of an entitlement token: unpadded base64url of the signed bytes then the signature. */
export const entitlementTokenChars = Math.ceil(((entitlementBytesLength + byteSizes.signature) * 4) / 3);

/**
 * The exact bytes an entitlement's signature covers (141 bytes).
 *
 * @example
 * ```ts
 * import { entitlementBytes, type EntitlementBody } from '@trickle/protocol';
 * declare const body: EntitlementBody;
 * entitlementBytes(body).length; // 141
 * ```
 */
export function entitlementBytes(body: EntitlementBody): Uint8Array {
  const issuedAtMs = assertTimeMs(body.issuedAtMs, 'issuedAtMs');
  const expiresAtMs = assertTimeMs(body.expiresAtMs, 'expiresAtMs');
  if (expiresAtMs <= issuedAtMs) throw new RangeError('expiresAtMs: must be after issuedAtMs');
  return beginLayout('entitlement', body.networkId, entitlementBytesLength)
    .bytes(body.payee, byteSizes.payeeId, 'payee')
    .bytes(assertBytes(body.resource, byteSizes.resource, 'resource'), byteSizes.resource, 'resource')
    .bytes(body.invoiceId, byteSizes.invoiceId, 'invoiceId')
    .bytes(body.channelId, byteSizes.channelId, 'channelId')
    .u64(issuedAtMs)
    .u64(expiresAtMs)
    .finish();
}

/**
 * Signs an entitlement with the merchant's key (the signer's key must be the payee's).
 *
 * @example
 * ```ts
 * import { signEntitlement, type EntitlementBody, type Signer } from '@trickle/protocol';
 * declare const merchant: Signer, body: EntitlementBody;
 * const entitlement = signEntitlement(merchant, body);
 * ```
 */
export function signEntitlement(signer: Signer, body: EntitlementBody): Entitlement {
  if (!equalBytes(payeeIdFromKey(signer.publicKey), body.payee)) {
    throw new RangeError("payee: not the signer's payee id");
  }
  return { ...body, signature: signer.sign(entitlementBytes(body)) };
}

/**
 * An entitlement as one unpadded base64url token (274 characters), for headers and cookies.
 *
 * @example
 * ```ts
 * import { encodeEntitlement, type Entitlement } from '@trickle/protocol';
 * declare const entitlement: Entitlement;
 * const token = encodeEntitlement(entitlement);
 * ```
 */
export function encodeEntitlement(entitlement: Entitlement): string {
  return toBase64url(
    concatBytes(entitlementBytes(entitlement), assertBytes(entitlement.signature, byteSizes.signature, 'signature')),
  );
}

/**
 * Parses {@link encodeEntitlement}'s output; throws `TrickleError('MALFORMED_TOKEN')` for
 * anything else. Checks no signature (see {@link checkEntitlement}).
 *
 * @example
 * ```ts
 * import { decodeEntitlement } from '@trickle/protocol';
 * declare const token: string;
 * decodeEntitlement(token).expiresAtMs; // when it stops working
 * ```
 */
export function decodeEntitlement(tokenText: string): Entitlement {
  try {
    if (typeof tokenText !== 'string' || tokenText.length !== entitlementTokenChars) {
      throw new RangeError('wrong length');
    }
    const bytes = fromBase64url(tokenText, 'entitlement');
    const reader = new ByteReader(bytes);
    const networkId = readHeader(reader, 'entitlement');
    const entitlement: Entitlement = {
      networkId,
      payee: reader.bytes(32) as PayeeId,
      resource: reader.bytes(32),
      invoiceId: reader.bytes(16) as InvoiceId,
      channelId: reader.bytes(32) as ChannelId,
      issuedAtMs: assertTimeMs(Number(reader.u64()), 'issuedAtMs'),
      expiresAtMs: assertTimeMs(Number(reader.u64()), 'expiresAtMs'),
      signature: reader.bytes(64) as Signature,
    };
    reader.end();
    if (entitlement.expiresAtMs <= entitlement.issuedAtMs) throw new RangeError('expires before issued');
    return entitlement;
  } catch (cause) {
    throw new TrickleError('MALFORMED_TOKEN', 'not a valid trickle entitlement', { cause });
  }
}

/** What {@link checkEntitlement} needs to know about the place the entitlement is shown. */
export interface EntitlementContext {
  /** The merchant's public key (the trust anchor; an edge needs nothing secret). */
  readonly merchantKey: PublicKey;
  readonly networkId: number;
  /** sha256 of the resource being requested. */
  readonly resource: Uint8Array;
  readonly nowMs: number;
  readonly verifier: Verifier;
}

/** The outcome of {@link checkEntitlement}. */
export type EntitlementCheck =
  | 'valid'
  | 'expired'
  | 'wrongMerchant'
  | 'wrongNetwork'
  | 'wrongResource'
  | 'badSignature';

/**
 * Checks an entitlement for one resource, cheapest first: network, merchant, resource,
 * expiry, then the signature (64-byte compact low-S, by the merchant's key).
 *
 * @example
 * ```ts
 * import { checkEntitlement, decodeEntitlement, nobleVerifier, resourceHash, type PublicKey } from '@trickle/protocol';
 * declare const token: string, merchantKey: PublicKey;
 * checkEntitlement(decodeEntitlement(token), {
 *   merchantKey, networkId: 7, resource: resourceHash('GET /articles/42'), nowMs: Date.now(), verifier: nobleVerifier,
 * }); // 'valid'
 * ```
 */
export function checkEntitlement(entitlement: Entitlement, context: EntitlementContext): EntitlementCheck {
  if (entitlement.networkId !== context.networkId) return 'wrongNetwork';
  if (!equalBytes(entitlement.payee, payeeIdFromKey(context.merchantKey))) return 'wrongMerchant';
  if (!equalBytes(entitlement.resource, context.resource)) return 'wrongResource';
  if (context.nowMs >= entitlement.expiresAtMs) return 'expired';
  let bytes: Uint8Array;
  try {
    bytes = entitlementBytes(entitlement);
  } catch {
    return 'badSignature';
  }
  const check = checkSignature(context.verifier, entitlement.signature, bytes, context.merchantKey);
  return check === 'valid' ? 'valid' : 'badSignature';
}

/**
 * The `TRICKLE-ENTITLEMENT` request header for some tokens: comma-separated.
 *
 * @example
 * ```ts
 * import { formatEntitlementHeader } from '@trickle/protocol';
 * declare const token: string;
 * const headers = { 'TRICKLE-ENTITLEMENT': formatEntitlementHeader([token]) };
 * ```
 */
export function formatEntitlementHeader(tokens: readonly string[]): string {
  if (tokens.length < 1 || tokens.length > entitlementsPerRequestMax) {
    throw new RangeError(`tokens: expected 1-${entitlementsPerRequestMax} entitlement tokens`);
  }
  for (const [i, item] of tokens.entries()) token(item, entitlementTokenChars, `tokens[${i}]`, RangeError);
  return tokens.join(', ');
}

/**
 * The tokens of a `TRICKLE-ENTITLEMENT` header value: 1 to {@link entitlementsPerRequestMax}
 * comma-separated tokens of the right syntax (not yet checked). Throws {@link Http402Error}.
 *
 * @example
 * ```ts
 * import { parseEntitlementHeader } from '@trickle/protocol';
 * declare const header: string;
 * for (const token of parseEntitlementHeader(header)) console.log(token.length); // 274
 * ```
 */
export function parseEntitlementHeader(header: string): string[] {
  const charsMax = entitlementsPerRequestMax * (entitlementTokenChars + 2);
  if (typeof header !== 'string') malformed('TRICKLE-ENTITLEMENT: expected a string');
  if (header.length > charsMax) {
    throw new Http402Error('HEADER_TOO_LARGE', 'TRICKLE-ENTITLEMENT header too large', {
      details: `${header.length} > ${charsMax} characters`,
    });
  }
  const tokens = header.split(',').map((part) => part.trim());
  if (tokens.length > entitlementsPerRequestMax) malformed('TRICKLE-ENTITLEMENT: too many tokens');
  return tokens.map((item, i) => token(item, entitlementTokenChars, `TRICKLE-ENTITLEMENT[${i}]`));
}

/** Options of {@link formatEntitlementCookie}. */
export interface EntitlementCookieOptions {
  /** The cookie's `Path`: the resource's URL path, so the browser sends it only there. */
  readonly path: string;
  /** `Max-Age` in whole seconds, at least 1. */
  readonly maxAgeSeconds: number;
  /** Send only over HTTPS. Default `true`. */
  readonly secure?: boolean;
  /** Default `'Lax'`. */
  readonly sameSite?: 'Strict' | 'Lax' | 'None';
}

/**
 * A `Set-Cookie` value carrying an entitlement, `HttpOnly` (page scripts never see it).
 *
 * @example
 * ```ts
 * import { formatEntitlementCookie } from '@trickle/protocol';
 * declare const token: string;
 * formatEntitlementCookie(token, { path: '/articles/42', maxAgeSeconds: 86_400 });
 * // 'trickle_entitlement=…; Path=/articles/42; Max-Age=86400; HttpOnly; Secure; SameSite=Lax'
 * ```
 */
export function formatEntitlementCookie(tokenText: string, options: EntitlementCookieOptions): string {
  token(tokenText, entitlementTokenChars, 'token', RangeError);
  const { path, maxAgeSeconds } = options;
  // RFC 6265 path-av: any CHAR except CTLs and ";"; it must be an absolute path.
  if (typeof path !== 'string' || !/^\/[\x21-\x3a\x3c-\x7e]{0,2047}$/.test(path)) {
    throw new RangeError('path: expected an absolute URL path without ";", spaces or controls');
  }
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 1) {
    throw new RangeError('maxAgeSeconds: expected a positive integer');
  }
  const sameSite = options.sameSite ?? 'Lax';
  if (sameSite !== 'Strict' && sameSite !== 'Lax' && sameSite !== 'None') {
    throw new RangeError('sameSite: expected Strict, Lax or None');
  }
  const secure = options.secure ?? true;
  if (sameSite === 'None' && !secure) throw new RangeError('sameSite None requires secure');
  return `${entitlementCookieName}=${tokenText}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly${secure ? '; Secure' : ''}; SameSite=${sameSite}`;
}

/**
 * The entitlement tokens among a request's cookies (the `Cookie` header): values of
 * {@link entitlementCookieName} with token syntax, at most {@link entitlementsPerRequestMax};
 * other cookies and malformed values are ignored, since other code shares this header.
 *
 * @example
 * ```ts
 * import { entitlementTokensFromCookies } from '@trickle/protocol';
 * entitlementTokensFromCookies('theme=dark; other=1'); // []
 * ```
 */
export function entitlementTokensFromCookies(cookieHeader: string): string[] {
  if (typeof cookieHeader !== 'string') return [];
  const found: string[] = [];
  const prefix = `${entitlementCookieName}=`;
  let start = 0;
  while (start < cookieHeader.length && found.length < entitlementsPerRequestMax) {
    let end = cookieHeader.indexOf(';', start);
    if (end === -1) end = cookieHeader.length;
    const pair = cookieHeader.slice(start, end).trim();
    if (pair.startsWith(prefix)) {
      const value = pair.slice(prefix.length);
      if (isToken(value, entitlementTokenChars)) found.push(value);
    }
    start = end + 1;
  }
  return found;
}
