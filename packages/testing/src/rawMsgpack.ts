/**
 * Raw MessagePack, written byte by byte in encodings the canonical writer never produces
 * (floats, negative and wide integers, long headers, nil, keys out of order or twice), so
 * that tests, the negative vectors and the hostile-frame generator can say exactly which
 * bytes a decoder must refuse. Two ways in, one set of primitives: byte-level builders
 * (`token`, `rawMap`, `withValue`, `withPairs`: `@trickle/testing/harness`) and a value-tree
 * writer (`writeHostile` with `RawBytes`, `RawMap`: `@trickle/testing`).
 */
import { compareKeys, readCanonical, type WireMap, type WireValue, writeCanonical } from '@trickle/protocol';

/**
 * Bytes written as they are, in place of a value.
 *
 * @example
 * ```ts
 * import { RawBytes, writeHostile } from '@trickle/testing';
 * writeHostile({ t: 'sync', id: new RawBytes(Uint8Array.of(0xc0)) }); // id: nil
 * ```
 */
export class RawBytes {
  constructor(readonly bytes: Uint8Array) {}
}

/**
 * A map written with its entries in the given order, duplicates included.
 *
 * @example
 * ```ts
 * import { RawMap, writeHostile } from '@trickle/testing';
 * writeHostile(new RawMap([['t', 'sync'], ['id', 1], ['id', 2]])); // a duplicate key
 * ```
 */
export class RawMap {
  constructor(readonly entries: readonly (readonly [string | HostileValue, HostileValue])[]) {}
}

/** What {@link writeHostile} writes. */
export type HostileValue =
  | WireValue
  | RawBytes
  | RawMap
  | null
  | readonly HostileValue[]
  | { readonly [key: string]: HostileValue };

const utf8 = new TextEncoder();

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function be(value: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = BigInt.asUintN(bytes * 8, value);
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * An unsigned integer in a chosen width: 0 = positive fixint, else 8..64 bits.
 *
 * @example
 * ```ts
 * import { uintAs } from '@trickle/testing';
 * uintAs(5n, 64); // 5 as uint 64: not the shortest form
 * ```
 */
export function uintAs(value: bigint, width: 0 | 8 | 16 | 32 | 64): Uint8Array {
  if (width === 0) return Uint8Array.of(Number(value) & 0x7f);
  const tag = { 8: 0xcc, 16: 0xcd, 32: 0xce, 64: 0xcf }[width];
  return concat([Uint8Array.of(tag), be(value, width / 8)]);
}

/**
 * A signed integer in a chosen width (8..64 bits).
 *
 * @example
 * ```ts
 * import { intAs } from '@trickle/testing';
 * intAs(5n, 8); // int 8: the signed family, refused for every field
 * ```
 */
export function intAs(value: bigint, width: 8 | 16 | 32 | 64): Uint8Array {
  const tag = { 8: 0xd0, 16: 0xd1, 32: 0xd2, 64: 0xd3 }[width];
  return concat([Uint8Array.of(tag), be(value, width / 8)]);
}

/**
 * A float 32 or float 64.
 *
 * @example
 * ```ts
 * import { floatAs } from '@trickle/testing';
 * floatAs(-0, 64); // -0.0, which a strict decoder must not read as 0
 * ```
 */
export function floatAs(value: number, width: 32 | 64): Uint8Array {
  const out = new Uint8Array(1 + width / 8);
  const view = new DataView(out.buffer);
  out[0] = width === 32 ? 0xca : 0xcb;
  if (width === 32) view.setFloat32(1, value);
  else view.setFloat64(1, value);
  return out;
}

/**
 * A str or bin with a chosen header: `fix` (str only), 8, 16 or 32 bits of length.
 *
 * @example
 * ```ts
 * import { blobAs } from '@trickle/testing';
 * blobAs('str', new TextEncoder().encode('pay'), 8); // str 8 for a 3-byte string: too long a header
 * ```
 */
export function blobAs(kind: 'str' | 'bin', bytes: Uint8Array, header: 'fix' | 8 | 16 | 32): Uint8Array {
  if (header === 'fix') return concat([Uint8Array.of(0xa0 | (bytes.length & 0x1f)), bytes]);
  const tags = kind === 'str' ? { 8: 0xd9, 16: 0xda, 32: 0xdb } : { 8: 0xc4, 16: 0xc5, 32: 0xc6 };
  return concat([Uint8Array.of(tags[header]), be(BigInt(bytes.length), header / 8), bytes]);
}

function uint(value: bigint): Uint8Array {
  if (value < 128n) return uintAs(value, 0);
  if (value < 0x100n) return uintAs(value, 8);
  if (value < 0x1_0000n) return uintAs(value, 16);
  if (value < 0x1_0000_0000n) return uintAs(value, 32);
  return uintAs(value, 64);
}

function int(value: bigint): Uint8Array {
  if (value >= 0n) return uint(value);
  if (value >= -32n) return Uint8Array.of(Number(value) & 0xff);
  if (value >= -128n) return intAs(value, 8);
  if (value >= -32_768n) return intAs(value, 16);
  if (value >= -2_147_483_648n) return intAs(value, 32);
  return intAs(value, 64);
}

function header(fix: number, tag16: number, count: number): Uint8Array {
  if (count < 16) return Uint8Array.of(fix | count);
  if (count < 0x1_0000) return concat([Uint8Array.of(tag16), be(BigInt(count), 2)]);
  return concat([Uint8Array.of(tag16 + 1), be(BigInt(count), 4)]);
}

function blob(kind: 'str' | 'bin', bytes: Uint8Array): Uint8Array {
  if (kind === 'str' && bytes.length < 32) return blobAs('str', bytes, 'fix');
  return blobAs(kind, bytes, bytes.length < 0x100 ? 8 : bytes.length < 0x1_0000 ? 16 : 32);
}

/**
 * Encodes `value`: plain values in the canonical form (shortest headers, sorted keys),
 * numbers that are not unsigned integers as msgpack allows them, and {@link RawBytes} /
 * {@link RawMap} exactly as given.
 *
 * @example
 * ```ts
 * import { RawBytes, writeHostile, floatAs } from '@trickle/testing';
 * writeHostile({ t: 'sync', id: new RawBytes(floatAs(1, 64)) }); // an integer field as a float
 * ```
 */
export function writeHostile(value: HostileValue): Uint8Array {
  if (value instanceof RawBytes) return value.bytes;
  if (value === null) return Uint8Array.of(0xc0);
  if (value instanceof Uint8Array) return blob('bin', value);
  if (value instanceof RawMap) {
    const parts = [header(0x80, 0xde, value.entries.length)];
    for (const [key, item] of value.entries) {
      parts.push(typeof key === 'string' ? blob('str', utf8.encode(key)) : writeHostile(key), writeHostile(item));
    }
    return concat(parts);
  }
  switch (typeof value) {
    case 'boolean':
      return Uint8Array.of(value ? 0xc3 : 0xc2);
    case 'bigint':
      return int(value);
    case 'number':
      return Number.isInteger(value) && !Object.is(value, -0) ? int(BigInt(value)) : floatAs(value, 64);
    case 'string':
      return blob('str', utf8.encode(value));
  }
  if (Array.isArray(value)) return concat([header(0x90, 0xdc, value.length), ...value.map(writeHostile)]);
  const map = value as { readonly [key: string]: HostileValue };
  const keys = Object.keys(map).sort(compareKeys);
  return writeHostile(new RawMap(keys.map((key) => [key, map[key] as HostileValue])));
}

// ---- byte-level builders ----------------------------------------------------------

/**
 * Concatenates byte strings.
 *
 * @example
 * ```ts
 * import { cat } from '@trickle/testing/harness';
 * cat([0x92], new Uint8Array([1, 2])); // a fixarray of two positive fixints
 * ```
 */
export function cat(...parts: (Uint8Array | number[])[]): Uint8Array {
  return concat(parts.map((part) => (part instanceof Uint8Array ? part : Uint8Array.from(part))));
}

/**
 * The canonical encoding of a value.
 *
 * @example
 * ```ts
 * import { canonical } from '@trickle/testing/harness';
 * canonical({ a: 1 }); // 81 a1 61 01
 * ```
 */
export const canonical = (value: WireValue): Uint8Array => writeCanonical(value);

/**
 * Explicit-width and non-canonical tokens: what a canonical writer never produces.
 *
 * @example
 * ```ts
 * import { token } from '@trickle/testing/harness';
 * token.u32(5); // ce 00 00 00 05, where canonical is 05
 * ```
 */
export const token = {
  u8: (n: number) => uintAs(BigInt(n), 8),
  u16: (n: number) => uintAs(BigInt(n), 16),
  u32: (n: number) => uintAs(BigInt(n), 32),
  u64: (n: number | bigint) => uintAs(BigInt(n), 64),
  i8: (n: number) => intAs(BigInt(n), 8),
  i64: (n: number | bigint) => intAs(BigInt(n), 64),
  negativeFixint: (n: number) => new Uint8Array([n & 0xff]),
  f32: (x: number) => floatAs(x, 32),
  f64: (x: number) => floatAs(x, 64),
  nil: () => new Uint8Array([0xc0]),
  str8: (text: string) => blobAs('str', utf8.encode(text), 8),
  /** A str whose payload is the given bytes, valid UTF-8 or not. */
  strBytes: (bytes: number[]) => blobAs('str', Uint8Array.from(bytes), 'fix'),
  bin16: (bytes: Uint8Array) => blobAs('bin', bytes, 16),
};

/**
 * A map from raw key and value bytes, in the given order, with its shortest (or the given) header.
 *
 * @example
 * ```ts
 * import { canonical, rawMap } from '@trickle/testing/harness';
 * rawMap([[canonical('b'), canonical(1)], [canonical('a'), canonical(2)]]); // keys out of order
 * ```
 */
export function rawMap(pairs: [Uint8Array, Uint8Array][], mapHeader?: Uint8Array): Uint8Array {
  return cat(mapHeader ?? header(0x80, 0xde, pairs.length), ...pairs.flat());
}

/**
 * An array from raw items, with its shortest (or the given) header.
 *
 * @example
 * ```ts
 * import { rawArray, token } from '@trickle/testing/harness';
 * rawArray([token.u8(1)], new Uint8Array([0xdc, 0, 1])); // an array 16 header for one item
 * ```
 */
export function rawArray(items: Uint8Array[], arrayHeader?: Uint8Array): Uint8Array {
  return cat(arrayHeader ?? header(0x90, 0xdc, items.length), ...items);
}

/** Where a value sits in a frame: map keys and array indexes from the top. */
export type Path = readonly (string | number)[];

/** The pairs of a decoded map as raw bytes, in canonical order. */
function rawPairs(map: WireMap): [Uint8Array, Uint8Array][] {
  return Object.keys(map).map((key) => [canonical(key), canonical(map[key] as WireValue)]);
}

/** Re-encodes `value` canonically except for the value at `path`, which is `replace(itsPairs or itsBytes)`. */
function rebuild(value: WireValue, path: Path, edit: (value: WireValue) => Uint8Array): Uint8Array {
  if (path.length === 0) return edit(value);
  const [step, ...rest] = path;
  if (Array.isArray(value)) {
    return rawArray(value.map((item, i) => (i === step ? rebuild(item, rest, edit) : canonical(item))));
  }
  const map = value as WireMap;
  return rawMap(
    Object.keys(map).map((key) => [
      canonical(key),
      key === step ? rebuild(map[key] as WireValue, rest, edit) : canonical(map[key] as WireValue),
    ]),
  );
}

/**
 * `frame` (canonical) with the value at `path` replaced by `raw` bytes.
 *
 * @example
 * ```ts
 * import { canonical, token, withValue } from '@trickle/testing/harness';
 * const frame = canonical({ type: 'ping', id: 5 });
 * withValue(frame, ['id'], token.u32(5)); // the same message in a non-canonical width
 * ```
 */
export function withValue(frame: Uint8Array, path: Path, raw: Uint8Array): Uint8Array {
  return rebuild(readCanonical(frame, 'test'), path, () => raw);
}

/**
 * `frame` with the map at `path` rewritten from its canonical pairs by `edit` (reorder, duplicate, add).
 *
 * @example
 * ```ts
 * import { canonical, withPairs } from '@trickle/testing/harness';
 * const frame = canonical({ type: 'ping', id: 5 });
 * withPairs(frame, [], (pairs) => [...pairs, pairs[0]!]); // a key twice
 * ```
 */
export function withPairs(
  frame: Uint8Array,
  path: Path,
  edit: (pairs: [Uint8Array, Uint8Array][]) => [Uint8Array, Uint8Array][],
): Uint8Array {
  return rebuild(readCanonical(frame, 'test'), path, (map) => rawMap(edit(rawPairs(map as WireMap))));
}

/**
 * For {@link withPairs}: the pairs with `key` given a second time (with `value`), right
 * before its first pair.
 *
 * @example
 * ```ts
 * import { canonical, twice, withPairs } from '@trickle/testing/harness';
 * const frame = canonical({ type: 'ping', id: 5 });
 * withPairs(frame, [], twice('id', canonical(6))); // id twice: a strict decoder refuses it
 * ```
 */
export function twice(key: string, value: Uint8Array) {
  return (pairs: [Uint8Array, Uint8Array][]): [Uint8Array, Uint8Array][] => {
    const keyBytes = canonical(key).join();
    const at = pairs.findIndex(([k]) => k.join() === keyBytes);
    return [...pairs.slice(0, at), [canonical(key), value], ...pairs.slice(at)];
  };
}
