/**
 * Strict JSON parsing helpers shared by the HTTP 402 wire (internal).
 */
import { base64, utf8 } from '@scure/base';
import { asError } from '../errors.js';
import { amountMax, assetCodeCharsMax, assetScaleMax, textCharsMax, timeMsMax } from '../limits.js';
import { Http402Error } from './errors.js';
import { nameCharsMax, resourceCharsMax, trickleScheme, urlCharsMax, x402Version } from './names.js';
import { paymentRequestTokenChars } from './tokens.js';
import type {
  PaymentRequirements,
  ResourceInfo,
  TricklePaymentRequirements,
  TrickleRequirementsExtra,
} from './types.js';

type JsonObject = Record<string, unknown>;
type ErrorClass = new (message: string) => Error;

export function malformed(details: string): never {
  throw new Http402Error('MALFORMED_HEADER', 'not a valid x402 message', { details });
}

export function encodeJsonHeader(value: unknown, charsMax: number, title: string): string {
  const encoded = base64.encode(utf8.decode(JSON.stringify(value)));
  if (encoded.length > charsMax) throw new RangeError(`${title}: ${encoded.length} > ${charsMax} characters`);
  return encoded;
}

export function decodeJsonHeader(header: string, charsMax: number, title: string): unknown {
  if (typeof header !== 'string') malformed(`${title}: expected a string`);
  if (header.length > charsMax) {
    throw new Http402Error('HEADER_TOO_LARGE', `${title} header too large`, {
      details: `${header.length} > ${charsMax} characters`,
    });
  }
  let json: string;
  try {
    json = utf8.encode(base64.decode(header));
  } catch (cause) {
    throw new Http402Error('MALFORMED_HEADER', `${title} is not base64 of UTF-8`, { cause });
  }
  try {
    return JSON.parse(json);
  } catch (cause) {
    throw new Http402Error('MALFORMED_HEADER', `${title} is not JSON`, { cause });
  }
}

export function record(
  value: unknown,
  title: string,
  required: readonly string[],
  optional: readonly string[],
): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) malformed(`${title}: expected an object`);
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key)) {
      malformed(`${title}: unexpected key ${JSON.stringify(key.slice(0, 40))}`);
    }
  }
  for (const key of required) if (!Object.hasOwn(value, key)) malformed(`${title}.${key}: missing`);
  return value as JsonObject;
}

export function opaqueObject(value: unknown, title: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) malformed(`${title}: expected an object`);
  return value as Record<string, unknown>;
}

export function text(value: unknown, charsMax: number, title: string, pattern?: RegExp): string {
  if (typeof value !== 'string' || value.length > charsMax) {
    malformed(`${title}: expected a string of at most ${charsMax} characters`);
  }
  if (pattern !== undefined && !pattern.test(value)) malformed(`${title}: bad syntax`);
  return value;
}

export function integer(value: unknown, min: number, max: number, title: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    malformed(`${title}: expected an integer in ${min}..${max}`);
  }
  return value;
}

export const base64urlPattern = /^[A-Za-z0-9_-]*$/;

export function isToken(value: unknown, chars: number): value is string {
  return typeof value === 'string' && value.length === chars && base64urlPattern.test(value);
}

export function token(value: unknown, chars: number, title: string, error?: ErrorClass): string {
  if (!isToken(value, chars)) {
    const details = `${title}: expected ${chars} base64url characters`;
    if (error !== undefined) throw new error(details);
    malformed(details);
  }
  return value;
}

export function checkVersion(version: unknown): void {
  if (version !== x402Version) {
    const details = typeof version === 'number' ? `x402Version ${version}` : 'no x402Version';
    throw new Http402Error('UNSUPPORTED_VERSION', 'not an x402 version 2 message', { details });
  }
}

export const urlPattern = /^[a-z][a-z0-9+.-]*:[\x21-\x7e]+$/i;
export const hubUrlPattern = /^(wss?|https?):\/\/[\x21-\x7e]+$/;

export function checkResourceName(value: unknown, title: string, error: ErrorClass): string {
  // Printable ASCII and spaces only: a resource name is hashed, so it must have one spelling.
  if (
    typeof value !== 'string' ||
    value.length < 1 ||
    value.length > resourceCharsMax ||
    !/^[\x20-\x7e]+$/.test(value)
  ) {
    throw new error(`${title}: expected 1-${resourceCharsMax} printable ASCII characters`);
  }
  return value;
}

export function checkHubUrl(value: unknown, title: string, error: ErrorClass): string {
  if (typeof value !== 'string' || value.length > urlCharsMax || !hubUrlPattern.test(value)) {
    throw new error(`${title}: expected a ws:, wss:, http: or https: URL of at most ${urlCharsMax} characters`);
  }
  return value;
}

export function parseResourceInfo(value: unknown, title: string): ResourceInfo {
  const object = record(value, title, ['url'], ['description', 'mimeType']);
  return {
    url: text(object.url, urlCharsMax, `${title}.url`, urlPattern),
    ...(object.description === undefined
      ? {}
      : { description: text(object.description, textCharsMax, `${title}.description`) }),
    ...(object.mimeType === undefined ? {} : { mimeType: text(object.mimeType, nameCharsMax, `${title}.mimeType`) }),
  };
}

export function parseForeignRequirements(value: unknown, title: string): PaymentRequirements {
  // Another scheme's entry: check the x402 core fields, leave the rest to its own client.
  const object = opaqueObject(value, title);
  for (const key of ['scheme', 'network', 'amount', 'asset', 'payTo']) {
    text(object[key], key === 'scheme' || key === 'network' ? nameCharsMax : urlCharsMax, `${title}.${key}`);
  }
  if (typeof object.maxTimeoutSeconds !== 'number') malformed(`${title}.maxTimeoutSeconds: expected a number`);
  if (object.extra !== undefined) opaqueObject(object.extra, `${title}.extra`);
  return object as unknown as PaymentRequirements;
}

/** Characters of a 32-byte id in hex (`payTo`, `extra.hubId`). */
export const hexIdChars = 64;
/** Most digits of an amount in minor units (2^63 - 1 has 19). */
export const amountDigitsMax = 19;
/** Longest network id: `trickle:` and a u32 in decimal. */
export const networkCharsMax = 'trickle:'.length + 10;
/** Longest human-readable price, e.g. `"9223372036854.775807 ABCDEFGHIJKL"`. */
export const priceCharsMax = 64;
export const hex64Pattern = /^[0-9a-f]{64}$/;
export const unitsPattern = /^[1-9][0-9]{0,18}$/;
export const networkPattern = /^trickle:(0|[1-9][0-9]{0,9})$/;
export const assetCodePattern = /^[A-Z][A-Z0-9]{0,11}$/;

export function parseTrickleRequirements(value: unknown, title: string): TricklePaymentRequirements {
  const object = record(
    value,
    title,
    ['scheme', 'network', 'amount', 'asset', 'payTo', 'maxTimeoutSeconds', 'extra'],
    [],
  );
  if (object.scheme !== trickleScheme) {
    throw new Http402Error('UNSUPPORTED_SCHEME', 'not a trickle offer', { details: `${title}.scheme` });
  }
  const network = text(object.network, networkCharsMax, `${title}.network`, networkPattern);
  if (Number(network.slice('trickle:'.length)) > 0xffff_ffff) malformed(`${title}.network: not a u32`);
  const amount = text(object.amount, amountDigitsMax, `${title}.amount`, unitsPattern);
  if (BigInt(amount) > amountMax) malformed(`${title}.amount: above the largest amount`);
  const extra = record(
    object.extra,
    `${title}.extra`,
    ['hubUrl', 'hubId', 'assetScale', 'price', 'resource', 'expiresAtMs', 'paymentRequest'],
    [],
  );
  const parsedExtra: TrickleRequirementsExtra = {
    hubUrl: checkHubUrlOrMalformed(extra.hubUrl, `${title}.extra.hubUrl`),
    hubId: text(extra.hubId, hexIdChars, `${title}.extra.hubId`, hex64Pattern),
    assetScale: integer(extra.assetScale, 0, assetScaleMax, `${title}.extra.assetScale`),
    price: text(extra.price, priceCharsMax, `${title}.extra.price`),
    resource: resourceNameOrMalformed(extra.resource, `${title}.extra.resource`),
    expiresAtMs: integer(extra.expiresAtMs, 0, timeMsMax, `${title}.extra.expiresAtMs`),
    paymentRequest: token(extra.paymentRequest, paymentRequestTokenChars, `${title}.extra.paymentRequest`),
  };
  return {
    scheme: trickleScheme,
    network,
    amount,
    asset: text(object.asset, assetCodeCharsMax, `${title}.asset`, assetCodePattern),
    payTo: text(object.payTo, hexIdChars, `${title}.payTo`, hex64Pattern),
    maxTimeoutSeconds: integer(object.maxTimeoutSeconds, 1, Math.ceil(timeMsMax / 1000), `${title}.maxTimeoutSeconds`),
    extra: parsedExtra,
  };
}

export function checkHubUrlOrMalformed(value: unknown, title: string): string {
  try {
    return checkHubUrl(value, title, TypeError);
  } catch (error) {
    malformed(asError(error).message);
  }
}

export function resourceNameOrMalformed(value: unknown, title: string): string {
  try {
    return checkResourceName(value, title, TypeError);
  } catch (error) {
    malformed(asError(error).message);
  }
}
