/**
 * Exact money: `bigint` minor units of an asset `{ code, scale }` (the Interledger
 * convention: USD with scale 6 means one unit is $0.000001). Never a float.
 */
import { describe } from './bytes.js';
import { AmountError } from './errors.js';
import { amountMax, assetCodeCharsMax, assetScaleMax } from './limits.js';

/**
 * An asset: an upper-case code (1-12 of A-Z and 0-9, starting with a letter) and a scale,
 * the number of decimal places of one minor unit (0-18).
 *
 * @example
 * ```ts
 * import type { Asset } from '@trickle/protocol';
 * const usd: Asset = { code: 'USD', scale: 6 }; // 1 unit = $0.000001
 * ```
 */
export interface Asset {
  readonly code: string;
  readonly scale: number;
}

const assetCodePattern = /^[A-Z][A-Z0-9]{0,11}$/;
const decimalPattern = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?(?: (\S+))?$/;

/**
 * Checks an asset: throws `TypeError` for wrong types and `RangeError` for a code or scale
 * outside the rules. Returns a frozen copy with exactly `code` and `scale`.
 *
 * @example
 * ```ts
 * import { asset } from '@trickle/protocol';
 * const usd = asset('USD', 6);
 * ```
 */
export function asset(code: string, scale: number): Asset {
  if (typeof code !== 'string') throw new TypeError(`asset.code: expected string, got ${describe(code)}`);
  if (!assetCodePattern.test(code) || code.length > assetCodeCharsMax) {
    throw new RangeError(`asset.code: expected 1-${assetCodeCharsMax} of A-Z0-9 starting with a letter, got "${code}"`);
  }
  if (typeof scale !== 'number' || !Number.isInteger(scale)) {
    throw new TypeError(`asset.scale: expected integer, got ${describe(scale)}`);
  }
  if (scale < 0 || scale > assetScaleMax) {
    throw new RangeError(`asset.scale: expected 0-${assetScaleMax}, got ${scale}`);
  }
  return Object.freeze({ code, scale });
}

/**
 * True when both assets have the same code and scale.
 *
 * @example
 * ```ts
 * import { sameAsset } from '@trickle/protocol';
 * sameAsset({ code: 'USD', scale: 6 }, { code: 'USD', scale: 2 }); // false
 * ```
 */
export function sameAsset(a: Asset, b: Asset): boolean {
  return a.code === b.code && a.scale === b.scale;
}

/**
 * Checks that `value` is an amount: a `bigint` in 0..2^63-1. Throws a titled `TypeError`
 * for a non-bigint (a `number` is always refused) and `AmountError('AMOUNT_RANGE')` when
 * out of range.
 *
 * @example
 * ```ts
 * import { assertAmount } from '@trickle/protocol';
 * assertAmount(500n, 'deposit');
 * ```
 */
export function assertAmount(value: unknown, title = 'amount'): bigint {
  if (typeof value !== 'bigint') {
    throw new TypeError(`${title}: expected bigint minor units, got ${describe(value)}`);
  }
  if (value < 0n || value > amountMax) {
    throw new AmountError('AMOUNT_RANGE', `${title}: ${value} is outside 0..2^63-1`);
  }
  return value;
}

/**
 * True when `value` is a bigint in 0..2^63-1.
 *
 * @example
 * ```ts
 * import { isAmount } from '@trickle/protocol';
 * isAmount(5n); // true
 * isAmount(5); // false: numbers are never amounts
 * ```
 */
export function isAmount(value: unknown): value is bigint {
  return typeof value === 'bigint' && value >= 0n && value <= amountMax;
}

/**
 * Checked addition: throws `AmountError('AMOUNT_OVERFLOW')` when the sum exceeds 2^63-1.
 *
 * @example
 * ```ts
 * import { addAmounts } from '@trickle/protocol';
 * addAmounts(2n, 3n); // 5n
 * ```
 */
export function addAmounts(a: bigint, b: bigint): bigint {
  assertAmount(a, 'addAmounts(a)');
  assertAmount(b, 'addAmounts(b)');
  const sum = a + b;
  if (sum > amountMax) throw new AmountError('AMOUNT_OVERFLOW', `${a} + ${b} exceeds 2^63-1`);
  return sum;
}

/**
 * Checked subtraction: throws `AmountError('AMOUNT_UNDERFLOW')` when `b > a`.
 *
 * @example
 * ```ts
 * import { subAmounts } from '@trickle/protocol';
 * subAmounts(5n, 3n); // 2n
 * ```
 */
export function subAmounts(a: bigint, b: bigint): bigint {
  assertAmount(a, 'subAmounts(a)');
  assertAmount(b, 'subAmounts(b)');
  if (b > a) throw new AmountError('AMOUNT_UNDERFLOW', `${a} - ${b} is negative`);
  return a - b;
}

/**
 * Checked sum of many amounts.
 *
 * @example
 * ```ts
 * import { sumAmounts } from '@trickle/protocol';
 * sumAmounts([1n, 2n, 3n]); // 6n
 * ```
 */
export function sumAmounts(values: Iterable<bigint>): bigint {
  let total = 0n;
  for (const value of values) total = addAmounts(total, value);
  return total;
}

/**
 * Parses a decimal string into minor units of `asset`, exactly. Accepts `"0.0005"` or
 * `"0.0005 USD"` (the code, when present, must match). Rejects signs, exponents, spaces
 * other than the single one before the code, leading zeros, and any non-zero digit beyond
 * the asset's scale (`AMOUNT_PRECISION`): what cannot be represented exactly is refused.
 *
 * @example
 * ```ts
 * import { parseAmount } from '@trickle/protocol';
 * parseAmount('0.0005 USD', { code: 'USD', scale: 6 }); // 500n
 * ```
 */
export function parseAmount(text: string, unitAsset: Asset): bigint {
  if (typeof text !== 'string') throw new TypeError(`amount: expected string, got ${describe(text)}`);
  asset(unitAsset.code, unitAsset.scale);
  const match = decimalPattern.exec(text);
  if (match === null) {
    throw new AmountError(
      'AMOUNT_SYNTAX',
      `"${text}" is not a decimal amount like "0.0005" or "0.0005 ${unitAsset.code}"`,
    );
  }
  const code = match[3];
  if (code !== undefined && code !== unitAsset.code) {
    throw new AmountError('ASSET_MISMATCH', `amount "${text}" is not in ${unitAsset.code}`);
  }
  const whole = match[1] as string;
  const fraction = match[2] ?? '';
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > unitAsset.scale) {
    throw new AmountError(
      'AMOUNT_PRECISION',
      `"${text}" has more than ${unitAsset.scale} decimal places, the scale of ${unitAsset.code}`,
    );
  }
  const units = BigInt(whole + significant.padEnd(unitAsset.scale, '0'));
  if (units > amountMax) throw new AmountError('AMOUNT_RANGE', `"${text}" exceeds the largest amount`);
  return units;
}

/** Options of {@link formatAmount}. */
export interface FormatAmountOptions {
  /** Append the asset code after a space. Default `false`. */
  readonly withCode?: boolean;
  /** Keep all `scale` decimals instead of trimming trailing zeros. Default `false`. */
  readonly fixed?: boolean;
}

/**
 * Formats minor units as a decimal string, exactly; the inverse of {@link parseAmount}.
 *
 * @example
 * ```ts
 * import { formatAmount } from '@trickle/protocol';
 * formatAmount(500n, { code: 'USD', scale: 6 }, { withCode: true }); // '0.0005 USD'
 * ```
 */
export function formatAmount(units: bigint, unitAsset: Asset, options: FormatAmountOptions = {}): string {
  assertAmount(units);
  asset(unitAsset.code, unitAsset.scale);
  const digits = units.toString().padStart(unitAsset.scale + 1, '0');
  const whole = digits.slice(0, digits.length - unitAsset.scale);
  let fraction = digits.slice(digits.length - unitAsset.scale);
  if (options.fixed !== true) fraction = fraction.replace(/0+$/, '');
  const number = fraction.length > 0 ? `${whole}.${fraction}` : whole;
  return options.withCode === true ? `${number} ${unitAsset.code}` : number;
}
