/** The hub's bounded cache of paid invoices (invoices.ts): what it holds, what it forgets, in order. */
import type { InvoiceId, PayeeId } from '@trickle/protocol';
import { describe, expect, it } from 'vitest';
import { createPaidInvoices } from '../src/invoices.js';

const payee = new Uint8Array(32).fill(7) as PayeeId;
const invoice = (n: number) => {
  const id = new Uint8Array(16);
  new DataView(id.buffer).setUint32(12, n);
  return id as InvoiceId;
};

describe('paid invoices cache', () => {
  it('refuses a bound that is not a positive integer', () => {
    expect(() => createPaidInvoices(0)).toThrow(RangeError);
    expect(() => createPaidInvoices(2.5)).toThrow(RangeError);
  });

  it('holds what was added, per payee, and an invoice added twice once', () => {
    const cache = createPaidInvoices(4);
    cache.add(payee, invoice(1));
    cache.add(payee, invoice(1));
    expect(cache.size).toBe(1);
    expect(cache.has(payee, invoice(1))).toBe(true);
    expect(cache.has(new Uint8Array(32).fill(8) as PayeeId, invoice(1))).toBe(false);
    expect(cache.has(payee, invoice(2))).toBe(false);
  });

  it('forgets the oldest first, exactly as a first-in first-out list would, through a history 30x its bound', () => {
    const max = 1_000;
    const cache = createPaidInvoices(max);
    const model: number[] = []; // oldest first
    for (let n = 0; n < 30_000; n++) {
      // Every fifth add repeats a recent invoice: held already, it changes nothing.
      const k = n % 5 === 4 ? n - 3 : n;
      cache.add(payee, invoice(k));
      if (!model.includes(k)) {
        model.push(k);
        if (model.length > max) model.shift();
      }
      if (n % 1_000 === 999) {
        expect(cache.size).toBe(model.length);
        for (const held of model) expect(cache.has(payee, invoice(held))).toBe(true);
        expect(cache.has(payee, invoice((model[0] as number) - 1))).toBe(false);
      }
    }
    expect(cache.size).toBe(max);
  });
});
