/**
 * The SQLite invoice store: the conformance suite, then what only a durable store promises:
 * a used invoice stays used across a restart, across connections and across real processes
 * racing on one file, and through the merchant core with two merchants sharing the file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http402Headers, type PaymentRequired, readTrickleOffer } from '@trickle/protocol';
import { counterRandom, manualClock } from '@trickle/testing/harness';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createPaywall, createRequestFacts, MerchantError, type PaywallDecision } from '../src/index.js';
import { type SqliteInvoiceStore, sqliteInvoiceStore } from '../src/stores/sqliteInvoiceStore.js';
import { merchantFixture, startMs } from './fixture.js';
import { invoiceStoreConformance } from './invoiceStoreConformance.js';
import { raceProcesses } from './multiProcess.js';

const dir = mkdtempSync(join(tmpdir(), 'trickle-invoices-'));
let files = 0;
const freshPath = () => join(dir, `invoices-${++files}.db`);
const stores: SqliteInvoiceStore[] = [];
const open = (options: Parameters<typeof sqliteInvoiceStore>[0]) => {
  const store = sqliteInvoiceStore(options);
  stores.push(store);
  return store;
};
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

invoiceStoreConformance('sqlite', async (clock) => {
  const store = sqliteInvoiceStore({ path: freshPath(), clock });
  return { store, close: () => store.close() };
});

describe('sqliteInvoiceStore', () => {
  it('still refuses a redeemed invoice after a restart (a new store on the same file)', async () => {
    const path = freshPath();
    const clock = manualClock(startMs);
    const before = open({ path, clock });
    expect(await before.markUsed('payee:invoice', clock.nowMs() + 60_000)).toBe('marked');
    await before.close();
    const after = open({ path, clock });
    expect(await after.markUsed('payee:invoice', clock.nowMs() + 60_000)).toBe('alreadyUsed');
    expect(after.size()).toBe(1);
  });

  it('opens the file in WAL mode, with its schema recorded in a table of its own', () => {
    const path = freshPath();
    open({ path });
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(db.prepare('SELECT version FROM trickle_merchant_schema').pluck().all()).toEqual([1]);
    db.close();
  });

  it('lets two connections to one file redeem each invoice once', async () => {
    const path = freshPath();
    const a = open({ path });
    const b = open({ path });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).markUsed(`k${i >> 1}`, Date.now() + 60_000)),
    );
    expect(results.filter((r) => r === 'marked')).toHaveLength(100);
    expect(a.size()).toBe(100);
    expect(b.size()).toBe(100);
  });

  it('deletes expired rows a few per write, so a steady load stays bounded without a timer', async () => {
    const clock = manualClock(0);
    const store = open({ path: freshPath(), clock, entriesMax: 1_000 });
    for (let i = 0; i < 5_000; i++) {
      expect(await store.markUsed(`invoice-${i}`, clock.nowMs() + 100)).toBe('marked');
      clock.advance(1);
    }
    // 100 rows are unexpired at any time; at most a few expired ones wait for deletion.
    expect(store.size()).toBeLessThanOrEqual(101);
    expect(store.size()).toBeGreaterThanOrEqual(100);
  });

  it('refuses a new invoice when full of unexpired ones rather than forget one', async () => {
    const clock = manualClock(0);
    const store = open({ path: freshPath(), clock, entriesMax: 3 });
    for (const key of ['a', 'b', 'c']) expect(await store.markUsed(key, 100)).toBe('marked');
    await expect(store.markUsed('d', 100)).rejects.toMatchObject({ code: 'INVOICE_STORE_FULL' });
    await expect(store.markUsed('d', 100)).rejects.toBeInstanceOf(MerchantError);
    expect(await store.markUsed('a', 100)).toBe('alreadyUsed'); // a repeat is still a refusal, not an error
    expect(store.size()).toBe(3);
    clock.advance(100);
    expect(await store.markUsed('d', 200)).toBe('marked');
    expect(store.size()).toBe(1);
  });

  it('reports I/O failures and a closed store as INVOICE_STORE_UNAVAILABLE', async () => {
    expect(() => sqliteInvoiceStore({ path: join(dir, 'missing', 'dir', 'x.db') })).toThrow(
      expect.objectContaining({ name: 'MerchantError', code: 'INVOICE_STORE_UNAVAILABLE' }),
    );
    const store = open({ path: freshPath() });
    await store.close();
    await store.close();
    await expect(store.markUsed('k', Date.now())).rejects.toMatchObject({ code: 'INVOICE_STORE_UNAVAILABLE' });
  });

  it('reports a write lock held past busyTimeoutMs as INVOICE_STORE_UNAVAILABLE, and marks nothing', async () => {
    const path = freshPath();
    const store = open({ path, busyTimeoutMs: 50 });
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    await expect(store.markUsed('k', Date.now() + 60_000)).rejects.toMatchObject({
      code: 'INVOICE_STORE_UNAVAILABLE',
      details: expect.stringContaining('SQLITE_BUSY'),
    });
    other.exec('ROLLBACK');
    other.close();
    expect(await store.markUsed('k', Date.now() + 60_000)).toBe('marked');
  });

  it('refuses bad options with titled errors', async () => {
    expect(() => sqliteInvoiceStore({ path: '' })).toThrow(TypeError);
    expect(() => sqliteInvoiceStore({ path: freshPath(), entriesMax: 0 })).toThrow(RangeError);
    expect(() => sqliteInvoiceStore({ path: freshPath(), busyTimeoutMs: -1 })).toThrow(/busyTimeoutMs/);
    await expect(open({ path: freshPath() }).markUsed('x'.repeat(257), 1)).rejects.toThrow(RangeError);
  });

  it('lets exactly one of three real processes redeem each invoice of one file', async () => {
    const path = freshPath();
    open({ path }).size(); // create the schema first, as a deployment's first process does
    const keys = 300;
    const results = await raceProcesses('sqlite', path, 3, keys);
    for (let i = 0; i < keys; i++) {
      expect(results.map((r) => r[i]).filter((r) => r === 'marked')).toHaveLength(1);
    }
    expect(results.flat().filter((r) => r === 'alreadyUsed')).toHaveLength(2 * keys);
  }, 60_000);

  it('lets real processes that open a fresh file at the same time create it once', async () => {
    const results = await raceProcesses('sqlite', freshPath(), 3, 50);
    for (let i = 0; i < 50; i++) expect(results.map((r) => r[i]).filter((r) => r === 'marked')).toHaveLength(1);
  }, 60_000);
});

describe('two merchants sharing one SQLite invoice store', () => {
  const get = (path: string, headers: Record<string, string> = {}) =>
    createRequestFacts('GET', `https://shop.test${path}`, headers);
  const offerIn = (decision: PaywallDecision) => {
    if (decision.kind !== 'paymentRequired') throw new Error('expected a 402');
    return readTrickleOffer((decision.body as PaymentRequired).accepts[0]).requirements;
  };

  it('serves a paid retry at one and refuses the same retry INVOICE_USED at the other, and after a restart', async () => {
    const path = freshPath();
    const east = merchantFixture({ invoiceStore: open({ path }), randomBytes: counterRandom(1) });
    const west = merchantFixture({ invoiceStore: open({ path }), randomBytes: counterRandom(2) });
    const eastPaywall = createPaywall(east.merchant, { price: '0.002', entitlement: false });
    const westPaywall = createPaywall(west.merchant, { price: '0.002', entitlement: false });
    const paid = { [http402Headers.paymentSignature]: east.pay(offerIn(await eastPaywall(get('/api'), undefined))) };

    expect(await eastPaywall(get('/api', paid), undefined)).toMatchObject({ kind: 'allowed', via: 'payment' });
    expect(await westPaywall(get('/api', paid), undefined)).toMatchObject({
      kind: 'paymentRequired',
      reason: 'INVOICE_USED',
    });

    // A third merchant process started later, on the same file.
    const later = merchantFixture({ invoiceStore: open({ path }), randomBytes: counterRandom(3) });
    const laterPaywall = createPaywall(later.merchant, { price: '0.002', entitlement: false });
    expect(await laterPaywall(get('/api', paid), undefined)).toMatchObject({ reason: 'INVOICE_USED' });

    // Control: with memory stores (the default), the second merchant would serve it again.
    const memoryEast = merchantFixture({ randomBytes: counterRandom(1) });
    const memoryWest = merchantFixture({ randomBytes: counterRandom(2) });
    const twice = {
      [http402Headers.paymentSignature]: memoryEast.pay(offerIn(await eastPaywall(get('/api'), undefined))),
    };
    expect((await createPaywall(memoryEast.merchant, { price: '0.002' })(get('/api', twice), undefined)).kind).toBe(
      'allowed',
    );
    expect((await createPaywall(memoryWest.merchant, { price: '0.002' })(get('/api', twice), undefined)).kind).toBe(
      'allowed',
    );
  });

  it('serves exactly one of the same paid retry sent to both at once', async () => {
    const path = freshPath();
    const east = merchantFixture({ invoiceStore: open({ path }), randomBytes: counterRandom(4) });
    const west = merchantFixture({ invoiceStore: open({ path }), randomBytes: counterRandom(5) });
    const paywalls = [east, west].map((f) => createPaywall(f.merchant, { price: '0.002', entitlement: false }));
    const offers = await Promise.all(Array.from({ length: 20 }, () => paywalls[0]!(get('/api'), undefined)));
    const retries = offers.map((decision) => ({ [http402Headers.paymentSignature]: east.pay(offerIn(decision)) }));
    const decisions = await Promise.all(
      retries.flatMap((headers) => paywalls.map((paywall) => paywall(get('/api', headers), undefined))),
    );
    for (let i = 0; i < retries.length; i++) {
      const pair = decisions.slice(2 * i, 2 * i + 2).map((d) => d.kind);
      expect(pair.sort()).toEqual(['allowed', 'paymentRequired']);
    }
  });
});
