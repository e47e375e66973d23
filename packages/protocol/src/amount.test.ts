import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AmountError,
  addAmounts,
  amountMax,
  assertAmount,
  asset,
  formatAmount,
  parseAmount,
  subAmounts,
  sumAmounts,
} from './index.js';

const usd = asset('USD', 6);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof AmountError) return error.code;
    throw error;
  }
  return undefined;
}

describe('parseAmount', () => {
  it.each([
    ['0', 0n],
    ['0.0005', 500n],
    ['0.0005 USD', 500n],
    ['1', 1_000_000n],
    ['12.345678', 12_345_678n],
    ['0.000001', 1n],
    ['0.100000000', 100_000n],
    ['9223372036854.775807', amountMax],
  ])('parses %s exactly', (text, units) => {
    expect(parseAmount(text, usd)).toBe(units);
  });

  it.each([
    ['', 'AMOUNT_SYNTAX'],
    ['-1', 'AMOUNT_SYNTAX'],
    ['+1', 'AMOUNT_SYNTAX'],
    ['1e3', 'AMOUNT_SYNTAX'],
    ['.5', 'AMOUNT_SYNTAX'],
    ['5.', 'AMOUNT_SYNTAX'],
    ['01', 'AMOUNT_SYNTAX'],
    [' 1', 'AMOUNT_SYNTAX'],
    ['1,5', 'AMOUNT_SYNTAX'],
    ['NaN', 'AMOUNT_SYNTAX'],
    ['0.0000001', 'AMOUNT_PRECISION'],
    ['1 EUR', 'ASSET_MISMATCH'],
    ['1 usd', 'ASSET_MISMATCH'],
    ['1  USD', 'AMOUNT_SYNTAX'],
    ['1 USD ', 'AMOUNT_SYNTAX'],
    ['9223372036854.775808', 'AMOUNT_RANGE'],
    ['99999999999999999999', 'AMOUNT_RANGE'],
  ])('rejects %j with %s', (text, code) => {
    expect(codeOf(() => parseAmount(text, usd))).toBe(code);
  });

  it('refuses a non-string with a TypeError', () => {
    expect(() => parseAmount(5 as unknown as string, usd)).toThrow(TypeError);
  });
});

describe('formatAmount', () => {
  it('trims by default, keeps the scale with fixed, appends the code on request', () => {
    expect(formatAmount(500n, usd)).toBe('0.0005');
    expect(formatAmount(500n, usd, { fixed: true })).toBe('0.000500');
    expect(formatAmount(1_000_000n, usd, { withCode: true })).toBe('1 USD');
    expect(formatAmount(0n, usd)).toBe('0');
    expect(formatAmount(7n, asset('JPY', 0))).toBe('7');
  });

  it('refuses numbers and out-of-range bigints', () => {
    expect(() => formatAmount(1 as unknown as bigint, usd)).toThrow(TypeError);
    expect(codeOf(() => formatAmount(-1n, usd))).toBe('AMOUNT_RANGE');
    expect(codeOf(() => formatAmount(amountMax + 1n, usd))).toBe('AMOUNT_RANGE');
  });
});

describe('amount properties', () => {
  const anyAsset = fc.record({
    code: fc.constantFrom('USD', 'EUR', 'SAT', 'USDC', 'X1'),
    scale: fc.integer({ min: 0, max: 18 }),
  });
  const anyAmount = fc.bigInt({ min: 0n, max: amountMax });

  it('format then parse is the identity, with and without code and fixed scale', () => {
    fc.assert(
      fc.property(anyAsset, anyAmount, fc.boolean(), fc.boolean(), (a, units, withCode, fixed) => {
        const unit = asset(a.code, a.scale);
        expect(parseAmount(formatAmount(units, unit, { withCode, fixed }), unit)).toBe(units);
      }),
    );
  });

  it('parse then format is the identity on canonical decimal strings', () => {
    fc.assert(
      fc.property(anyAsset, anyAmount, (a, units) => {
        const unit = asset(a.code, a.scale);
        const text = formatAmount(units, unit);
        expect(formatAmount(parseAmount(text, unit), unit)).toBe(text);
      }),
    );
  });

  it('checked addition and subtraction are exact or throw typed errors', () => {
    fc.assert(
      fc.property(anyAmount, anyAmount, (a, b) => {
        if (a + b > amountMax) expect(codeOf(() => addAmounts(a, b))).toBe('AMOUNT_OVERFLOW');
        else expect(addAmounts(a, b)).toBe(a + b);
        if (b > a) expect(codeOf(() => subAmounts(a, b))).toBe('AMOUNT_UNDERFLOW');
        else expect(subAmounts(a, b)).toBe(a - b);
      }),
    );
  });

  it('handles the edges 0, 1, 2^53±1 and 2^63-1', () => {
    for (const units of [0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, amountMax]) {
      expect(parseAmount(formatAmount(units, usd), usd)).toBe(units);
      expect(assertAmount(units)).toBe(units);
    }
    expect(sumAmounts([1n, 2n, amountMax - 3n])).toBe(amountMax);
    expect(codeOf(() => sumAmounts([amountMax, 1n]))).toBe('AMOUNT_OVERFLOW');
  });
});

describe('asset', () => {
  it('accepts codes and scales by the rules and refuses the rest', () => {
    expect(asset('USDC', 6)).toEqual({ code: 'USDC', scale: 6 });
    expect(() => asset('usd', 2)).toThrow(RangeError);
    expect(() => asset('1USD', 2)).toThrow(RangeError);
    expect(() => asset('ABCDEFGHIJKLM', 2)).toThrow(RangeError);
    expect(() => asset('USD', 19)).toThrow(RangeError);
    expect(() => asset('USD', 1.5)).toThrow(TypeError);
  });
});
