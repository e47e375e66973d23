/**
 * Builds msgpack byte by byte, in encodings the canonical writer never produces (a float,
 * a uint 32 for 5, a str 8 for a short key, keys out of order, a key twice), so that tests
 * and the negative vectors can say exactly which bytes a decoder must refuse.
 */
import { readCanonical, type WireMap, type WireValue, writeCanonical } from '@trickle/protocol';

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
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Big-endian bytes of `value` in `width` bytes. */
function be(value: bigint, width: number): number[] {
  return Array.from({ length: width }, (_, i) => Number((value >> BigInt(8 * (width - 1 - i))) & 0xffn));
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
  u8: (n: number) => cat([0xcc], be(BigInt(n), 1)),
  u16: (n: number) => cat([0xcd], be(BigInt(n), 2)),
  u32: (n: number) => cat([0xce], be(BigInt(n), 4)),
  u64: (n: number | bigint) => cat([0xcf], be(BigInt(n), 8)),
  i8: (n: number) => cat([0xd0], be(BigInt.asUintN(8, BigInt(n)), 1)),
  i64: (n: number | bigint) => cat([0xd3], be(BigInt.asUintN(64, BigInt(n)), 8)),
  negativeFixint: (n: number) => new Uint8Array([n & 0xff]),
  f32: (x: number) => {
    const view = new DataView(new ArrayBuffer(5));
    view.setUint8(0, 0xca);
    view.setFloat32(1, x);
    return new Uint8Array(view.buffer);
  },
  f64: (x: number) => {
    const view = new DataView(new ArrayBuffer(9));
    view.setUint8(0, 0xcb);
    view.setFloat64(1, x);
    return new Uint8Array(view.buffer);
  },
  nil: () => new Uint8Array([0xc0]),
  str8: (text: string) => {
    const bytes = new TextEncoder().encode(text);
    return cat([0xd9, bytes.length], bytes);
  },
  /** A str whose payload is the given bytes, valid UTF-8 or not. */
  strBytes: (bytes: number[]) => cat([0xa0 | bytes.length], bytes),
  bin16: (bytes: Uint8Array) => cat([0xc5], be(BigInt(bytes.length), 2), bytes),
};

/** The shortest map or array header for `count` items. */
const header = (fix: number, type16: number, count: number) =>
  count < 16 ? [fix | count] : [type16, ...be(BigInt(count), 2)];

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
