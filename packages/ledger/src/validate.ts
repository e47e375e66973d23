/**
 * Checks of caller input: a wrong type throws a titled `TypeError`, a wrong size or range
 * a `RangeError`, before anything touches the store (docs/errors.md, errors of kind 2).
 */
import { type Asset, assertAmount, asset as checkAsset, describe, timeMsMax } from '@trickle/protocol';

const idPattern = /^[A-Za-z0-9:/_.-]+$/;

/** Checks a caller-chosen id: 1..`charsMax` of `A-Z a-z 0-9 : / _ . -`. */
export function assertId(value: unknown, charsMax: number, title: string): string {
  if (typeof value !== 'string') throw new TypeError(`${title}: expected string, got ${describe(value)}`);
  if (value.length < 1 || value.length > charsMax || !idPattern.test(value)) {
    throw new RangeError(`${title}: expected 1-${charsMax} of A-Z a-z 0-9 : / _ . -, got "${value.slice(0, 40)}"`);
  }
  return value;
}

/** Checks optional free text: absent, or 1..`charsMax` characters. Returns it or null. */
export function optionalText(value: unknown, charsMax: number, title: string): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string') throw new TypeError(`${title}: expected string, got ${describe(value)}`);
  if (value.length < 1 || value.length > charsMax) throw new RangeError(`${title}: expected 1-${charsMax} characters`);
  return value;
}

/** Checks an integer in `min..max` (a u16 code, a count, a duration). */
export function assertInteger(value: unknown, min: number, max: number, title: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(`${title}: expected an integer, got ${describe(value)}`);
  }
  if (value < min || value > max) throw new RangeError(`${title}: expected ${min}..${max}, got ${value}`);
  return value;
}

/** Checks a Unix time in ms. */
export function assertTimeMs(value: unknown, title: string): number {
  return assertInteger(value, 0, timeMsMax, title);
}

/** Checks an amount (bigint 0..2^63-1). */
export function checkAmount(value: unknown, title: string): bigint {
  return assertAmount(value, title);
}

/** Checks an asset and returns a plain copy. */
export function checkedAsset(value: Asset, title = 'asset'): Asset {
  if (typeof value !== 'object' || value === null) throw new TypeError(`${title}: expected { code, scale }`);
  return checkAsset(value.code, value.scale);
}

/** Checks an array of at most `max` items. */
export function assertBatch<T>(value: readonly T[], max: number, title: string): readonly T[] {
  if (!Array.isArray(value)) throw new TypeError(`${title}: expected an array, got ${describe(value)}`);
  if (value.length > max) throw new RangeError(`${title}: at most ${max} items, got ${value.length}`);
  return value;
}

/** Checks a boolean flag that may be absent. */
export function optionalFlag(value: unknown, title: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new TypeError(`${title}: expected boolean, got ${describe(value)}`);
  return value;
}
