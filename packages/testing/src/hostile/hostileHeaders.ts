/**
 * Hostile HTTP headers for a merchant's paid route, generated from a genuine paid retry:
 * grammar-aware mutations of the `PAYMENT-SIGNATURE` JSON (fields dropped, added, retyped,
 * altered, tokens corrupted), mutations of its base64 text, and forged entitlements in the
 * `TRICKLE-ENTITLEMENT` header and cookie. Each must be refused with a `402` and a typed
 * refusal code; the genuine retry must still be served afterwards.
 */
import {
  decodePaymentRequiredHeader,
  encodePaymentSignatureHeader,
  http402Headers,
  paymentRefusalCodes,
  type TricklePaymentPayload,
} from '@trickle/protocol';
import { type SeededRandom, seededRandom } from '../sim/random.js';

/** One hostile request's headers. */
export interface HostileHeaderCase {
  readonly headers: readonly (readonly [string, string])[];
  /** `json:<mutation>:<path>`, `text:<mutation>` or `entitlement:<header or cookie>`. */
  readonly mutation: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonPath = readonly (string | number)[];

function jsonPaths(value: Json, prefix: JsonPath = []): JsonPath[] {
  const out: JsonPath[] = [prefix];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) out.push(...jsonPaths(value[i] as Json, [...prefix, i]));
  } else if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) out.push(...jsonPaths(value[key] as Json, [...prefix, key]));
  }
  return out;
}

function at(value: Json, path: JsonPath): Json {
  return path.reduce<Json>((node, step) => (node as Record<string | number, Json>)[step] as Json, value);
}

/** A copy of `value` with the node at `path` replaced (or removed, for `undefined`). */
function withAt(value: Json, path: JsonPath, replacement: Json | undefined): Json {
  if (path.length === 0) return replacement ?? null;
  const [head, ...rest] = path;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, Json>;
  if (rest.length === 0 && replacement === undefined) {
    if (Array.isArray(copy)) copy.splice(head as number, 1);
    else delete copy[head as string];
  } else {
    copy[head as string | number] = withAt(copy[head as string | number] as Json, rest, replacement);
  }
  return copy as Json;
}

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const tokenAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function corrupt(text: string, random: SeededRandom): string {
  if (text.length === 0) return 'x';
  const i = random.int(0, text.length - 1);
  let c = random.pick([...tokenAlphabet]);
  if (c === text[i]) c = c === 'A' ? 'B' : 'A';
  return text.slice(0, i) + c + text.slice(i + 1);
}

/**
 * Echoed fields that are hints, not checked (protocol.md, section 13): another value of the
 * right type there is still a valid retry, so only mutations that break their type apply.
 */
const hintPaths = new Set(['accepted.maxTimeoutSeconds', 'accepted.extra.hubUrl']);
const keepsType = new Set(['alter-value', 'float']);

/** The payload without its hints, as JSON text; undefined when `header` is not base64 JSON of an object. */
function checkedPart(header: string): string | undefined {
  try {
    const value = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as Record<string, Json>;
    if (typeof value !== 'object' || value === null) return undefined;
    const accepted = value.accepted as Record<string, Json> | undefined;
    const { resource: _resource, ...rest } = value;
    if (typeof accepted === 'object' && accepted !== null) {
      const { maxTimeoutSeconds: _timeout, extra, ...kept } = accepted;
      const { hubUrl: _hubUrl, ...extraKept } = (extra ?? {}) as Record<string, Json>;
      return JSON.stringify({ ...rest, accepted: { ...kept, extra: extraKept } });
    }
    return JSON.stringify(rest);
  } catch {
    return undefined;
  }
}

type JsonMutate = (node: Json, random: SeededRandom) => Json | undefined | 'drop';
const jsonMutations: Record<string, JsonMutate> = {
  'drop-field': () => 'drop',
  'add-field': (node, random) =>
    typeof node === 'object' && node !== null && !Array.isArray(node)
      ? { ...node, [random.pick(['__proto__', 'constructor', 'zz', 'x402Version2'])]: 1 }
      : undefined,
  'type-swap': (node) => (typeof node === 'string' ? 42 : typeof node === 'number' ? '42' : node === null ? 0 : 'x'),
  null: () => null,
  'alter-value': (node, random) =>
    typeof node === 'string' ? corrupt(node, random) : typeof node === 'number' ? node + 1 : undefined,
  'huge-string': (node) =>
    typeof node === 'string' ? node.repeat(1 + Math.ceil(20_000 / (node.length + 1))) : undefined,
  float: (node) => (typeof node === 'number' ? node + 0.5 : undefined),
  'deep-nesting': (node) => {
    let wrapped: Json = node;
    for (let i = 0; i < 2_000; i++) wrapped = [wrapped];
    return wrapped;
  },
};

const textMutations: Record<string, (header: string, random: SeededRandom) => string> = {
  'flip-char': (header, random) => corrupt(header, random),
  truncate: (header, random) => header.slice(0, random.int(0, header.length - 1)),
  'not-base64': (header, random) => `${header.slice(0, random.int(0, header.length))}%*!`,
  'not-json': () => base64('{"x402Version":2,'),
  empty: () => '',
  'json-array': () => base64('[2]'),
  'twice-joined': (header) => `${header}, ${header}`,
  oversize: () => 'A'.repeat(64 * 1024),
};

/** Options of {@link hostilePaymentHeaders}. */
export interface HostileHeadersOptions {
  readonly seed: number;
  readonly count: number;
  /** A genuine paid retry for the route (paid, not yet presented). */
  readonly valid: TricklePaymentPayload;
}

/**
 * Generates `count` hostile header sets from a genuine paid retry.
 *
 * @example
 * ```ts
 * import { hostilePaymentHeaders } from '@trickle/testing';
 * declare const valid: import('@trickle/protocol').TricklePaymentPayload;
 * for (const attack of hostilePaymentHeaders({ seed: 1, count: 100, valid })) {
 *   // await fetch(url, { headers: [...attack.headers] }) must answer 402 with a refusal code
 * }
 * ```
 */
export function* hostilePaymentHeaders(options: HostileHeadersOptions): Generator<HostileHeaderCase> {
  const random = seededRandom(options.seed);
  const validJson = JSON.parse(JSON.stringify(options.valid)) as Json;
  const validHeader = encodePaymentSignatureHeader(options.valid);
  const validChecked = checkedPart(validHeader);
  const paths = jsonPaths(validJson).filter((p) => p.length > 0);
  let made = 0;
  while (made < options.count) {
    const kind = random.int(1, 10);
    if (kind <= 6) {
      const name = random.pick(Object.keys(jsonMutations));
      const path = random.pick(paths);
      const dotted = path.join('.');
      if (keepsType.has(name) && (hintPaths.has(dotted) || dotted.startsWith('resource.'))) continue;
      const result = (jsonMutations[name] as JsonMutate)(at(validJson, path), random);
      if (result === undefined) continue;
      const mutated = withAt(validJson, path, result === 'drop' ? undefined : result);
      const text = JSON.stringify(mutated);
      if (text === JSON.stringify(validJson)) continue;
      made++;
      yield { headers: [[http402Headers.paymentSignature, base64(text)]], mutation: `json:${name}:${path.join('.')}` };
    } else if (kind <= 9) {
      const name = random.pick(Object.keys(textMutations));
      const header = (textMutations[name] as (h: string, r: SeededRandom) => string)(validHeader, random);
      // Base64 is lenient (unused bits, the hints): a change that reads as the same payload is no attack.
      if (header === validHeader || checkedPart(header) === validChecked) continue;
      made++;
      yield { headers: [[http402Headers.paymentSignature, header]], mutation: `text:${name}` };
    } else {
      const forged = Array.from({ length: random.pick([10, 274, 275, 2_000]) }, () =>
        random.pick([...tokenAlphabet]),
      ).join('');
      made++;
      yield random.chance(0.5)
        ? { headers: [[http402Headers.entitlement, forged]], mutation: 'entitlement:header' }
        : { headers: [['Cookie', `trickle_entitlement=${forged}; other=1`]], mutation: 'entitlement:cookie' };
    }
  }
}

/** Options of {@link attackMerchant}. */
export interface AttackMerchantOptions extends HostileHeadersOptions {
  /** The paid route's absolute URL (the route `valid` was paid for). */
  readonly url: string;
  /** The `fetch` to use. Default the global one. */
  readonly fetch?: typeof fetch;
}

/** What {@link attackMerchant} found. */
export interface MerchantAttackReport {
  tried: number;
  /**
   * Answered `402` with a refusal code from the closed list (or, for a bad cookie, a plain
   * `402`), or `431` by the HTTP server for a header over its size limit (counted as `HTTP_431`).
   */
  refused: number;
  /** Refusals by code. */
  codes: Record<string, number>;
  /** Whether the genuine retry was served at the end (proving the attacks used none of it). */
  validServed: boolean;
  /** Each is a merchant bug: served, a 5xx, an unknown code, no answer. */
  faults: { mutation: string; problem: string }[];
}

/**
 * Sends every hostile header set to the paid route, then the genuine retry, and reports.
 *
 * @example
 * ```ts
 * import { attackMerchant } from '@trickle/testing';
 * declare const valid: import('@trickle/protocol').TricklePaymentPayload;
 * const report = await attackMerchant({ url: 'http://127.0.0.1:3000/articles/1', seed: 1, count: 500, valid });
 * console.log(`${report.refused}/${report.tried} refused; genuine served: ${report.validServed}`);
 * ```
 */
export async function attackMerchant(options: AttackMerchantOptions): Promise<MerchantAttackReport> {
  const request = options.fetch ?? fetch;
  const report: MerchantAttackReport = { tried: 0, refused: 0, codes: {}, validServed: false, faults: [] };
  for (const attack of hostilePaymentHeaders(options)) {
    report.tried++;
    const fault = (problem: string) => report.faults.push({ mutation: attack.mutation, problem });
    let response: Response;
    try {
      response = await request(options.url, { headers: attack.headers.map(([k, v]) => [k, v] as [string, string]) });
      await response.arrayBuffer();
    } catch (error) {
      fault(`no answer: ${String(error)}`);
      continue;
    }
    // A header too large for the HTTP server is refused before the merchant sees it: 431.
    if (response.status === 431) {
      report.refused++;
      report.codes.HTTP_431 = (report.codes.HTTP_431 ?? 0) + 1;
      continue;
    }
    if (response.status !== 402) {
      fault(`answered ${response.status}`);
      continue;
    }
    const header = response.headers.get(http402Headers.paymentRequired);
    let code: string | undefined;
    try {
      code = header === null ? undefined : decodePaymentRequiredHeader(header).error;
    } catch (error) {
      fault(`a 402 whose PAYMENT-REQUIRED does not parse: ${String(error)}`);
      continue;
    }
    if (code === undefined && attack.mutation !== 'entitlement:cookie') {
      fault('refused without a code');
      continue;
    }
    if (code !== undefined && !Object.hasOwn(paymentRefusalCodes, code)) {
      fault(`an unknown refusal code ${code}`);
      continue;
    }
    report.refused++;
    const key = code ?? 'none';
    report.codes[key] = (report.codes[key] ?? 0) + 1;
  }
  const genuine = await request(options.url, {
    headers: [[http402Headers.paymentSignature, encodePaymentSignatureHeader(options.valid)]],
  });
  await genuine.arrayBuffer();
  report.validServed = genuine.status >= 200 && genuine.status < 300;
  return report;
}
