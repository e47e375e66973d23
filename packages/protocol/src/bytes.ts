/**
 * Byte helpers: hex and base64url text, comparison, and big-endian integers.
 * Plain `Uint8Array` only, so the same code runs in browsers.
 */
import { base64urlnopad, hex } from '@scure/base';

/**
 * Checks that `value` is a `Uint8Array` (of `length` bytes when given).
 * Throws a titled `TypeError` for the wrong type and `RangeError` for the wrong size.
 *
 * @example
 * ```ts
 * import { assertBytes } from '@trickle/protocol';
 * assertBytes(new Uint8Array(32), 32, 'hubId');
 * ```
 */
export function assertBytes(value: unknown, length: number | undefined, title: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${title}: expected Uint8Array, got ${describe(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${title}: expected ${length} bytes, got ${value.length}`);
  }
  return value;
}

/** The global `TextDecoder` (every runtime has one; this package's types include no DOM). */
declare const TextDecoder: new () => { decode(bytes: Uint8Array): string };

const hexDigits = Array.from({ length: 16 }, (_, i) => '0123456789abcdef'.charCodeAt(i));
const hexDecoder = new TextDecoder();
let hexScratch = new Uint8Array(256);
/** Views of the scratch buffer by length, made once: a view per call would be garbage too. */
let hexViews: Uint8Array[] = [];

/**
 * Lowercase hex of `bytes`. On the wallet's and the hub's hot paths (every payment's
 * records), so the digits are written into one scratch buffer and decoded once: a string
 * built by `+=` per byte allocated ~1 KB of intermediate strings per 32-byte id (ADR 0206).
 *
 * @example
 * ```ts
 * import { toHex } from '@trickle/protocol';
 * toHex(new Uint8Array([1, 255])); // '01ff'
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  const length = 2 * bytes.length;
  if (hexScratch.length < length) {
    hexScratch = new Uint8Array(length);
    hexViews = [];
  }
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    hexScratch[2 * i] = hexDigits[b >> 4] as number;
    hexScratch[2 * i + 1] = hexDigits[b & 15] as number;
  }
  let view = hexViews[length];
  if (view === undefined) {
    view = hexScratch.subarray(0, length);
    hexViews[length] = view;
  }
  return hexDecoder.decode(view);
}

/**
 * Bytes from hex (either case, even length, no prefix). Throws `TypeError` on bad input;
 * with `length`, throws `RangeError` unless exactly that many bytes result.
 *
 * @example
 * ```ts
 * import { fromHex } from '@trickle/protocol';
 * fromHex('01ff'); // Uint8Array [1, 255]
 * ```
 */
export function fromHex(text: string, length?: number, title = 'hex'): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`${title}: expected string, got ${describe(text)}`);
  let bytes: Uint8Array;
  try {
    bytes = hex.decode(text.toLowerCase());
  } catch {
    throw new TypeError(`${title}: not valid hex`);
  }
  if (length !== undefined && bytes.length !== length) {
    throw new RangeError(`${title}: expected ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/**
 * base64url without padding (RFC 4648 section 5), safe in URLs and HTTP headers.
 *
 * @example
 * ```ts
 * import { toBase64url } from '@trickle/protocol';
 * toBase64url(new Uint8Array([251, 255])); // '-_8'
 * ```
 */
export function toBase64url(bytes: Uint8Array): string {
  return base64urlnopad.encode(bytes);
}

/**
 * Bytes from unpadded base64url. Throws `TypeError` on anything else.
 *
 * @example
 * ```ts
 * import { fromBase64url } from '@trickle/protocol';
 * fromBase64url('-_8'); // Uint8Array [251, 255]
 * ```
 */
export function fromBase64url(text: string, title = 'base64url'): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`${title}: expected string, got ${describe(text)}`);
  try {
    return base64urlnopad.decode(text);
  } catch {
    throw new TypeError(`${title}: not valid unpadded base64url`);
  }
}

/**
 * True when `a` and `b` hold the same bytes. Not constant-time: compare secrets with a
 * constant-time function (`crypto.timingSafeEqual` in Node, {@link equalBytesConstantTime}).
 *
 * @example
 * ```ts
 * import { equalBytes } from '@trickle/protocol';
 * equalBytes(new Uint8Array([1]), new Uint8Array([1])); // true
 * ```
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Compares two byte strings in time that depends only on their length: for MACs and
 * other secrets.
 *
 * @example
 * ```ts
 * import { equalBytesConstantTime } from '@trickle/protocol';
 * equalBytesConstantTime(new Uint8Array(32), new Uint8Array(32)); // true
 * ```
 */
export function equalBytesConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/**
 * Concatenates byte strings.
 *
 * @example
 * ```ts
 * import { concatBytes } from '@trickle/protocol';
 * concatBytes(new Uint8Array([1]), new Uint8Array([2])); // Uint8Array [1, 2]
 * ```
 */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * ASCII bytes of `text`; throws `RangeError` on a non-ASCII character.
 *
 * @example
 * ```ts
 * import { asciiBytes } from '@trickle/protocol';
 * asciiBytes('trickle').length; // 7
 * ```
 */
export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) throw new RangeError(`ascii: non-ASCII character at ${i}`);
    out[i] = c;
  }
  return out;
}

/**
 * Writes fixed binary layouts: big-endian integers and byte strings of known size.
 * Over-long writes are bugs and fail an assertion.
 *
 * @example
 * ```ts
 * import { ByteWriter } from '@trickle/protocol';
 * const w = new ByteWriter(12);
 * w.u32(1).u64(2n).finish(); // 12 bytes
 * ```
 */
export class ByteWriter {
  readonly #bytes: Uint8Array;
  #offset = 0;

  /**
   * @param length - The layout's exact length in bytes.
   * @param into - Write into the first `length` bytes of this buffer instead of a new one
   *   (`finish()` then returns a view of it): for bytes that are hashed and dropped at once.
   */
  constructor(length: number, into?: Uint8Array) {
    if (into === undefined) this.#bytes = new Uint8Array(length);
    else if (into.length < length) throw new RangeError(`layout: ${length} bytes do not fit in ${into.length}`);
    else this.#bytes = into.length === length ? into : into.subarray(0, length);
  }

  /** Asserts room for `length` more bytes: writing past the end is a bug. */
  #reserve(length: number): number {
    const at = this.#offset;
    if (at + length > this.#bytes.length) {
      throw new RangeError(`layout: writing ${length} bytes at ${at} overflows ${this.#bytes.length}`);
    }
    this.#offset = at + length;
    return at;
  }

  /** Appends one byte (0..255). */
  u8(value: number): this {
    this.#bytes[this.#reserve(1)] = value;
    return this;
  }

  /** Appends a big-endian u32. */
  u32(value: number): this {
    const at = this.#reserve(4);
    const v = value >>> 0;
    this.#bytes[at] = v >>> 24;
    this.#bytes[at + 1] = v >>> 16;
    this.#bytes[at + 2] = v >>> 8;
    this.#bytes[at + 3] = v;
    return this;
  }

  /** Appends a big-endian u64 (a bigint in 0..2^64-1, or a safe non-negative integer). */
  u64(value: bigint | number): this {
    const at = this.#reserve(8);
    u64Scratch.setBigUint64(0, BigInt(value));
    this.#bytes.set(u64ScratchBytes, at);
    return this;
  }

  /** Appends a fixed-size byte string; throws `RangeError` unless it is exactly `length` bytes. */
  bytes(value: Uint8Array, length: number, title: string): this {
    assertBytes(value, length, title);
    this.#bytes.set(value, this.#reserve(value.length));
    return this;
  }

  /** Returns the layout; it must be exactly full. */
  finish(): Uint8Array {
    if (this.#offset !== this.#bytes.length) {
      throw new RangeError(`layout: wrote ${this.#offset} of ${this.#bytes.length} bytes`);
    }
    return this.#bytes;
  }
}

// One DataView for every u64 write: creating a DataView per layout cost more than the write.
const u64ScratchBytes = new Uint8Array(8);
const u64Scratch = new DataView(u64ScratchBytes.buffer);

/**
 * A short description of a value's type for error messages (never its content).
 *
 * @example
 * ```ts
 * import { describe } from '@trickle/protocol';
 * describe(new Uint8Array(3)); // 'Uint8Array(3)'
 * ```
 */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (typeof value === 'object') return (value.constructor?.name as string | undefined) ?? 'object';
  return typeof value;
}

/**
 * Reads fixed binary layouts written by {@link ByteWriter}. Reading past the end throws
 * `RangeError`.
 *
 * @example
 * ```ts
 * import { ByteReader } from '@trickle/protocol';
 * const r = new ByteReader(new Uint8Array([0, 0, 0, 1]));
 * r.u32(); // 1
 * r.end(); // throws unless every byte was read
 * ```
 */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Reads one byte. */
  u8(): number {
    const value = this.#view.getUint8(this.#offset);
    this.#offset += 1;
    return value;
  }

  /** Reads a big-endian u32. */
  u32(): number {
    const value = this.#view.getUint32(this.#offset);
    this.#offset += 4;
    return value;
  }

  /** Reads a big-endian u64 as a bigint. */
  u64(): bigint {
    const value = this.#view.getBigUint64(this.#offset);
    this.#offset += 8;
    return value;
  }

  /** Reads `length` bytes (a copy). */
  bytes(length: number): Uint8Array {
    if (this.#offset + length > this.#bytes.length) throw new RangeError('layout: read past the end');
    const value = this.#bytes.slice(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  /** Throws `RangeError` unless every byte has been read. */
  end(): void {
    if (this.#offset !== this.#bytes.length) {
      throw new RangeError(`layout: ${this.#bytes.length - this.#offset} trailing bytes`);
    }
  }
}
