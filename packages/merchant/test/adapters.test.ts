/**
 * Every adapter against a real server of its framework: the whole merchant side of issue 5,
 * over real sockets with the global fetch. The clock is injected; nothing here asserts time.
 */

import { request as httpRequest } from 'node:http';
import {
  createPaymentRequest,
  createTricklePaymentPayload,
  createTrickleRequirements,
  decodeEntitlement,
  decodePaymentRequiredHeader,
  decodePaymentResponseHeader,
  encodePaymentSignatureHeader,
  formatEntitlementHeader,
  http402Headers,
  type MerchantKey,
  type PaymentRequired,
  payeeIdFromKey,
  publicKeyOf,
  readTrickleOffer,
  type TricklePaymentRequirements,
  toHex,
} from '@trickle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entitlementTtlMsDefault, invoiceTtlMsDefault, paidRetryGraceMsDefault } from '../src/index.js';
import { merchantFixture, testKey } from './fixture.js';
import { type Framework, frameworks, type RunningServer, startServer } from './servers.js';

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  const json = response.headers.get('content-type')?.includes('json') === true;
  return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : text };
}

/** A GET with the request-target sent exactly as given (fetch would resolve dot segments first). */
function callRaw(url: string, target: string, headers: Record<string, string> = {}): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: hostname, port, path: target, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => {
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
            answerHeaders.append(name, item);
          }
        }
        const json = answerHeaders.get('content-type')?.includes('json') === true;
        resolve({ status: response.statusCode ?? 0, headers: answerHeaders, body: json ? JSON.parse(text) : text });
      });
    });
    request.on('error', reject);
    request.end();
  });
}

function offerOf(answer: Answer): TricklePaymentRequirements {
  const body = answer.body as PaymentRequired;
  const [entry] = body.accepts;
  return readTrickleOffer(entry).requirements;
}

function refusalOf(answer: Answer): string | undefined {
  const header = answer.headers.get(http402Headers.paymentResponse);
  return header === null ? undefined : decodePaymentResponseHeader(header).errorReason;
}

describe.each(frameworks)('%s adapter on a real server', (framework: Framework) => {
  let f: ReturnType<typeof merchantFixture>;
  let server: RunningServer;
  const url = (path: string) => `${server.baseUrl}${path}`;
  const withPayment = (header: string): RequestInit => ({ headers: { [http402Headers.paymentSignature]: header } });

  beforeEach(async () => {
    f = merchantFixture();
    server = await startServer(framework, f.merchant);
  });
  afterEach(async () => {
    await server.close();
  });

  it('answers an unpaid request with 402 and x402-shaped payment requirements', async () => {
    const answer = await call(url('/articles/42'));
    expect(answer.status).toBe(402);
    const body = answer.body as PaymentRequired;
    expect(body).toMatchObject({
      x402Version: 2,
      resource: { url: url('/articles/42'), description: 'One article', mimeType: 'application/json' },
    });
    expect(body.error).toBeUndefined();
    expect(body.accepts).toHaveLength(1);
    expect(body.accepts[0]).toMatchObject({
      scheme: 'trickle',
      network: 'trickle:7',
      amount: '2000',
      asset: 'USD',
      payTo: toHex(payeeIdFromKey(publicKeyOf(testKey('merchant')))),
      maxTimeoutSeconds: invoiceTtlMsDefault / 1000,
      extra: {
        hubUrl: 'ws://127.0.0.1:1/hub',
        hubId: toHex(f.hub.hubId),
        assetScale: 6,
        price: '0.002 USD',
        resource: 'GET /articles/42',
        expiresAtMs: f.clock.nowMs() + invoiceTtlMsDefault,
      },
    });
    // The header carries the same object as the body, and the offer restates its token.
    const header = answer.headers.get(http402Headers.paymentRequired);
    expect(header).not.toBeNull();
    expect(decodePaymentRequiredHeader(header ?? '')).toEqual(body);
    const { request } = readTrickleOffer(body.accepts[0]);
    expect(request.amount).toBe(2000n);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('access-control-expose-headers')).toContain('PAYMENT-REQUIRED');
  });

  it('serves a paid retry with 200, a payment response and an entitlement', async () => {
    const offer = offerOf(await call(url('/articles/42')));
    const answer = await call(url('/articles/42'), withPayment(f.pay(offer)));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ article: '42', via: 'payment' });
    const settlement = decodePaymentResponseHeader(answer.headers.get(http402Headers.paymentResponse) ?? '');
    expect(settlement).toEqual({
      success: true,
      transaction: toHex(readTrickleOffer(offer).request.invoiceId),
      network: 'trickle:7',
      payer: toHex(f.hub.channelId),
    });
    const token = answer.headers.get(http402Headers.entitlement) ?? '';
    const entitlement = decodeEntitlement(token);
    expect(entitlement.expiresAtMs).toBe(f.clock.nowMs() + entitlementTtlMsDefault);
    const cookies = answer.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(
      new RegExp(`^trickle_entitlement=${token}; Path=/articles/42; Max-Age=\\d+; HttpOnly; SameSite=Lax$`),
    );
    expect(answer.headers.get('cache-control')).toBe('private');
  });

  it('refuses a second use of the same invoice', async () => {
    const offer = offerOf(await call(url('/articles/42')));
    const header = f.pay(offer);
    expect((await call(url('/articles/42'), withPayment(header))).status).toBe(200);
    const again = await call(url('/articles/42'), withPayment(header));
    expect(again.status).toBe(402);
    expect(refusalOf(again)).toBe('INVOICE_USED');
    expect((again.body as PaymentRequired).error).toBe('INVOICE_USED');
    // The refusal comes with a fresh offer the client may pay instead.
    expect(offerOf(again).extra.paymentRequest).not.toBe(offer.extra.paymentRequest);
  });

  it('serves exactly one of two concurrent retries with the same receipt', async () => {
    const header = f.pay(offerOf(await call(url('/articles/42'))));
    const answers = await Promise.all([1, 2, 3].map(() => call(url('/articles/42'), withPayment(header))));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 402, 402]);
  });

  it('refuses an invoice bought for another resource', async () => {
    const header = f.pay(offerOf(await call(url('/articles/1'))));
    const answer = await call(url('/articles/2'), withPayment(header));
    expect(answer.status).toBe(402);
    expect(refusalOf(answer)).toBe('WRONG_RESOURCE');
  });

  it('binds an invoice to the path the server routed, so a cheap route never sells a dear resource', async () => {
    // Dot segments that URL parsing resolves to /articles/42, in a target the server routes as it came.
    for (const target of ['/cheap/%2e%2e/articles/42', '/cheap/../articles/42', '/cheap/.%2E/articles/42']) {
      const offer = offerOf(await callRaw(url('/'), target));
      const paid = await callRaw(url('/'), target, { [http402Headers.paymentSignature]: f.pay(offer) });
      expect(paid.status).toBe(200);
      const token = paid.headers.get(http402Headers.entitlement) ?? '';
      const article = await call(url('/articles/42'), { headers: { [http402Headers.entitlement]: token } });
      if ((paid.body as { cheap?: boolean }).cheap === true) {
        // Sold at the cheap route's price: what it sold must not be the article.
        expect(offer.amount).toBe('100');
        expect(offer.extra.resource).not.toBe('GET /articles/42');
        expect(article.status).toBe(402);
        expect(refusalOf(article)).toBe('ENTITLEMENT_INVALID');
      } else {
        // A server that resolves the path before routing (Hono) sells the article, at its price.
        expect(offer.amount).toBe('2000');
        expect(article.status).toBe(200);
      }
    }
  });

  it('honours a paid retry inside the grace, refuses one after it', async () => {
    const late = f.pay(offerOf(await call(url('/articles/1'))));
    const tooLate = f.pay(offerOf(await call(url('/articles/2'))));
    f.clock.advance(invoiceTtlMsDefault + paidRetryGraceMsDefault - 1);
    expect((await call(url('/articles/1'), withPayment(late))).status).toBe(200);
    f.clock.advance(1);
    const answer = await call(url('/articles/2'), withPayment(tooLate));
    expect(answer.status).toBe(402);
    expect(refusalOf(answer)).toBe('INVOICE_EXPIRED');
  });

  it('refuses a receipt whose MAC is forged', async () => {
    const forgedKey = f.hub.macKey.map((b) => b ^ 0x55) as MerchantKey;
    const header = f.pay(offerOf(await call(url('/articles/42'))), {}, forgedKey);
    const answer = await call(url('/articles/42'), withPayment(header));
    expect(answer.status).toBe(402);
    expect(refusalOf(answer)).toBe('RECEIPT_INVALID');
  });

  it('refuses a receipt for another payee or another amount', async () => {
    const otherPayee = payeeIdFromKey(publicKeyOf(testKey('another merchant')));
    const forPayee = f.pay(offerOf(await call(url('/articles/42'))), { payee: otherPayee });
    const forAmount = f.pay(offerOf(await call(url('/articles/42'))), { amount: 1n });
    for (const header of [forPayee, forAmount]) {
      const answer = await call(url('/articles/42'), withPayment(header));
      expect(answer.status).toBe(402);
      expect(refusalOf(answer)).toBe('RECEIPT_MISMATCH');
    }
  });

  it('refuses a payment request the merchant did not make', async () => {
    const offer = offerOf(await call(url('/articles/42')));
    const { request } = readTrickleOffer(offer);
    const forged = createPaymentRequest(f.hub.macKey.map((b) => b ^ 1) as MerchantKey, { ...request, amount: 1n });
    const accepted = createTrickleRequirements({
      request: forged,
      resource: 'GET /articles/42',
      hubUrl: offer.extra.hubUrl,
      nowMs: f.clock.nowMs(),
    });
    const receipt = f.hub.receiptFor(forged);
    const header = encodePaymentSignatureHeader(createTricklePaymentPayload({ accepted, receipt }));
    const answer = await call(url('/articles/42'), withPayment(header));
    expect(answer.status).toBe(402);
    expect(refusalOf(answer)).toBe('REQUEST_INVALID');
  });

  it('serves no retry whose echoed offer was altered, even with a genuine receipt for the offer its token names', async () => {
    const cheap = offerOf(await call(url('/articles/42')));
    const other = offerOf(await call(url('/articles/1')));
    const receipt = f.hub.receiptFor(readTrickleOffer(cheap).request);
    // Another offer's fields around this offer's token and its genuine receipt; then one field changed.
    const echoes: TricklePaymentRequirements[] = [
      { ...other, extra: { ...other.extra, paymentRequest: cheap.extra.paymentRequest } },
      { ...cheap, amount: '999999', extra: { ...cheap.extra, price: '0.999999 USD' } },
    ];
    for (const accepted of echoes) {
      const header = encodePaymentSignatureHeader(createTricklePaymentPayload({ accepted, receipt }));
      const answer = await call(url('/articles/42'), withPayment(header));
      expect(answer.status).toBe(402);
      expect(refusalOf(answer)).toBe('MALFORMED_PAYMENT');
    }
    // The honest echo with the same receipt is served.
    const honest = encodePaymentSignatureHeader(createTricklePaymentPayload({ accepted: cheap, receipt }));
    expect((await call(url('/articles/42'), withPayment(honest))).status).toBe(200);
  });

  it('refuses a malformed payment header with a typed reason', async () => {
    for (const junk of ['', 'junk', btoa('{}'), btoa('{"x402Version":2,"accepted":{"scheme":"exact"},"payload":{}}')]) {
      const answer = await call(url('/articles/42'), withPayment(junk));
      expect(answer.status).toBe(402);
      expect(['MALFORMED_PAYMENT', 'UNSUPPORTED_SCHEME']).toContain(refusalOf(answer));
    }
  });

  it('lets an entitlement read again without paying, on another device, until it expires', async () => {
    const paid = await call(url('/articles/42'), withPayment(f.pay(offerOf(await call(url('/articles/42'))))));
    const token = paid.headers.get(http402Headers.entitlement) ?? '';
    // Another device: a fresh client holding only the token, as a header or as a cookie.
    const byHeader = await call(url('/articles/42'), { headers: { [http402Headers.entitlement]: token } });
    expect(byHeader.status).toBe(200);
    expect(byHeader.body).toEqual({ article: '42', via: 'entitlement' });
    expect(byHeader.headers.get(http402Headers.paymentResponse)).toBeNull();
    const byCookie = await call(url('/articles/42'), {
      headers: { cookie: `theme=dark; trickle_entitlement=${token}` },
    });
    expect(byCookie.status).toBe(200);
    // Not for another article.
    const elsewhere = await call(url('/articles/43'), { headers: { [http402Headers.entitlement]: token } });
    expect(elsewhere.status).toBe(402);
    expect(refusalOf(elsewhere)).toBe('ENTITLEMENT_INVALID');
    // Until it expires.
    f.clock.advance(entitlementTtlMsDefault - 1);
    expect((await call(url('/articles/42'), { headers: { [http402Headers.entitlement]: token } })).status).toBe(200);
    f.clock.advance(1);
    const expired = await call(url('/articles/42'), { headers: { [http402Headers.entitlement]: token } });
    expect(expired.status).toBe(402);
    expect(refusalOf(expired)).toBe('ENTITLEMENT_EXPIRED');
  });

  it('refuses a tampered entitlement', async () => {
    const paid = await call(url('/articles/42'), withPayment(f.pay(offerOf(await call(url('/articles/42'))))));
    const token = paid.headers.get(http402Headers.entitlement) ?? '';
    // Change one signed character (the expiry region) and one signature character.
    const flip = (text: string, at: number) =>
      `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
    for (const tampered of [flip(token, 180), flip(token, 250), `${token.slice(0, -1)}`]) {
      const answer = await call(url('/articles/42'), { headers: { [http402Headers.entitlement]: tampered } });
      expect(answer.status).toBe(402);
      expect(refusalOf(answer)).toBe('ENTITLEMENT_INVALID');
    }
    // An entitlement signed by another merchant's key is refused too.
    const other = merchantFixture({ secretKey: testKey('another merchant') });
    const { request } = readTrickleOffer(offerOf(await call(url('/articles/42'))));
    const foreign = other.merchant.issueEntitlement({
      receipt: f.hub.receiptFor(request),
      resource: 'GET /articles/42',
    });
    const otherPaid = await call(url('/articles/42'), {
      headers: { [http402Headers.entitlement]: formatEntitlementHeader([foreign.token]) },
    });
    expect(otherPaid.status).toBe(402);
    expect(refusalOf(otherPaid)).toBe('ENTITLEMENT_INVALID');
  });

  it('charges a computed price per call and issues no entitlement there', async () => {
    const small = offerOf(await call(url('/api/quote'), { method: 'POST' }));
    const big = offerOf(await call(url('/api/quote?size=big'), { method: 'POST' }));
    expect([small.amount, big.amount]).toEqual(['1000', '10000']);
    expect(small.extra.resource).toBe('POST /api/quote');
    // The cheap invoice does not buy the expensive call, though the resource name is the same.
    const underpaid = await call(url('/api/quote?size=big'), { method: 'POST', ...withPayment(f.pay(small)) });
    expect(underpaid.status).toBe(402);
    expect(refusalOf(underpaid)).toBe('UNDERPAID');
    const paid = await call(url('/api/quote?size=big'), { method: 'POST', ...withPayment(f.pay(big)) });
    expect(paid.status).toBe(200);
    expect(paid.body).toEqual({ quote: 42, via: 'payment' });
    expect(paid.headers.get(http402Headers.entitlement)).toBeNull();
    expect(paid.headers.getSetCookie()).toEqual([]);
    // Each call pays again.
    expect((await call(url('/api/quote?size=big'), { method: 'POST' })).status).toBe(402);
  });

  it('still hands back the entitlement when the handler fails after the payment', async () => {
    const paid = await call(url('/broken'), withPayment(f.pay(offerOf(await call(url('/broken'))))));
    expect(paid.status).toBe(500);
    const token = paid.headers.get(http402Headers.entitlement) ?? '';
    expect(decodeEntitlement(token).expiresAtMs).toBeGreaterThan(f.clock.nowMs());
    expect(paid.headers.get(http402Headers.paymentResponse)).not.toBeNull();
  });

  it('leaves free routes alone', async () => {
    const answer = await call(url('/free'));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ free: true });
  });
});
