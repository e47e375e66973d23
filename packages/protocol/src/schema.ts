/**
 * A small strict schema language for wire messages. Each codec decodes one untrusted
 * value (exact keys, exact types, bounded lengths) into a typed value, and encodes the
 * typed value back to its wire shape. Wire keys are short; typed names are long.
 */
import { describe } from './bytes.js';
import { compareKeys } from './canonicalMsgpack.js';
import { FrameError } from './frameError.js';
import { amountMax, assetCodeCharsMax, assetScaleMax } from './limits.js';

export { FrameError } from './frameError.js';

/**
 * Where a value sits in a message, e.g. `pay.entries[3].amt`, for error messages; or
 * `undefined` on the fast path, which builds no strings: a failure there throws
 * {@link pathNeeded} and the caller decodes again with paths to report the fault.
 */
export type Path = string | undefined;

/** Decodes an untrusted value and encodes a typed one. */
export interface Codec<T> {
  decode(value: unknown, path: Path): T;
  encode(value: T): unknown;
}

/** Thrown on the fast path (no paths) instead of a FrameError: decode again with paths. */
export const pathNeeded: unique symbol = Symbol('trickle.schema.pathNeeded');

function fail(path: Path, reason: string): never {
  if (path === undefined) throw pathNeeded;
  throw new FrameError('MALFORMED_FRAME', path, reason);
}

/** `path` + `.key`, only when reporting. */
function child(path: Path, key: string): Path {
  return path === undefined ? undefined : `${path}.${key}`;
}

function identity<T>(value: T): unknown {
  return value;
}

/** An unsigned integer in min..max (the reader gives a number up to 2^53-1, a bigint above). */
export function uint(min: number, max: number): Codec<number> {
  return {
    decode(value, path) {
      let n: number;
      if (typeof value === 'number') n = value;
      else if (typeof value === 'bigint' && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER)) n = Number(value);
      else return fail(path, `expected integer, got ${describe(value)}`);
      if (!Number.isSafeInteger(n) || n < min || n > max) fail(path, `expected integer in ${min}..${max}`);
      return n;
    },
    encode: identity,
  };
}

/** An amount in minor units, min..2^63-1, decoded to bigint. */
export function amount(min = 0n): Codec<bigint> {
  return {
    decode(value, path) {
      let n: bigint;
      if (typeof value === 'bigint') n = value;
      else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
      else return fail(path, `expected integer amount, got ${describe(value)}`);
      if (n < min || n > amountMax) fail(path, `amount out of range ${min}..2^63-1`);
      return n;
    },
    encode: identity,
  };
}

/** A msgpack bin of exactly `length` bytes (or within min..max when given a range). */
export function bytes<T extends Uint8Array = Uint8Array>(min: number, max = min): Codec<T> {
  return {
    decode(value, path) {
      if (!(value instanceof Uint8Array)) fail(path, `expected bytes, got ${describe(value)}`);
      if (value.length < min || value.length > max) {
        fail(path, min === max ? `expected ${min} bytes, got ${value.length}` : `expected ${min}..${max} bytes`);
      }
      return value as T;
    },
    encode: identity,
  };
}

/** A UTF-8 string of at most `charsMax` characters. */
export function text(charsMax: number): Codec<string> {
  return {
    decode(value, path) {
      if (typeof value !== 'string') fail(path, `expected string, got ${describe(value)}`);
      if (value.length > charsMax) fail(path, `longer than ${charsMax} characters`);
      return value;
    },
    encode: identity,
  };
}

/** One of a fixed set of strings. */
export function oneOf<const T extends string>(...values: T[]): Codec<T> {
  return {
    decode(value, path) {
      if (typeof value !== 'string' || !(values as string[]).includes(value)) {
        fail(path, `expected one of ${values.join(', ')}`);
      }
      return value as T;
    },
    encode: identity,
  };
}

/** A boolean. */
export const boolean: Codec<boolean> = {
  decode(value, path) {
    if (typeof value !== 'boolean') fail(path, `expected boolean, got ${describe(value)}`);
    return value;
  },
  encode: identity,
};

/** An array of `min..max` items. */
export function arrayOf<T>(item: Codec<T>, min: number, max: number): Codec<T[]> {
  return {
    decode(value, path) {
      if (!Array.isArray(value)) fail(path, `expected array, got ${describe(value)}`);
      if (value.length < min || value.length > max) fail(path, `expected ${min}..${max} items, got ${value.length}`);
      const out: T[] = new Array(value.length);
      for (let i = 0; i < value.length; i++) {
        out[i] = item.decode(value[i], path === undefined ? undefined : `${path}[${i}]`);
      }
      return out;
    },
    encode: (values) => (item.encode === identity ? values : values.map((v) => item.encode(v))),
  };
}

/** A field of a record: its wire key, its codec, and whether it may be absent. */
export interface Field<T, Optional extends boolean> {
  readonly wire: string;
  readonly codec: Codec<T>;
  readonly optional: Optional;
}

/** A field that must be present. */
export function required<T>(wire: string, codec: Codec<T>): Field<T, false> {
  return { wire, codec, optional: false };
}

/** A field that may be absent (never `nil`: absent). */
export function optional<T>(wire: string, codec: Codec<T>): Field<T, true> {
  return { wire, codec, optional: true };
}

type AnyField = Field<unknown, boolean>;
type FieldType<F> = F extends Field<infer T, boolean> ? T : never;
type RequiredKeys<S> = { [K in keyof S]: S[K] extends Field<unknown, false> ? K : never }[keyof S];
type OptionalKeys<S> = { [K in keyof S]: S[K] extends Field<unknown, true> ? K : never }[keyof S];

/** The typed value a record schema decodes to. */
export type RecordOf<S> = { readonly [K in RequiredKeys<S>]: FieldType<S[K]> } & {
  readonly [K in OptionalKeys<S>]?: FieldType<S[K]>;
};

/** True for a plain object (msgpack map) and nothing else: no arrays, Maps, Dates, class instances. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A map with exactly the given keys (optional ones may be absent), no others.
 * `fixed` adds constant wire entries (the `t` discriminator) checked on decode and
 * written on encode, not part of the typed value. Encoding writes the keys in the
 * canonical order (sorted by their bytes, canonicalMsgpack.ts); decoding relies on the
 * canonical reader for order and uniqueness.
 */
export function record<S extends Record<string, AnyField>>(
  fields: S,
  fixed: Readonly<Record<string, string>> = {},
): Codec<RecordOf<S>> {
  const entries = Object.entries(fields);
  const fixedEntries = Object.entries(fixed);
  const wireKeys = new Set([...fixedEntries.map(([key]) => key), ...entries.map(([, f]) => f.wire)]);
  const plan = entries.map(([name, field]) => ({
    name,
    wire: field.wire,
    codec: field.codec,
    optional: field.optional,
  }));
  /** Every wire key in canonical order: a field (by its typed name) or a fixed value. */
  const encodePlan = [
    ...plan.map((field) => ({ wire: field.wire, field, fixedValue: undefined })),
    ...fixedEntries.map(([wire, fixedValue]) => ({ wire, field: undefined, fixedValue })),
  ].sort((a, b) => compareKeys(a.wire, b.wire));
  return {
    decode(value, path) {
      if (!isPlainObject(value)) fail(path, `expected map, got ${describe(value)}`);
      for (const key in value) {
        if (!wireKeys.has(key)) fail(path, `unexpected key "${key.slice(0, 32)}"`);
      }
      for (const [key, expected] of fixedEntries) {
        if (value[key] !== expected) fail(child(path, key), `expected "${expected}"`);
      }
      const out: Record<string, unknown> = {};
      for (const field of plan) {
        const raw = value[field.wire];
        if (raw === undefined && !Object.hasOwn(value, field.wire)) {
          if (field.optional) continue;
          fail(path, `missing key "${field.wire}"`);
        }
        out[field.name] = field.codec.decode(raw, child(path, field.wire));
      }
      return out as RecordOf<S>;
    },
    encode(typed) {
      const out: Record<string, unknown> = {};
      const source = typed as Record<string, unknown>;
      for (const { wire, field, fixedValue } of encodePlan) {
        if (field === undefined) {
          out[wire] = fixedValue;
          continue;
        }
        const v = source[field.name];
        if (v === undefined) {
          if (field.optional) continue;
          throw new TypeError(`encode ${field.name}: missing required field`);
        }
        // Most codecs encode as the identity: skip the (megamorphic) call for them.
        out[wire] = field.codec.encode === identity ? v : field.codec.encode(v);
      }
      return out;
    },
  };
}

/** An asset `{ code, scale }` checked by the asset rules. */
export const assetCodec: Codec<{ readonly code: string; readonly scale: number }> = (() => {
  const inner = record({
    code: required('code', text(assetCodeCharsMax)),
    scale: required('scale', uint(0, assetScaleMax)),
  });
  return {
    decode(value, path) {
      const decoded = inner.decode(value, path);
      if (!/^[A-Z][A-Z0-9]{0,11}$/.test(decoded.code))
        fail(child(path, 'code'), 'expected A-Z0-9 starting with a letter');
      return decoded;
    },
    encode: inner.encode,
  };
})();
