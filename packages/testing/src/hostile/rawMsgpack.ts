/**
 * A permissive MessagePack writer for hostile frames: writes any value the canonical form
 * forbids (floats, negative and wide integers, long headers, nil, extensions, duplicate or
 * unsorted keys), so mutations can be expressed on the value tree of a real frame.
 */
import { compareKeys, type WireValue } from '@trickle/protocol';

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
