/** Argument checks shared by the durable invoice stores (the memory store has its own). */
import { invoiceStoreKeyLengthMax } from '../limits.js';

/** Throws a titled `TypeError`/`RangeError` unless `markUsed(key, keepUntilMs)` was called correctly. */
export function checkMarkUsedArguments(key: unknown, keepUntilMs: unknown): void {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError('key: expected a non-empty string');
  if (key.length > invoiceStoreKeyLengthMax) {
    throw new RangeError(`key: expected at most ${invoiceStoreKeyLengthMax} characters`);
  }
  if (!Number.isSafeInteger(keepUntilMs)) throw new TypeError('keepUntilMs: expected integer milliseconds');
}

/** Throws unless `value` is a positive safe integer. */
export function checkPositiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name}: expected a positive integer`);
  return value;
}
