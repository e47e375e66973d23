/**
 * The scheme's parts without a hub: prices are taken exactly or refused with a typed error,
 * the requirements carry the merchant's payee, hub and a fresh invoice for the request's
 * resource, and hostile payment payloads get refusal codes from verify and settle (never a
 * throw, nothing redeemed). The paid path runs end to end in test/x402/.
 */
import { createMerchant } from '@trickle/merchant';
import { readTrickleOffer, toHex } from '@trickle/protocol';
import { hubKey, networkId, testKey, usd } from '@trickle/testing/harness';
import {
  TrickleClientScheme,
  TrickleFacilitatorClient,
  TrickleServerScheme,
  trickleEntryOf,
  X402TrickleError,
} from '@trickle/x402';
import type { Network, PaymentPayload, PaymentRequirements } from '@x402/core/types';
import { describe, expect, it } from 'vitest';

const merchant = createMerchant({
  secretKey: testKey('x402 merchant'),
  hub: { publicKey: hubKey, url: 'ws://127.0.0.1:9', networkId },
  asset: usd,
});
const network = merchant.network as Network;
const scheme = new TrickleServerScheme(merchant);
const facilitator = new TrickleFacilitatorClient(merchant);
const kind = { x402Version: 2, scheme: 'trickle', network };

async function offered(path = '/weather'): Promise<PaymentRequirements> {
  const price = await scheme.parsePrice('$0.001', network);
  const base: PaymentRequirements = {
    scheme: 'trickle',
    network,
    ...price,
    payTo: toHex(merchant.payee),
    maxTimeoutSeconds: 300,
    extra: {},
  };
  const enhanced = await scheme.enhancePaymentRequirements(base, kind, []);
  const [entry] = await scheme.enrichPaymentRequiredResponse({
    requirements: [enhanced],
    resourceInfo: { url: `http://shop.example${path}` },
    paymentRequiredResponse: { x402Version: 2, resource: { url: '' }, accepts: [enhanced] },
    transportContext: { request: { method: 'GET', path, adapter: {} } },
  });
  return entry as PaymentRequirements;
}

describe('TrickleServerScheme', () => {
  it('prices in minor units of the merchant asset, exactly', async () => {
    expect(await scheme.parsePrice('0.001', network)).toEqual({ amount: '1000', asset: 'USD' });
    expect(await scheme.parsePrice('0.000001 USD', network)).toEqual({ amount: '1', asset: 'USD' });
    expect(await scheme.parsePrice('$0.25', network)).toEqual({ amount: '250000', asset: 'USD' });
    expect(await scheme.parsePrice({ asset: 'USD', amount: '7' }, network)).toEqual({ amount: '7', asset: 'USD' });
  });

  it.each([
    ['0.0000001', 'BAD_PRICE'],
    ['0', 'BAD_PRICE'],
    ['abc', 'BAD_PRICE'],
    ['1 EUR', 'WRONG_ASSET'],
    [{ asset: 'EUR', amount: '1' }, 'WRONG_ASSET'],
    [{ asset: 'USD', amount: '-1' }, 'BAD_PRICE'],
  ])('refuses price %j with %s', async (price, code) => {
    await expect(scheme.parsePrice(price as never, network)).rejects.toMatchObject({ code });
  });

  it('refuses another network and another payee', async () => {
    await expect(scheme.parsePrice('1', 'trickle:8')).rejects.toBeInstanceOf(X402TrickleError);
    const base = {
      scheme: 'trickle',
      network,
      amount: '1',
      asset: 'USD',
      payTo: 'ab'.repeat(32),
      maxTimeoutSeconds: 300,
      extra: {},
    };
    await expect(scheme.enhancePaymentRequirements(base, kind, [])).rejects.toMatchObject({ code: 'WRONG_PAYEE' });
  });

  it('fills the payee, the hub and a fresh invoice for the request path', async () => {
    const entry = await offered('/weather');
    const again = await offered('/weather');
    const { request, requirements } = readTrickleOffer(trickleEntryOf(entry));
    expect(requirements.extra).toMatchObject({
      resource: 'GET /weather',
      hubId: toHex(merchant.hubId),
      price: '0.001 USD',
    });
    expect(request.amount).toBe(1000n);
    expect(again.extra.paymentRequest).not.toBe(entry.extra.paymentRequest);
  });
});

describe('TrickleFacilitatorClient', () => {
  it('names one kind, trickle on the merchant network', async () => {
    expect((await facilitator.getSupported()).kinds).toEqual([
      { x402Version: 2, scheme: 'trickle', network, extra: { hubId: toHex(merchant.hubId), hubUrl: merchant.hubUrl } },
    ]);
  });

  it('answers hostile payloads with refusal codes, and settles none', async () => {
    const requirements = await offered();
    const token = requirements.extra.paymentRequest;
    const otherHub = { ...requirements, extra: { ...requirements.extra, hubId: '00'.repeat(32) } };
    const hostile: unknown[] = [
      {},
      { x402Version: 2, accepted: requirements },
      { x402Version: 2, accepted: requirements, payload: null },
      { x402Version: 2, accepted: requirements, payload: { paymentRequest: 5, receipt: [] } },
      { x402Version: 2, accepted: requirements, payload: { paymentRequest: token, receipt: 'AAAA' } },
      { x402Version: 1, accepted: requirements, payload: { paymentRequest: 'x', receipt: 'y' } },
      { x402Version: 2, accepted: otherHub, payload: { paymentRequest: token, receipt: 'AAAA' } },
    ];
    for (const payload of hostile) {
      const verified = await facilitator.verify(payload as PaymentPayload, requirements);
      expect(verified.isValid).toBe(false);
      expect(typeof verified.invalidReason).toBe('string');
      const settled = await facilitator.settle(payload as PaymentPayload, requirements);
      expect(settled).toMatchObject({ success: false, transaction: '', network });
    }
    // Requirements of another scheme or without a resource are refused too.
    const payload = { x402Version: 2, accepted: requirements, payload: { paymentRequest: 'x', receipt: 'y' } };
    const otherScheme = await facilitator.verify(payload, { ...requirements, scheme: 'exact' });
    expect(otherScheme.invalidReason).toBe('UNSUPPORTED_SCHEME');
    expect((await facilitator.verify(payload, { ...requirements, extra: {} })).invalidReason).toBe('REQUEST_INVALID');
  });
});

describe('TrickleClientScheme', () => {
  it('pays nothing for an offer on another network, another hub, or above the cap', async () => {
    const paid: unknown[] = [];
    const wallet = {
      pay: async (request: unknown) => {
        paid.push(request);
        throw new Error('not here');
      },
    };
    const entry = await offered();
    const elsewhere = new TrickleClientScheme(wallet as never, { networkId: 8 });
    await expect(elsewhere.createPaymentPayload(2, entry)).rejects.toMatchObject({ code: 'WRONG_NETWORK' });
    const otherHub = new TrickleClientScheme(wallet as never, { networkId, hubId: 'cd'.repeat(32) });
    await expect(otherHub.createPaymentPayload(2, entry)).rejects.toMatchObject({ code: 'WRONG_HUB' });
    const client = new TrickleClientScheme(wallet as never, { networkId });
    await expect(client.createPaymentPayload(2, entry, { maxAmountPerPayment: '999' })).rejects.toMatchObject({
      code: 'OVER_SPEND_CAP',
    });
    await expect(client.createPaymentPayload(1, entry)).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION' });
    await expect(client.createPaymentPayload(2, { ...entry, amount: '1' })).rejects.toMatchObject({
      code: 'INCONSISTENT_OFFER',
    });
    expect(paid).toEqual([]);
    expect(client.findDefaultAsset('USD', network)).toEqual({ asset: 'USD', decimals: 6, symbol: 'USD' });
    expect(client.findDefaultAsset('EUR', network)).toBeUndefined();
  });
});
