/** The framework-free core: configuration, the invoice store, and the paywall's decisions without a server. */
import {
  AmountError,
  asset,
  createPaymentRequest,
  createTricklePaymentPayload,
  createTrickleRequirements,
  decodePaymentResponseHeader,
  encodePaymentSignatureHeader,
  http402Headers,
  nobleVerifier,
  type PaymentRequired,
  publicKeyOf,
  readTrickleOffer,
  type TricklePaymentRequirements,
} from '@trickle/protocol';
import { manualClock } from '@trickle/testing/harness';
import { describe, expect, it } from 'vitest';
import {
  createMemoryInvoiceStore,
  createMerchant,
  createPaywall,
  createRequestFacts,
  type InvoiceStore,
  MerchantError,
  type PaywallDecision,
  type VerifiedPayment,
} from '../src/index.js';
import { hubUrl, merchantFixture, networkId, testKey, usd } from './fixture.js';

const get = (path: string, headers: Record<string, string> = {}) =>
  createRequestFacts('GET', `https://shop.test${path}`, headers);

function offerIn(decision: PaywallDecision) {
  if (decision.kind !== 'paymentRequired') throw new Error('expected a 402');
  return readTrickleOffer((decision.body as PaymentRequired).accepts[0]).requirements;
}

describe('createMerchant', () => {
  const valid = {
    secretKey: testKey('merchant'),
    hub: { publicKey: publicKeyOf(testKey('hub')), url: hubUrl, networkId },
    asset: usd,
  };

  it('accepts a valid configuration and derives its ids', () => {
    const merchant = createMerchant(valid);
    expect(merchant.network).toBe('trickle:7');
    expect(merchant.payee).toHaveLength(32);
  });

  it('refuses a bad configuration at startup with titled errors', () => {
    expect(() => createMerchant({ ...valid, secretKey: new Uint8Array(31) })).toThrow(RangeError);
    expect(() => createMerchant({ ...valid, secretKey: new Uint8Array(32) })).toThrow(/secretKey/);
    expect(() => createMerchant({ ...valid, hub: { ...valid.hub, publicKey: new Uint8Array(33) } })).toThrow(
      /hub.publicKey/,
    );
    expect(() => createMerchant({ ...valid, hub: { ...valid.hub, url: 'ftp://hub' } })).toThrow(/hub.url/);
    expect(() => createMerchant({ ...valid, hub: { ...valid.hub, url: 'not a url' } })).toThrow(TypeError);
    expect(() => createMerchant({ ...valid, hub: { ...valid.hub, networkId: -1 } })).toThrow(RangeError);
    expect(() => createMerchant({ ...valid, asset: { code: 'usd', scale: 6 } })).toThrow(/asset.code/);
    expect(() => createMerchant({ ...valid, invoiceTtlMs: 10 })).toThrow(/invoiceTtlMs/);
    expect(() => createMerchant({ ...valid, entitlementTtlMs: 1.5 })).toThrow(TypeError);
    expect(() => createMerchant({ ...valid, paidRetryGraceMs: 3_600_000 })).toThrow(/paidRetryGraceMs/);
  });
});

describe('createMemoryInvoiceStore', () => {
  it('marks an invoice once, then reports it used', async () => {
    const store = createMemoryInvoiceStore();
    expect(await store.markUsed('k', 10)).toBe('marked');
    expect(await store.markUsed('k', 10)).toBe('alreadyUsed');
  });

  it('refuses to forget an unexpired invoice when full, and sweeps expired ones', async () => {
    const clock = manualClock(0);
    const store = createMemoryInvoiceStore({ entriesMax: 3, clock });
    for (const key of ['a', 'b', 'c']) expect(await store.markUsed(key, 100)).toBe('marked');
    await expect(store.markUsed('d', 100)).rejects.toMatchObject({ code: 'INVOICE_STORE_FULL' });
    await expect(store.markUsed('d', 100)).rejects.toBeInstanceOf(MerchantError);
    expect(store.size()).toBe(3);
    clock.advance(100);
    expect(await store.markUsed('d', 200)).toBe('marked');
    expect(store.size()).toBe(1);
  });

  it('sweeps the oldest entries as it goes, so a steady load stays bounded', async () => {
    const clock = manualClock(0);
    const store = createMemoryInvoiceStore({ entriesMax: 1_000, clock });
    for (let i = 0; i < 5_000; i++) {
      expect(await store.markUsed(`invoice-${i}`, clock.nowMs() + 100)).toBe('marked');
      clock.advance(1);
    }
    expect(store.size()).toBeLessThanOrEqual(1_000);
  });
});

describe('createPaywall', () => {
  it('fails at startup on a price it cannot represent', () => {
    const { merchant } = merchantFixture();
    expect(() => createPaywall(merchant, { price: '0.0000001' })).toThrow(AmountError);
    expect(() => createPaywall(merchant, { price: '1 EUR' })).toThrow(AmountError);
    expect(() => createPaywall(merchant, { price: '0.002', entitlementTtlMs: 0 })).toThrow(RangeError);
  });

  it('lets CORS preflights, null prices and zero prices through for free', async () => {
    const { merchant } = merchantFixture();
    const paywall = createPaywall(merchant, { price: (facts) => (facts.url.pathname === '/gift' ? '0' : null) });
    expect((await paywall(get('/gift'), undefined)).kind).toBe('allowed');
    expect((await paywall(get('/other'), undefined)).kind).toBe('allowed');
    const priced = createPaywall(merchant, { price: '0.5' });
    const preflight = await priced(createRequestFacts('OPTIONS', 'https://shop.test/a', {}), undefined);
    expect(preflight).toMatchObject({ kind: 'allowed', via: 'free' });
  });

  it('binds invoices to a custom resource name when the route gives one', async () => {
    const f = merchantFixture();
    const paywall = createPaywall(f.merchant, {
      price: '0.01',
      resource: (facts) => `article ${facts.url.pathname.slice(3)}`,
    });
    const offer = offerIn(await paywall(get('/a/7'), undefined));
    expect(offer.extra.resource).toBe('article 7');
    // The same article under another URL spelling is the same resource.
    const paid = await paywall(get('/a/7?utm=x', { [http402Headers.paymentSignature]: f.pay(offer) }), undefined);
    expect(paid).toMatchObject({ kind: 'allowed', via: 'payment', resource: 'article 7' });
  });

  it('does not mark the invoice used when the store fails, so the client can retry', async () => {
    let failing = true;
    const inner = createMemoryInvoiceStore();
    const flaky: InvoiceStore = {
      markUsed: async (key, until) => {
        if (failing) throw new Error('store down');
        return inner.markUsed(key, until);
      },
    };
    const f = merchantFixture({ invoiceStore: flaky });
    const paywall = createPaywall(f.merchant, { price: '0.002' });
    const header = f.pay(offerIn(await paywall(get('/a'), undefined)));
    await expect(paywall(get('/a', { [http402Headers.paymentSignature]: header }), undefined)).rejects.toThrow(
      'store down',
    );
    failing = false;
    expect((await paywall(get('/a', { [http402Headers.paymentSignature]: header }), undefined)).kind).toBe('allowed');
  });

  it('skips the cookie, not the entitlement, when the path cannot be a cookie path', async () => {
    const f = merchantFixture();
    const paywall = createPaywall(f.merchant, { price: '0.002' });
    const offer = offerIn(await paywall(get('/a;b'), undefined));
    const paid = await paywall(get('/a;b', { [http402Headers.paymentSignature]: f.pay(offer) }), undefined);
    expect(paid.kind).toBe('allowed');
    const names = paid.headers.map(([name]) => name);
    expect(names).toContain(http402Headers.entitlement);
    expect(names).not.toContain('Set-Cookie');
  });

  it('sends no cookie when the merchant turns cookies off', async () => {
    const f = merchantFixture({ entitlementCookie: false });
    const paywall = createPaywall(f.merchant, { price: '0.002' });
    const offer = offerIn(await paywall(get('/a'), undefined));
    const paid = await paywall(get('/a', { [http402Headers.paymentSignature]: f.pay(offer) }), undefined);
    expect(paid.headers.map(([name]) => name)).not.toContain('Set-Cookie');
  });

  it('refuses a malformed entitlement header with a code and a fresh offer', async () => {
    const { merchant } = merchantFixture();
    const paywall = createPaywall(merchant, { price: '0.002' });
    const decision = await paywall(get('/a', { [http402Headers.entitlement]: 'x,y,z,w,v' }), undefined);
    expect(decision).toMatchObject({ kind: 'paymentRequired', reason: 'ENTITLEMENT_INVALID' });
    const header = decision.headers.find(([name]) => name === http402Headers.paymentResponse)?.[1] ?? '';
    expect(decodePaymentResponseHeader(header)).toEqual({
      success: false,
      errorReason: 'ENTITLEMENT_INVALID',
      transaction: '',
      network: 'trickle:7',
    });
  });
});

describe('payments outside the paywall (the seam for other servers, e.g. an x402 plug-in)', () => {
  it('checks then redeems, each invoice once', async () => {
    const f = merchantFixture();
    const offer = f.merchant.createOffer({ resource: 'GET /a', amount: 10n });
    const header = f.pay(offer.requirements);
    const check = f.merchant.checkPayment(header, { resource: 'GET /a', amount: 10n });
    if (!check.ok) throw new Error(check.reason);
    expect((await f.merchant.redeemPayment(check.payment)).ok).toBe(true);
    const again = f.merchant.checkPayment(header, { resource: 'GET /a', amount: 10n });
    if (!again.ok) throw new Error(again.reason);
    expect(await f.merchant.redeemPayment(again.payment)).toMatchObject({ ok: false, reason: 'INVOICE_USED' });
  });

  it('redeems only payments that checkPayment returned', async () => {
    const f = merchantFixture();
    const offer = f.merchant.createOffer({ resource: 'GET /a', amount: 10n });
    const receipt = f.hub.receiptFor(offer.request);
    const forged = { request: offer.request, receipt, resource: 'GET /a' } as VerifiedPayment;
    await expect(f.merchant.redeemPayment(forged)).rejects.toThrow(TypeError);
  });

  it('refuses an invoice below the current price, or in another asset, as underpaid', () => {
    const f = merchantFixture();
    const offer = f.merchant.createOffer({ resource: 'GET /a', amount: 10n });
    const check = f.merchant.checkPayment(f.pay(offer.requirements), { resource: 'GET /a', amount: 11n });
    expect(check).toMatchObject({ ok: false, reason: 'UNDERPAID' });
    // Made with the key the hub shares with this merchant, but priced in euros.
    const euros = createPaymentRequest(f.hub.macKey, { ...offer.request, asset: asset('EUR', 6) });
    const accepted = createTrickleRequirements({ request: euros, resource: 'GET /a', hubUrl, nowMs: f.clock.nowMs() });
    const inEuros = f.merchant.checkPayment(f.pay(accepted), { resource: 'GET /a', amount: 10n });
    expect(inEuros).toMatchObject({ ok: false, reason: 'UNDERPAID' });
  });

  it('issues entitlements that check with the public key only', () => {
    const f = merchantFixture();
    const offer = f.merchant.createOffer({ resource: 'GET /a', amount: 10n });
    const { token } = f.merchant.issueEntitlement({
      receipt: f.hub.receiptFor(offer.request),
      resource: 'GET /a',
      ttlMs: 5_000,
    });
    expect(f.merchant.checkEntitlement(token, 'GET /a').ok).toBe(true);
    expect(f.merchant.checkEntitlement(token, 'GET /b')).toMatchObject({ ok: false, reason: 'ENTITLEMENT_INVALID' });
    f.clock.advance(5_000);
    expect(f.merchant.checkEntitlement(token, 'GET /a')).toMatchObject({ ok: false, reason: 'ENTITLEMENT_EXPIRED' });
  });
});

describe('a paid retry whose echoed offer was altered (protocol.md, section 13)', () => {
  type Alter = (accepted: TricklePaymentRequirements) => TricklePaymentRequirements;
  const extra = (accepted: TricklePaymentRequirements, changes: Partial<TricklePaymentRequirements['extra']>) => ({
    ...accepted,
    extra: { ...accepted.extra, ...changes },
  });
  // The nine fields a merchant used to ignore: each must restate the payment request.
  it.each<[string, Alter]>([
    ['amount', (a) => ({ ...a, amount: '1' })],
    ['asset', (a) => ({ ...a, asset: 'EUR' })],
    ['payTo', (a) => ({ ...a, payTo: '00'.repeat(32) })],
    ['network', (a) => ({ ...a, network: 'trickle:8' })],
    ['extra.hubId', (a) => extra(a, { hubId: 'ab'.repeat(32) })],
    ['extra.resource', (a) => extra(a, { resource: 'GET /b' })],
    ['extra.expiresAtMs', (a) => extra(a, { expiresAtMs: a.extra.expiresAtMs + 1 })],
    ['extra.price', (a) => extra(a, { price: '0.000001 USD' })],
    ['extra.assetScale', (a) => extra(a, { assetScale: 2 })],
  ])('%s altered: refused MALFORMED_PAYMENT though the receipt is genuine, as a header or decoded', (field, alter) => {
    const f = merchantFixture();
    const offer = f.merchant.createOffer({ resource: 'GET /a', amount: 10n });
    const receipt = f.hub.receiptFor(offer.request);
    const expected = { resource: 'GET /a', amount: 10n };
    const altered = createTricklePaymentPayload({ accepted: alter(offer.requirements), receipt });
    for (const payment of [encodePaymentSignatureHeader(altered), altered]) {
      const check = f.merchant.checkPayment(payment, expected);
      expect(check).toMatchObject({ ok: false, reason: 'MALFORMED_PAYMENT' });
      expect(check.ok ? '' : check.details).toContain(`field ${field}`);
    }
    // The same receipt with the offer echoed as it was made is good.
    const honest = createTricklePaymentPayload({ accepted: offer.requirements, receipt });
    expect(f.merchant.checkPayment(encodePaymentSignatureHeader(honest), expected).ok).toBe(true);
    expect(f.merchant.checkPayment(honest, expected).ok).toBe(true);
  });

  it('refuses a decoded payload whose token differs from the echoed offer', () => {
    const f = merchantFixture();
    const offer = f.merchant.createOffer({ resource: 'GET /a', amount: 10n });
    const other = f.merchant.createOffer({ resource: 'GET /a', amount: 10n });
    const payload = createTricklePaymentPayload({
      accepted: offer.requirements,
      receipt: f.hub.receiptFor(other.request),
    });
    const swapped = {
      ...payload,
      payload: { ...payload.payload, paymentRequest: other.requirements.extra.paymentRequest },
    };
    expect(f.merchant.checkPayment(swapped, { resource: 'GET /a', amount: 10n })).toMatchObject({
      ok: false,
      reason: 'MALFORMED_PAYMENT',
    });
  });
});

describe('entitlement signature cache', () => {
  it('verifies a token once; later reads still check resource and expiry, and a changed token is verified again', () => {
    let verifications = 0;
    const f = merchantFixture({
      verifier: {
        name: 'counting',
        verify: (signature, message, key) => {
          verifications++;
          return nobleVerifier.verify(signature, message, key);
        },
      },
    });
    const offer = f.merchant.createOffer({ resource: 'GET /a', amount: 10n });
    const { token } = f.merchant.issueEntitlement({
      receipt: f.hub.receiptFor(offer.request),
      resource: 'GET /a',
      ttlMs: 5_000,
    });
    for (let i = 0; i < 5; i++) expect(f.merchant.checkEntitlement(token, 'GET /a').ok).toBe(true);
    expect(verifications).toBe(1);
    // The cached signature does not open another resource, nor outlive the token.
    expect(f.merchant.checkEntitlement(token, 'GET /b')).toMatchObject({ ok: false, reason: 'ENTITLEMENT_INVALID' });
    // A token with one character changed is new content: verified, and refused.
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${token.slice(0, -2)}${last}${token.at(-1)}`;
    expect(f.merchant.checkEntitlement(tampered, 'GET /a').ok).toBe(false);
    expect(verifications).toBe(2);
    f.clock.advance(5_000);
    expect(f.merchant.checkEntitlement(token, 'GET /a')).toMatchObject({ ok: false, reason: 'ENTITLEMENT_EXPIRED' });
  });
});

describe('createRequestFacts', () => {
  it('reads headers case-insensitively and joins repeated ones', () => {
    const facts = createRequestFacts('get', 'https://x.test/a', { Cookie: ['a=1', 'b=2'], 'X-List': ['1', '2'] });
    expect(facts.method).toBe('GET');
    expect(facts.header('cookie')).toBe('a=1; b=2');
    expect(facts.header('x-list')).toBe('1, 2');
    expect(facts.header('absent')).toBeUndefined();
  });
});
