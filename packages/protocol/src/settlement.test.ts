import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AmountError, claimDelta, feeOf, type PaymentEntry, settle } from './index.js';

const payee = (n: number) => new Uint8Array(32).fill(n) as PaymentEntry['payee'];
const entry = (p: number, amount: bigint): PaymentEntry => ({
  payee: payee(p),
  invoiceId: new Uint8Array(16) as never,
  amount,
});

describe('settlement', () => {
  it('splits per payee with a floored fee and refunds the rest', () => {
    const result = settle(10_000n, [entry(1, 1_000n), entry(2, 333n), entry(1, 500n)], 25_000);
    expect(result.payees).toEqual([
      { payee: payee(1), gross: 1_500n, fee: 37n, net: 1_463n },
      { payee: payee(2), gross: 333n, fee: 8n, net: 325n },
    ]);
    expect(result).toMatchObject({ fee: 45n, paid: 1_833n, refund: 8_167n });
  });

  it('conserves the deposit exactly: nets + fees + refund = deposit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.bigInt({ min: 1n, max: 10n ** 12n })), { maxLength: 30 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (items, feePpm) => {
          const entries = items.map(([p, a]) => entry(p, a));
          const paid = entries.reduce((s, e) => s + e.amount, 0n);
          const result = settle(paid + 17n, entries, feePpm);
          const nets = result.payees.reduce((s, p) => s + p.net, 0n);
          expect(nets + result.fee + result.refund).toBe(paid + 17n);
          expect(result.refund).toBe(17n);
        },
      ),
    );
  });

  it('charges the same total fee however the payments are split into claims', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 10n ** 9n }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (amounts, feePpm) => {
          let gross = 0n;
          let fees = 0n;
          let nets = 0n;
          for (const amount of amounts) {
            const delta = claimDelta(gross, gross + amount, feePpm);
            gross += amount;
            fees += delta.fee;
            nets += delta.net;
            expect(delta.fee).toBeGreaterThanOrEqual(0n);
          }
          expect(fees).toBe(feeOf(gross, feePpm));
          expect(nets + fees).toBe(gross);
        },
      ),
    );
  });

  it('refuses payments above the deposit and fee rates outside 0..1,000,000 ppm', () => {
    expect(() => settle(5n, [entry(1, 6n)], 0)).toThrow(AmountError);
    expect(() => feeOf(1n, 1_000_001)).toThrow(RangeError);
    expect(() => feeOf(1n, 0.5)).toThrow(TypeError);
  });
});
