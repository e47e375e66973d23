/**
 * Trickle inside the unmodified x402 packages from the registry: an Express server with
 * `@x402/express`'s `paymentMiddleware` and a Hono server with `@x402/hono`'s, each with the
 * Trickle scheme registered, paid by `@x402/fetch`'s `wrapFetchWithPayment` with the Trickle
 * client scheme, through a real hub and its SQLite ledger. 1,000 paid calls are each charged
 * once and the ledger pays the merchant their sum; a replayed payment header is refused; an
 * unpaid request gets x402's 402 with the Trickle entry in `accepts`.
 */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { decodePaymentRequest, http402Headers, readTrickleOffer } from '@trickle/protocol';
import { trickleEntryOf } from '@trickle/x402';
import { decodePaymentRequiredHeader, decodePaymentResponseHeader } from '@x402/core/http';
import type { x402ResourceServer } from '@x402/core/server';
import { paymentMiddleware as expressPaymentMiddleware } from '@x402/express';
import { wrapFetchWithPayment } from '@x402/fetch';
import { paymentMiddleware as honoPaymentMiddleware } from '@x402/hono';
import express from 'express';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listening,
  type RunningServer,
  startTrickleHub,
  type TrickleHub,
  trickleNetwork,
  weatherRoutes,
} from './setup.js';

/** Price of one call: 0.0001 USD = 100 minor units. */
const price = '0.0001';
const priceUnits = 100n;
const calls = 1_000;
/** Calls in flight at once: enough to overlap payments, few enough for a shared machine. */
const concurrency = 8;

type Framework = (
  server: x402ResourceServer,
  routes: ReturnType<typeof weatherRoutes>,
  served: () => void,
) => Promise<RunningServer>;

const frameworks: [string, Framework][] = [
  [
    '@x402/express',
    async (server, routes, served) => {
      const app = express();
      app.use(expressPaymentMiddleware(routes, server));
      app.get('/weather', (_req, res) => {
        served();
        res.json({ weather: 'sunny' });
      });
      app.get('/free', (_req, res) => res.json({ free: true }));
      return listening(app.listen(0, '127.0.0.1'));
    },
  ],
  [
    '@x402/hono',
    async (server, routes, served) => {
      const app = new Hono();
      app.use(honoPaymentMiddleware(routes, server));
      app.get('/weather', (c) => {
        served();
        return c.json({ weather: 'sunny' });
      });
      app.get('/free', (c) => c.json({ free: true }));
      return listening(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server);
    },
  ],
];

describe.each(frameworks)('Trickle through %s and @x402/fetch', (label, start) => {
  let trickle: TrickleHub;
  let running: RunningServer;
  let merchant: Awaited<ReturnType<TrickleHub['merchant']>>['merchant'];
  let servedCount = 0;

  beforeAll(async () => {
    trickle = await startTrickleHub();
    const made = await trickle.merchant();
    merchant = made.merchant;
    running = await start(made.server, weatherRoutes(merchant, price), () => servedCount++);
  });
  afterAll(async () => {
    await running?.close();
    await trickle?.close();
  });

  it('answers an unpaid request with x402 402 whose accepts holds the Trickle offer', async () => {
    const before = servedCount;
    const response = await fetch(`${running.baseUrl}/weather`);
    expect(response.status).toBe(402);
    const header = response.headers.get('PAYMENT-REQUIRED');
    expect(header).not.toBeNull();
    const required = decodePaymentRequiredHeader(header as string);
    expect(required.x402Version).toBe(2);
    expect(required.accepts).toHaveLength(1);
    const [entry] = required.accepts;
    expect(entry).toMatchObject({
      scheme: 'trickle',
      network: trickleNetwork,
      asset: 'USD',
      amount: priceUnits.toString(),
      payTo: Buffer.from(merchant.payee).toString('hex'),
      extra: { hubUrl: trickle.hub.url, resource: 'GET /weather', price: '0.0001 USD', paymentFlow: 'upfront' },
    });
    // Its invoice is the merchant's own, readable by any Trickle wallet once x402's keys are set aside.
    const offer = readTrickleOffer(trickleEntryOf(entry as never));
    expect(offer.request.amount).toBe(priceUnits);
    expect(decodePaymentRequest(offer.requirements.extra.paymentRequest).payee).toEqual(merchant.payee);
    expect(servedCount).toBe(before);
    // A free route is untouched.
    expect(await (await fetch(`${running.baseUrl}/free`)).json()).toEqual({ free: true });
  });

  it(`charges each of ${calls} paid calls once, and the ledger pays the merchant their sum`, async () => {
    const { wallet, client } = await trickle.wallet(`${label} payer`, 1_000_000n);
    const sent: string[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      const signature = request.headers.get(http402Headers.paymentSignature);
      if (signature !== null) sent.push(signature);
      return fetch(request);
    };
    const payingFetch = wrapFetchWithPayment(recordingFetch, client);
    const before = servedCount;
    const invoices = new Set<string>();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < calls) {
          next++;
          const response = await payingFetch(`${running.baseUrl}/weather`);
          expect(response.status).toBe(200);
          expect(await response.json()).toEqual({ weather: 'sunny' });
          const settled = decodePaymentResponseHeader(response.headers.get('PAYMENT-RESPONSE') as string);
          expect(settled).toMatchObject({ success: true, network: trickleNetwork, amount: priceUnits.toString() });
          invoices.add(settled.transaction);
        }
      }),
    );
    expect(servedCount - before).toBe(calls);
    expect(invoices.size).toBe(calls);
    expect(sent).toHaveLength(calls);
    const total = priceUnits * BigInt(calls);
    expect(wallet.balance()).toMatchObject({ spent: total, acknowledged: total });
    expect(wallet.history()).toHaveLength(calls);

    // A payment header sent again is refused by settle (the invoice is used) and serves nothing.
    const replayed = await fetch(`${running.baseUrl}/weather`, {
      headers: { [http402Headers.paymentSignature]: sent[0] as string },
    });
    expect(replayed.status).toBe(402);
    expect(decodePaymentResponseHeader(replayed.headers.get('PAYMENT-RESPONSE') as string)).toMatchObject({
      success: false,
      errorReason: 'INVOICE_USED',
    });
    expect(servedCount - before).toBe(calls);

    // The channel closes and settles on the hub's ledger: the merchant earned exactly the sum.
    const { refund } = await wallet.close();
    expect(refund).toBe(1_000_000n - total);
    expect(await trickle.earnings(merchant)).toBe(total);
  }, 300_000);
});
