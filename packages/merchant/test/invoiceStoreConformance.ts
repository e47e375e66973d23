/**
 * One conformance suite for every {@link InvoiceStore} adapter (memory, SQLite, PostgreSQL):
 * the promises the merchant relies on, asserted the same way against each.
 */
import type { InvoiceId, PayeeId } from '@trickle/protocol';
import { type ManualClock, manualClock } from '@trickle/testing/harness';
import { afterAll, describe, expect, it } from 'vitest';
import { type InvoiceStore, invoiceKey } from '../src/index.js';
import { startMs } from './fixture.js';

/** A store under test, opened on a clock the suite moves; `close` releases it. */
export interface OpenedStore {
  readonly store: InvoiceStore;
  close(): Promise<void>;
}

/** Opens a fresh, empty store (its own file, schema or map) on `clock`. */
export type OpenStore = (clock: ManualClock) => Promise<OpenedStore>;

const payeeOf = (n: number) => new Uint8Array(32).fill(n) as PayeeId;
const invoiceOf = (n: number) => new Uint8Array(16).fill(n) as InvoiceId;

export function invoiceStoreConformance(name: string, open: OpenStore): void {
  describe(`InvoiceStore conformance: ${name}`, () => {
    const opened: OpenedStore[] = [];
    const fresh = async (clock = manualClock(startMs)) => {
      const store = await open(clock);
      opened.push(store);
      return { store: store.store, clock };
    };
    afterAll(async () => {
      await Promise.all(opened.map((o) => o.close()));
    });

    it("marks an invoice 'marked' once, then 'alreadyUsed'", async () => {
      const { store, clock } = await fresh();
      const key = invoiceKey(payeeOf(1), invoiceOf(1));
      expect(await store.markUsed(key, clock.nowMs() + 60_000)).toBe('marked');
      expect(await store.markUsed(key, clock.nowMs() + 60_000)).toBe('alreadyUsed');
      expect(await store.markUsed(key, clock.nowMs() + 120_000)).toBe('alreadyUsed');
    });

    it('keeps distinct payees and distinct invoices independent', async () => {
      const { store, clock } = await fresh();
      const keys = [
        invoiceKey(payeeOf(1), invoiceOf(1)),
        invoiceKey(payeeOf(2), invoiceOf(1)), // another merchant, the same invoice id
        invoiceKey(payeeOf(1), invoiceOf(2)), // the same merchant, another invoice
      ];
      for (const key of keys) expect(await store.markUsed(key, clock.nowMs() + 60_000)).toBe('marked');
      for (const key of keys) expect(await store.markUsed(key, clock.nowMs() + 60_000)).toBe('alreadyUsed');
    });

    it("answers exactly one of many concurrent markUsed on one key 'marked'", async () => {
      const { store, clock } = await fresh();
      const key = invoiceKey(payeeOf(3), invoiceOf(3));
      const results = await Promise.all(Array.from({ length: 64 }, () => store.markUsed(key, clock.nowMs() + 60_000)));
      expect(results.filter((r) => r === 'marked')).toHaveLength(1);
      expect(results.filter((r) => r === 'alreadyUsed')).toHaveLength(63);
    });

    it('marks many concurrent distinct keys, each once', async () => {
      const { store, clock } = await fresh();
      const keys = Array.from({ length: 100 }, (_, i) => invoiceKey(payeeOf(4), invoiceOf(i)));
      const first = await Promise.all(keys.map((key) => store.markUsed(key, clock.nowMs() + 60_000)));
      expect(first.every((r) => r === 'marked')).toBe(true);
      const second = await Promise.all(keys.map((key) => store.markUsed(key, clock.nowMs() + 60_000)));
      expect(second.every((r) => r === 'alreadyUsed')).toBe(true);
    });

    it('never forgets an invoice before its keep-until time, however many expire around it', async () => {
      const { store, clock } = await fresh(manualClock(startMs));
      const kept = invoiceKey(payeeOf(5), invoiceOf(255));
      expect(await store.markUsed(kept, startMs + 10_000)).toBe('marked');
      for (let i = 0; i < 600; i++) {
        expect(await store.markUsed(invoiceKey(payeeOf(5), invoiceOf(i % 255)) + i, clock.nowMs() + 10)).toBe('marked');
        clock.advance(10); // every earlier row has expired by now, and may be deleted
      }
      expect(clock.nowMs()).toBe(startMs + 6_000);
      expect(await store.markUsed(kept, startMs + 10_000)).toBe('alreadyUsed');
      clock.advance(3_999);
      expect(await store.markUsed(kept, startMs + 10_000)).toBe('alreadyUsed');
    });

    it('refuses misuse with titled errors, and marks nothing', async () => {
      const { store } = await fresh();
      await expect(store.markUsed('', 1)).rejects.toThrow(TypeError);
      await expect(store.markUsed(7 as unknown as string, 1)).rejects.toThrow(/key/);
      await expect(store.markUsed('k', 1.5)).rejects.toThrow(/keepUntilMs/);
      await expect(store.markUsed('k', Number.NaN)).rejects.toThrow(TypeError);
      expect(await store.markUsed('k', 1)).toBe('marked');
    });
  });
}
