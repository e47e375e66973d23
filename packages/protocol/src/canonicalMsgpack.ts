/**
 * The protocol's MessagePack: a strict subset in which every message has exactly one
 * encoding (protocol.md, section 7.1). {@link readCanonical} refuses every other byte
 * sequence, {@link writeCanonical} writes only this form, so a frame that decodes
 * re-encodes to the same bytes, and no two decoders (a proxy, a logger, another
 * language's library) can read two different messages from one frame.
 *
 * The form, in short: unsigned integers only, in the shortest of positive fixint and
 * uint 8/16/32/64; no floats, nil, signed integers, extensions or the byte 0xc1; every
 * str, bin, array and map header in its shortest form; str is valid UTF-8; map keys are
 * str, unique, and sorted by their bytes; containers nested at most `frameDepthMax` deep;
 * exactly one value, nothing after it.
 *
 * Hand-written rather than a library's decoder plus a check, because (measured, ADR 0005)
 * a general decoder cannot report duplicate keys, key order or non-shortest forms, cannot
 * write integers of 2^32 and up as uint 64, and its Node Buffers cost more to turn into
 * plain `Uint8Array`s than this whole reader. Synchronous and not re-entrant (module-level
 * scratch state); iterative over items, recursive over nesting, which is bounded.
 */
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { describe } from './bytes.js';
import { FrameError } from './frameError.js';
import { frameBytesMax, frameDepthMax } from './limits.js';

/** A value a frame can hold: what {@link readCanonical} returns and {@link writeCanonical} takes. */
export type WireValue = number | bigint | boolean | string | Uint8Array | readonly WireValue[] | WireMap;
/** A msgpack map with string keys. */
export interface WireMap {
  readonly [key: string]: WireValue;
}

const empty = new Uint8Array(0);
/** 2^32, as a number. */
const two32 = 0x1_0000_0000;

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

let bytes: Uint8Array = empty;
let at = 0;
let end = 0;
let side = '';

function fault(offset: number, reason: string): never {
  throw new FrameError('MALFORMED_FRAME', `${side}@${offset}`, reason);
}

/** Moves past `length` bytes of payload, refusing a token that runs past the end. */
function take(length: number, tokenAt: number): number {
  const start = at;
  if (length > end - start) fault(tokenAt, 'a token past the end of the frame');
  at = start + length;
  return start;
}

/**
 * Reads a big-endian unsigned integer of `width` bytes (1, 2 or 4) that must be at least
 * `min`: a smaller one had a shorter form. Integer values and str/bin/array/map lengths.
 */
function readUnsigned(width: number, min: number, tokenAt: number): number {
  const from = take(width, tokenAt);
  const b = bytes;
  const value =
    width === 1
      ? (b[from] as number)
      : width === 2
        ? ((b[from] as number) << 8) | (b[from + 1] as number)
        : (b[from] as number) * 0x100_0000 +
          (((b[from + 1] as number) << 16) | ((b[from + 2] as number) << 8) | (b[from + 3] as number));
  if (value < min) fault(tokenAt, 'not in its shortest form');
  return value;
}

/** A uint 64: at least 2^32 (else it had a shorter form); a number up to 2^53-1, a bigint above. */
function readUint64(tokenAt: number): number | bigint {
  const high = readUnsigned(4, 1, tokenAt);
  const low = readUnsigned(4, 0, tokenAt);
  return high < 0x20_0000 ? high * two32 + low : (BigInt(high) << 32n) | BigInt(low);
}

function forbidden(type: number): string {
  if (type === 0xc0) return 'nil: an optional key is absent, never nil';
  if (type === 0xc1) return 'the never-used byte 0xc1';
  if (type === 0xca || type === 0xcb) return 'a float: numbers are unsigned integers';
  if ((type >= 0xd0 && type <= 0xd3) || type >= 0xe0) return 'a signed integer: numbers are unsigned integers';
  return 'an extension type';
}

function readValue(depth: number): WireValue {
  const tokenAt = at;
  if (tokenAt >= end) fault(tokenAt, 'a value past the end of the frame');
  const type = bytes[tokenAt] as number;
  at = tokenAt + 1;
  if (type < 0x80) return type;
  if (type < 0x90) return readMap(type & 0x0f, depth, tokenAt);
  if (type < 0xa0) return readArray(type & 0x0f, depth, tokenAt);
  if (type < 0xc0) return readText(type & 0x1f, tokenAt);
  switch (type) {
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      return readBin(readUnsigned(1, 0, tokenAt), tokenAt);
    case 0xc5:
      return readBin(readUnsigned(2, 0x100, tokenAt), tokenAt);
    case 0xc6:
      return readBin(readUnsigned(4, 0x1_0000, tokenAt), tokenAt);
    case 0xcc:
      return readUnsigned(1, 0x80, tokenAt);
    case 0xcd:
      return readUnsigned(2, 0x100, tokenAt);
    case 0xce:
      return readUnsigned(4, 0x1_0000, tokenAt);
    case 0xcf:
      return readUint64(tokenAt);
    case 0xd9:
      return readText(readUnsigned(1, 0x20, tokenAt), tokenAt);
    case 0xda:
      return readText(readUnsigned(2, 0x100, tokenAt), tokenAt);
    case 0xdb:
      return readText(readUnsigned(4, 0x1_0000, tokenAt), tokenAt);
    case 0xdc:
      return readArray(readUnsigned(2, 0x10, tokenAt), depth, tokenAt);
    case 0xdd:
      return readArray(readUnsigned(4, 0x1_0000, tokenAt), depth, tokenAt);
    case 0xde:
      return readMap(readUnsigned(2, 0x10, tokenAt), depth, tokenAt);
    case 0xdf:
      return readMap(readUnsigned(4, 0x1_0000, tokenAt), depth, tokenAt);
  }
  return fault(tokenAt, forbidden(type));
}

function readBin(length: number, tokenAt: number): Uint8Array {
  const from = take(length, tokenAt);
  // A copy: a decoded message never pins the frame's memory.
  return bytes.slice(from, from + length);
}

function readText(length: number, tokenAt: number): string {
  const from = take(length, tokenAt);
  return textAt(from, from + length, tokenAt);
}

function enter(count: number, itemsPerEntry: number, depth: number, tokenAt: number): void {
  if (depth >= frameDepthMax) fault(tokenAt, `nested deeper than frameDepthMax (${frameDepthMax})`);
  // Every item takes at least one byte: a count past that is a lie, refused before allocating.
  if (count * itemsPerEntry > end - at) fault(tokenAt, 'more items than bytes left');
}

function readArray(count: number, depth: number, tokenAt: number): WireValue[] {
  enter(count, 1, depth, tokenAt);
  const out = new Array<WireValue>(count);
  for (let i = 0; i < count; i++) out[i] = readValue(depth + 1);
  return out;
}

function readMap(count: number, depth: number, tokenAt: number): WireMap {
  enter(count, 2, depth, tokenAt);
  const out: Record<string, WireValue> = {};
  let previousFrom = 0;
  let previousTo = -1;
  for (let i = 0; i < count; i++) {
    const keyAt = at;
    const type = keyAt < end ? (bytes[keyAt] as number) : 0;
    at = keyAt + 1;
    let length: number;
    if (type >= 0xa0 && type <= 0xbf) length = type & 0x1f;
    else if (type === 0xd9) length = readUnsigned(1, 0x20, keyAt);
    else if (type === 0xda) length = readUnsigned(2, 0x100, keyAt);
    else return fault(keyAt, 'a map key that is not a string');
    const from = take(length, keyAt);
    const to = from + length;
    if (previousTo >= 0) {
      const order = compareRanges(bytes, previousFrom, previousTo, from, to);
      if (order >= 0)
        fault(keyAt, order === 0 ? 'a duplicate key' : 'keys out of order: keys are sorted by their bytes');
    }
    const key = textAt(from, to, keyAt);
    // Setting it would set the object's prototype; no message has it.
    if (key === '__proto__') fault(keyAt, 'the key __proto__');
    out[key] = readValue(depth + 1);
    previousFrom = from;
    previousTo = to;
  }
  return out;
}

/** Byte order of two ranges of `source`: -1, 0 or 1; a proper prefix sorts first. */
function compareRanges(source: Uint8Array, aFrom: number, aTo: number, bFrom: number, bTo: number): number {
  const length = Math.min(aTo - aFrom, bTo - bFrom);
  for (let i = 0; i < length; i++) {
    const a = source[aFrom + i] as number;
    const b = source[bFrom + i] as number;
    if (a !== b) return a < b ? -1 : 1;
  }
  const difference = aTo - aFrom - (bTo - bFrom);
  return difference < 0 ? -1 : difference > 0 ? 1 : 0;
}

/** The string in bytes[from..to): ASCII directly, anything else as strict UTF-8. */
function textAt(from: number, to: number, tokenAt: number): string {
  const b = bytes;
  let text = '';
  for (let i = from; i < to; i++) {
    const c = b[i] as number;
    if (c >= 0x80) return utf8At(from, to, tokenAt);
    text += String.fromCharCode(c);
  }
  return text;
}

/** Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF, no truncated sequence. */
function utf8At(from: number, to: number, tokenAt: number): string {
  const b = bytes;
  const units: number[] = [];
  let i = from;
  while (i < to) {
    const first = b[i] as number;
    let extra: number;
    let point: number;
    let min: number;
    if (first < 0x80) {
      units.push(first);
      i++;
      continue;
    } else if (first >= 0xc2 && first <= 0xdf) {
      extra = 1;
      point = first & 0x1f;
      min = 0x80;
    } else if (first >= 0xe0 && first <= 0xef) {
      extra = 2;
      point = first & 0x0f;
      min = 0x800;
    } else if (first >= 0xf0 && first <= 0xf4) {
      extra = 3;
      point = first & 0x07;
      min = 0x1_0000;
    } else {
      return fault(tokenAt, 'a string that is not valid UTF-8');
    }
    if (i + extra >= to) fault(tokenAt, 'a string that is not valid UTF-8');
    for (let k = 1; k <= extra; k++) {
      const next = b[i + k] as number;
      if ((next & 0xc0) !== 0x80) fault(tokenAt, 'a string that is not valid UTF-8');
      point = (point << 6) | (next & 0x3f);
    }
    if (point < min || point > 0x10_ffff || (point >= 0xd800 && point <= 0xdfff)) {
      fault(tokenAt, 'a string that is not valid UTF-8');
    }
    if (point >= 0x1_0000) units.push(0xd800 + ((point - 0x1_0000) >> 10), 0xdc00 + ((point - 0x1_0000) & 0x3ff));
    else units.push(point);
    i += extra + 1;
  }
  let text = '';
  for (let k = 0; k < units.length; k += 4096) text += String.fromCharCode(...units.slice(k, k + 4096));
  return text;
}

/**
 * Reads one frame in the canonical form. Throws {@link FrameError} `MALFORMED_FRAME` (its
 * path is `side@offset`, the byte where the fault is) for anything else; never anything
 * else. Does not check the frame's size: callers refuse frames over `frameBytesMax` first.
 *
 * @example
 * ```ts
 * import { readCanonical } from '@trickle/protocol';
 * readCanonical(new Uint8Array([0x81, 0xa1, 0x61, 0x07]), 'client'); // { a: 7 }
 * readCanonical(new Uint8Array([0x81, 0xa1, 0x61, 0xcc, 0x07]), 'client'); // throws: 7 has a shorter form
 * ```
 */
export function readCanonical(frame: Uint8Array, where: string): WireValue {
  bytes = frame.constructor === Uint8Array ? frame : new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
  at = 0;
  end = frame.length;
  side = where;
  try {
    const value = readValue(0);
    if (at !== end) fault(at, 'bytes after the value');
    return value;
  } finally {
    bytes = empty;
  }
}

// ---------------------------------------------------------------------------------------------
// The request id of a refused frame
// ---------------------------------------------------------------------------------------------

/** The position after the complete value at `pos` (any msgpack, not only canonical), or -1. */
function skipValue(frame: Uint8Array, pos: number): number {
  const length = frame.length;
  let pending = 1;
  while (pending > 0) {
    if (pos >= length) return -1;
    const type = frame[pos] as number;
    pending--;
    pos++;
    let sizeBytes = 0; // bytes of a length or count field
    let payload = 0; // bytes of a scalar's value
    let children = 0; // items per counted entry (array 1, map 2)
    if (type < 0x80 || type >= 0xe0) continue;
    if (type < 0x90) pending += (type & 0x0f) * 2;
    else if (type < 0xa0) pending += type & 0x0f;
    else if (type < 0xc0) pos += type & 0x1f;
    else if (type === 0xc1) return -1;
    else if (type >= 0xc4 && type <= 0xc6) sizeBytes = 1 << (type - 0xc4);
    else if (type >= 0xc7 && type <= 0xc9) [sizeBytes, payload] = [1 << (type - 0xc7), 1];
    else if (type >= 0xca && type <= 0xcb) payload = 4 << (type - 0xca);
    else if (type >= 0xcc && type <= 0xd3) payload = 1 << ((type - 0xcc) & 3);
    else if (type >= 0xd4 && type <= 0xd8) payload = 1 + (1 << (type - 0xd4));
    else if (type >= 0xd9 && type <= 0xdb) sizeBytes = 1 << (type - 0xd9);
    else if (type >= 0xdc && type <= 0xdd) [sizeBytes, children] = [2 << (type - 0xdc), 1];
    else if (type >= 0xde) [sizeBytes, children] = [2 << (type - 0xde), 2];
    if (sizeBytes > 0) {
      if (pos + sizeBytes > length) return -1;
      let size = 0;
      for (let i = 0; i < sizeBytes; i++) size = size * 256 + (frame[pos + i] as number);
      pos += sizeBytes;
      if (children > 0) pending += size * children;
      else payload += size;
    }
    pos += payload;
    if (pos > length || pending > length) return -1;
  }
  return pos;
}

/**
 * The request id a reject of a refused frame echoes (protocol.md, section 7.3): when the
 * frame is one complete MessagePack value, in any encoding, canonical or not, that is a
 * map in which the key `id` occurs exactly once, holding an unsigned integer in 0..2^32-1
 * (positive fixint or uint 8 to 64, any width). Otherwise `undefined`. Never throws;
 * linear in the frame's length. Internal to the codec.
 */
export function requestIdOf(frame: Uint8Array): number | undefined {
  const type = frame[0];
  let count: number;
  let pos: number;
  if (type === undefined) return undefined;
  if (type >= 0x80 && type <= 0x8f) [count, pos] = [type & 0x0f, 1];
  else if (type === 0xde && frame.length >= 3) [count, pos] = [((frame[1] as number) << 8) | (frame[2] as number), 3];
  else if (type === 0xdf && frame.length >= 5)
    [count, pos] = [
      (frame[1] as number) * 0x100_0000 +
        (((frame[2] as number) << 16) | ((frame[3] as number) << 8) | (frame[4] as number)),
      5,
    ];
  else return undefined;
  let id: number | undefined;
  let ids = 0;
  for (let i = 0; i < count; i++) {
    const keyIsId =
      (frame[pos] === 0xa2 && frame[pos + 1] === 0x69 && frame[pos + 2] === 0x64) ||
      (frame[pos] === 0xd9 && frame[pos + 1] === 2 && frame[pos + 2] === 0x69 && frame[pos + 3] === 0x64);
    pos = skipValue(frame, pos);
    if (pos < 0) return undefined;
    if (keyIsId) {
      ids++;
      id = uintAt(frame, pos);
    }
    pos = skipValue(frame, pos);
    if (pos < 0) return undefined;
  }
  return pos === frame.length && ids === 1 ? id : undefined;
}

/** The unsigned integer at `pos` if it is one in 0..2^32-1 (any width), else undefined. */
function uintAt(frame: Uint8Array, pos: number): number | undefined {
  const type = frame[pos] as number;
  if (type < 0x80) return type;
  const width = type === 0xcc ? 1 : type === 0xcd ? 2 : type === 0xce ? 4 : type === 0xcf ? 8 : 0;
  if (width === 0 || pos + width >= frame.length) return undefined;
  let value = 0;
  for (let i = 1; i <= width; i++) value = value * 256 + (frame[pos + i] as number);
  return value <= 0xffff_ffff ? value : undefined;
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/** The frame being written; one frame is never larger. */
const out = new Uint8Array(frameBytesMax);
let length = 0;

/** Reserves `size` bytes and returns where they start. */
function room(size: number): number {
  const start = length;
  if (size > out.length - start) {
    throw new RangeError(`encode: the frame is over frameBytesMax (${frameBytesMax} bytes)`);
  }
  length = start + size;
  return start;
}

/** A type byte for lengths 0..15 (`fix`, or -1 when there is none), else 8/16/32-bit forms. */
function writeHeader(fix: number, fixMax: number, type8: number, type16: number, type32: number, size: number): void {
  if (size <= fixMax) {
    out[room(1)] = fix | size;
  } else if (size < 0x100 && type8 >= 0) {
    const start = room(2);
    out[start] = type8;
    out[start + 1] = size;
  } else if (size < 0x1_0000) {
    const start = room(3);
    out[start] = type16;
    out[start + 1] = size >>> 8;
    out[start + 2] = size & 0xff;
  } else {
    const start = room(5);
    out[start] = type32;
    writeU32(start + 1, size);
  }
}

function writeU32(start: number, value: number): void {
  out[start] = value >>> 24;
  out[start + 1] = (value >>> 16) & 0xff;
  out[start + 2] = (value >>> 8) & 0xff;
  out[start + 3] = value & 0xff;
}

function writeUint(value: number): void {
  if (value < 0x80) {
    out[room(1)] = value;
  } else if (value < 0x100) {
    const start = room(2);
    out[start] = 0xcc;
    out[start + 1] = value;
  } else if (value < 0x1_0000) {
    const start = room(3);
    out[start] = 0xcd;
    out[start + 1] = value >>> 8;
    out[start + 2] = value & 0xff;
  } else if (value < two32) {
    const start = room(5);
    out[start] = 0xce;
    writeU32(start + 1, value);
  } else {
    const start = room(9);
    out[start] = 0xcf;
    writeU32(start + 1, Math.floor(value / two32));
    writeU32(start + 5, value >>> 0);
  }
}

const uint64Max = 2n ** 64n - 1n;
const safeMax = BigInt(Number.MAX_SAFE_INTEGER);

function writeBigUint(value: bigint): void {
  if (value < 0n || value > uint64Max) throw new RangeError('encode: integers are in 0..2^64-1');
  if (value <= safeMax) {
    writeUint(Number(value));
    return;
  }
  const start = room(9);
  out[start] = 0xcf;
  writeU32(start + 1, Number(value >> 32n));
  writeU32(start + 5, Number(value & 0xffff_ffffn));
}

/** Writes a str; returns where its bytes start (after the header). */
function writeText(text: string): number {
  const count = text.length;
  for (let i = 0; i < count; i++) {
    if (text.charCodeAt(i) >= 0x80) {
      const encoded = utf8ToBytes(text);
      writeHeader(0xa0, 0x1f, 0xd9, 0xda, 0xdb, encoded.length);
      const start = room(encoded.length);
      out.set(encoded, start);
      return start;
    }
  }
  writeHeader(0xa0, 0x1f, 0xd9, 0xda, 0xdb, count);
  const start = room(count);
  for (let i = 0; i < count; i++) out[start + i] = text.charCodeAt(i);
  return start;
}

function writeMap(map: WireMap): void {
  const keys = Object.keys(map);
  const mapAt = length;
  writeHeader(0x80, 0x0f, -1, 0xde, 0xdf, keys.length);
  let previousFrom = 0;
  let previousTo = -1;
  for (const key of keys) {
    const from = writeText(key);
    if (previousTo >= 0 && compareRanges(out, previousFrom, previousTo, from, length) >= 0) {
      // Not given in canonical order: write the map again, sorted.
      length = mapAt;
      writeSortedMap(map, keys);
      return;
    }
    previousFrom = from;
    previousTo = length;
    writeValue(map[key]);
  }
}

function writeSortedMap(map: WireMap, keys: readonly string[]): void {
  writeHeader(0x80, 0x0f, -1, 0xde, 0xdf, keys.length);
  for (const key of [...keys].sort(compareKeys)) {
    writeText(key);
    writeValue(map[key]);
  }
}

function writeValue(value: WireValue | undefined): void {
  switch (typeof value) {
    case 'number':
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new TypeError(`encode: ${value} is not an unsigned safe integer (the wire has no floats or negatives)`);
      }
      writeUint(value);
      return;
    case 'bigint':
      writeBigUint(value);
      return;
    case 'string':
      writeText(value);
      return;
    case 'boolean':
      out[room(1)] = value ? 0xc3 : 0xc2;
      return;
    case 'object':
      if (value instanceof Uint8Array) {
        writeHeader(0, -1, 0xc4, 0xc5, 0xc6, value.length);
        out.set(value, room(value.length));
        return;
      }
      if (Array.isArray(value)) {
        writeHeader(0x90, 0x0f, -1, 0xdc, 0xdd, value.length);
        for (const item of value) writeValue(item);
        return;
      }
      if (
        value !== null &&
        (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)
      ) {
        writeMap(value as WireMap);
        return;
      }
  }
  throw new TypeError(`encode: ${describe(value)} has no wire form`);
}

/**
 * Frames are handed out as views into a shared chunk: allocating an ArrayBuffer per frame
 * cost more than writing the frame (measured: ~0.7 µs for 98 bytes). A chunk is replaced
 * when full and freed once no frame in it is referenced.
 */
let chunk = new Uint8Array(frameBytesMax);
let chunkUsed = 0;

function emit(size: number): Uint8Array {
  if (size > chunk.length - chunkUsed) {
    chunk = new Uint8Array(frameBytesMax);
    chunkUsed = 0;
  }
  const start = chunkUsed;
  chunk.set(out.subarray(0, size), start);
  chunkUsed = start + size;
  return chunk.subarray(start, start + size);
}

/**
 * Writes `value` in the canonical form: map keys sorted by their bytes (in the given order
 * when it already is), integers in their shortest unsigned form, bigints up to 2^64-1.
 * Throws `TypeError` for a value with no wire form (a float, a negative, `null`,
 * `undefined`, a class instance) and `RangeError` for a frame over `frameBytesMax`. The
 * result is a view into a buffer shared with other frames: send or copy the view, never
 * its `.buffer`.
 *
 * @example
 * ```ts
 * import { writeCanonical } from '@trickle/protocol';
 * writeCanonical({ b: 1, a: 2n ** 40n }); // 82 a1 61 cf 00 00 01 00 00 00 00 00 a1 62 01
 * ```
 */
export function writeCanonical(value: WireValue): Uint8Array {
  length = 0;
  writeValue(value);
  return emit(length);
}

/**
 * The canonical order of two map keys: by their UTF-8 bytes, a proper prefix first.
 *
 * @example
 * ```ts
 * import { compareKeys } from '@trickle/protocol';
 * ['seq', 'ch', 'sig', 'cum'].sort(compareKeys); // ['ch', 'cum', 'seq', 'sig']
 * ```
 */
export function compareKeys(a: string, b: string): number {
  const x = utf8ToBytes(a);
  const y = utf8ToBytes(b);
  const joined = new Uint8Array(x.length + y.length);
  joined.set(x);
  joined.set(y, x.length);
  return compareRanges(joined, 0, x.length, x.length, joined.length);
}
