/**
 * The PostgreSQL invoice store on the local server (a fresh schema per store, dropped after):
 * the conformance suite, a restart, real processes racing, and two merchants sharing it.
 */
import { http402Headers, type PaymentRequired, readTrickleOffer } from '@trickle/protocol';
import {
  counterRandom,
  dropSchema,
  manualClock,
  postgresQuery,
  postgresUrl,
  uniqueSchema,
} from '@trickle/testing/harness';
import { afterAll, describe, expect, it } from 'vitest';
import { createPaywall, createRequestFacts, type PaywallDecision } from '../src/index.js';
import { type PostgresInvoiceStore, postgresInvoiceStore } from '../src/stores/postgresInvoiceStore.js';
import { merchantFixture } from './fixture.js';
import { invoiceStoreConformance } from './invoiceStoreConformance.js';
import { raceProcesses } from './multiProcess.js';

const schemas: string[] = [];
const stores: PostgresInvoiceStore[] = [];
const freshSchema = () => {
  const schema = uniqueSchema('merchant_test');
  schemas.push(schema);
  return schema;
};
const open = async (options: Partial<Parameters<typeof postgresInvoiceStore>[0]> = {}) => {
  const store = await postgresInvoiceStore({ connectionString: postgresUrl, poolSize: 8, ...options });
  stores.push(store);
  return store;
};
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  for (const schema of schemas) await dropSchema(schema);
});

invoiceStoreConformance('postgres', async (clock) => {
  const store = await postgresInvoiceStore({
    connectionString: postgresUrl,
    schema: freshSchema(),
    poolSize: 8,
    clock,
  });
  return { store, close: () => store.close() };
});

describe('postgresInvoiceStore', () => {
  it('still refuses a redeemed invoice after a restart (a new pool on the same schema)', async () => {
    const schema = freshSchema();
    const before = await open({ schema });
    expect(await before.markUsed('payee:invoice', Date.now() + 60_000)).toBe('marked');
    await before.close();
    await before.close();
    await expect(before.markUsed('x', Date.now())).rejects.toMatchObject({ code: 'INVOICE_STORE_UNAVAILABLE' });
    const after = await open({ schema });
    expect(await after.markUsed('payee:invoice', Date.now() + 60_000)).toBe('alreadyUsed');
  });

  it('deletes expired rows a few per write, so a steady load stays bounded without a timer', async () => {
    const schema = freshSchema();
    const clock = manualClock(0);
    const store = await open({ schema, clock });
    for (let i = 0; i < 600; i++) {
      expect(await store.markUsed(`invoice-${i}`, clock.nowMs() + 100)).toBe('marked');
      clock.advance(1);
    }
    const { rows } = await postgresQuery(`SELECT count(*)::int AS n FROM ${schema}.trickle_used_invoices`);
    expect(rows[0].n).toBeGreaterThanOrEqual(100);
    expect(rows[0].n).toBeLessThanOrEqual(101);
  });

  it('reports an unreachable server as INVOICE_STORE_UNAVAILABLE, and refuses bad options', async () => {
    await expect(
      postgresInvoiceStore({ connectionString: 'postgres://postgres@127.0.0.1:1/test', schema: freshSchema() }),
    ).rejects.toMatchObject({ name: 'MerchantError', code: 'INVOICE_STORE_UNAVAILABLE' });
    await expect(postgresInvoiceStore({ connectionString: postgresUrl, schema: 'Bad-Schema' })).rejects.toThrow(
      RangeError,
    );
    await expect(postgresInvoiceStore({ connectionString: postgresUrl, poolSize: 0 })).rejects.toThrow(/poolSize/);
  });

  it('lets exactly one of three real processes redeem each invoice', async () => {
    const schema = freshSchema();
    const keys = 300;
    const results = await raceProcesses('postgres', `${postgresUrl}#${schema}`, 3, keys);
    for (let i = 0; i < keys; i++) {
      expect(results.map((r) => r[i]).filter((r) => r === 'marked')).toHaveLength(1);
    }
    expect(results.flat().filter((r) => r === 'alreadyUsed')).toHaveLength(2 * keys);
  }, 60_000);

  it('serves a paid retry at one merchant and refuses it INVOICE_USED at another sharing the store', async () => {
    const schema = freshSchema();
    const get = (headers: Record<string, string> = {}) => createRequestFacts('GET', 'https://shop.test/api', headers);
    const offerIn = (decision: PaywallDecision) => {
      if (decision.kind !== 'paymentRequired') throw new Error('expected a 402');
      return readTrickleOffer((decision.body as PaymentRequired).accepts[0]).requirements;
    };
    const east = merchantFixture({ invoiceStore: await open({ schema }), randomBytes: counterRandom(1) });
    const west = merchantFixture({ invoiceStore: await open({ schema }), randomBytes: counterRandom(2) });
    const eastPaywall = createPaywall(east.merchant, { price: '0.002', entitlement: false });
    const westPaywall = createPaywall(west.merchant, { price: '0.002', entitlement: false });
    const paid = { [http402Headers.paymentSignature]: east.pay(offerIn(await eastPaywall(get(), undefined))) };
    expect(await eastPaywall(get(paid), undefined)).toMatchObject({ kind: 'allowed', via: 'payment' });
    expect(await westPaywall(get(paid), undefined)).toMatchObject({ kind: 'paymentRequired', reason: 'INVOICE_USED' });
  });
});
