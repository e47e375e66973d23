/**
 * Properties of the HTTP 402 wire in `@trickle/protocol` (http402.ts): every encoder's output
 * decodes to what went in, and any junk a peer can send ends in a typed error, never a crash.
 */
import {
  type Asset,
  amountMax,
  asInvoiceId,
  asMerchantKey,
  asPayeeId,
  checkEntitlement,
  createPaymentRequest,
  createSigner,
  createTricklePaymentPayload,
  createTrickleRequirements,
  decodeEntitlement,
  decodePaymentRequiredHeader,
  decodePaymentResponseHeader,
  decodePaymentSignatureHeader,
  encodeEntitlement,
  encodePaymentRequiredHeader,
  encodePaymentResponseHeader,
  encodePaymentSignatureHeader,
  entitlementTokenChars,
  entitlementTokensFromCookies,
  formatEntitlementCookie,
  formatEntitlementHeader,
  Http402Error,
  type HubId,
  nobleVerifier,
  type PaymentRequired,
  type PaymentRequirements,
  parseEntitlementHeader,
  payeeIdFromKey,
  readTrickleOffer,
  resourceHash,
  type SettlementResponse,
  signEntitlement,
  TrickleError,
  timeMsMax,
} from '@trickle/protocol';
import { counterRandom } from '@trickle/testing/harness';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { merchantFixture, testKey } from './fixture.js';

/** Base64 of UTF-8 text, as x402 headers are. */
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const hex = (minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength, maxLength });
const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const assetArb: fc.Arbitrary<Asset> = fc.record({
  code: fc.stringMatching(/^[A-Z][A-Z0-9]{0,11}$/),
  scale: fc.integer({ min: 0, max: 18 }),
});
const resourceArb = fc.stringMatching(/^[\x20-\x7e]{1,80}$/);
const hubUrlArb = fc
  .tuple(
    fc.constantFrom('ws', 'wss', 'http', 'https'),
    fc.stringMatching(/^[a-z0-9.-]{1,30}(:[0-9]{1,5})?(\/[\x21-\x7e]{0,40})?$/),
  )
  .map(([scheme, rest]) => `${scheme}://${rest}`);

const offerArb = fc
  .record({
    key: bytes(32),
    networkId: fc.integer({ min: 0, max: 0xffff_ffff }),
    hubId: bytes(32),
    payee: bytes(32),
    invoiceId: bytes(16),
    asset: assetArb,
    amount: fc.bigInt({ min: 1n, max: amountMax }),
    nowMs: fc.integer({ min: 0, max: timeMsMax - 1 }),
    ttlMs: fc.integer({ min: 1, max: 86_400_000 }),
    resource: resourceArb,
    hubUrl: hubUrlArb,
  })
  .filter(({ nowMs, ttlMs }) => nowMs + ttlMs <= timeMsMax)
  .map((o) => {
    const request = createPaymentRequest(asMerchantKey(o.key), {
      networkId: o.networkId,
      hubId: o.hubId as HubId,
      payee: asPayeeId(o.payee),
      invoiceId: asInvoiceId(o.invoiceId),
      asset: o.asset,
      amount: o.amount,
      expiresAtMs: o.nowMs + o.ttlMs,
      resource: resourceHash(o.resource),
    });
    return {
      request,
      requirements: createTrickleRequirements({ request, resource: o.resource, hubUrl: o.hubUrl, nowMs: o.nowMs }),
    };
  });

const foreignEntryArb: fc.Arbitrary<PaymentRequirements> = fc.record({
  scheme: fc.constantFrom('exact', 'upto', 'batch-settlement'),
  network: fc.constantFrom('eip155:8453', 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp'),
  amount: fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String),
  asset: hex(40, 40).map((h) => `0x${h}`),
  payTo: hex(40, 40).map((h) => `0x${h}`),
  maxTimeoutSeconds: fc.integer({ min: 1, max: 3600 }),
  extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
});

const resourceInfoArb = fc.record(
  {
    url: fc.webUrl().filter((u) => u.length <= 2048 && /^[\x21-\x7e]+$/.test(u)),
    description: fc.string({ maxLength: 100, unit: 'binary' }).filter((s) => encodeURIComponentSafe(s)),
    mimeType: fc.constantFrom('application/json', 'text/html'),
  },
  { requiredKeys: ['url'] },
);

/** True for strings without lone surrogates (UTF-8 cannot carry those). */
function encodeURIComponentSafe(text: string): boolean {
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/** Decoders may only fail with the wire's typed errors. */
function expectTypedFailure(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TrickleError);
    if (!(error instanceof Http402Error)) expect((error as TrickleError).code).toBe('MALFORMED_TOKEN');
  }
}

describe('http402 round trips', () => {
  it('an offer reads back as its own requirements and request', () => {
    fc.assert(
      fc.property(offerArb, ({ request, requirements }) => {
        const read = readTrickleOffer(JSON.parse(JSON.stringify(requirements)));
        expect(read.requirements).toEqual(requirements);
        expect(read.request).toEqual(request);
      }),
    );
  });

  it('PAYMENT-REQUIRED decodes to what was encoded, foreign schemes included', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            offerArb.map((o) => o.requirements),
            foreignEntryArb,
          ),
          { maxLength: 4 },
        ),
        resourceInfoArb,
        fc.option(fc.constantFrom('INVOICE_USED', 'UNDERPAID'), { nil: undefined }),
        (accepts, resource, error) => {
          const required: PaymentRequired = { x402Version: 2, resource, accepts, ...(error ? { error } : {}) };
          expect(decodePaymentRequiredHeader(encodePaymentRequiredHeader(required))).toEqual(
            JSON.parse(JSON.stringify(required)),
          );
        },
      ),
    );
  });

  it('PAYMENT-SIGNATURE decodes to what was encoded', () => {
    fc.assert(
      fc.property(offerArb, fc.option(resourceInfoArb, { nil: undefined }), ({ requirements }, resource) => {
        // The decoder checks a receipt token's syntax only; any 248 base64url characters do.
        const payload = createTricklePaymentPayload({
          accepted: requirements,
          receipt: 'A'.repeat(248),
          ...(resource === undefined ? {} : { resource }),
        });
        expect(decodePaymentSignatureHeader(encodePaymentSignatureHeader(payload))).toEqual(payload);
      }),
    );
  });

  it('PAYMENT-RESPONSE decodes to what was encoded', () => {
    const responseArb: fc.Arbitrary<SettlementResponse> = fc.record(
      {
        success: fc.boolean(),
        transaction: hex(0, 64),
        network: fc.constant('trickle:7'),
        errorReason: fc.constantFrom('INVOICE_USED', 'RECEIPT_INVALID'),
        payer: hex(0, 64),
      },
      { requiredKeys: ['success', 'transaction', 'network'] },
    );
    fc.assert(
      fc.property(responseArb, (response) => {
        expect(decodePaymentResponseHeader(encodePaymentResponseHeader(response))).toEqual(response);
      }),
    );
  });

  it('an entitlement token decodes to what was signed, checks valid, and any changed character breaks it', () => {
    const signer = createSigner(testKey('merchant'), { randomBytes: counterRandom(3) });
    const payee = payeeIdFromKey(signer.publicKey);
    fc.assert(
      fc.property(
        fc.record({
          networkId: fc.integer({ min: 0, max: 0xffff_ffff }),
          resource: resourceArb,
          invoiceId: bytes(16),
          channelId: bytes(32),
          issuedAtMs: fc.integer({ min: 0, max: timeMsMax - 1 }),
          ttlMs: fc.integer({ min: 1, max: 400 * 86_400_000 }),
        }),
        fc.nat(),
        fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
        (e, position, replacement) => {
          const expiresAtMs = Math.min(timeMsMax, e.issuedAtMs + e.ttlMs);
          fc.pre(expiresAtMs > e.issuedAtMs);
          const entitlement = signEntitlement(signer, {
            networkId: e.networkId,
            payee,
            resource: resourceHash(e.resource),
            invoiceId: asInvoiceId(e.invoiceId),
            channelId: e.channelId as never,
            issuedAtMs: e.issuedAtMs,
            expiresAtMs,
          });
          const token = encodeEntitlement(entitlement);
          expect(token).toHaveLength(entitlementTokenChars);
          expect(decodeEntitlement(token)).toEqual(entitlement);
          const context = {
            merchantKey: signer.publicKey,
            networkId: e.networkId,
            resource: resourceHash(e.resource),
            nowMs: e.issuedAtMs,
            verifier: nobleVerifier,
          };
          expect(checkEntitlement(entitlement, context)).toBe('valid');
          expect(checkEntitlement(entitlement, { ...context, nowMs: expiresAtMs })).toBe('expired');
          const at = position % token.length;
          fc.pre(token[at] !== replacement);
          const changed = `${token.slice(0, at)}${replacement}${token.slice(at + 1)}`;
          let outcome: string;
          try {
            outcome = checkEntitlement(decodeEntitlement(changed), context);
          } catch (error) {
            outcome = (error as TrickleError).code;
          }
          expect(outcome).not.toBe('valid');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('entitlement header and cookie formats read back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{${entitlementTokenChars}}$`)), {
          minLength: 1,
          maxLength: 4,
        }),
        (tokens) => {
          expect(parseEntitlementHeader(formatEntitlementHeader(tokens))).toEqual(tokens);
          const cookies = tokens.map(
            (t) => formatEntitlementCookie(t, { path: '/a', maxAgeSeconds: 60 }).split(';')[0],
          );
          expect(entitlementTokensFromCookies(['x=1', ...cookies].join('; '))).toEqual(tokens);
        },
      ),
    );
  });
});

/** A valid header, then one random edit of its JSON: a key dropped, a value replaced, a key added. */
function mutatedJsonHeader(valid: unknown): fc.Arbitrary<string> {
  const paths: string[][] = [];
  const walk = (value: unknown, path: string[]) => {
    paths.push(path);
    if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
    }
  };
  walk(valid, []);
  return fc
    .tuple(
      fc.constantFrom(...paths),
      fc.constantFrom('drop', 'replace', 'add'),
      fc.jsonValue({ maxDepth: 2 }),
      fc.string(),
    )
    .map(([path, edit, value, key]) => {
      const copy = JSON.parse(JSON.stringify(valid));
      let parent = copy;
      for (const step of path.slice(0, -1)) parent = parent[step];
      const last = path.at(-1);
      if (last === undefined) return b64(JSON.stringify(value));
      if (edit === 'drop') delete parent[last];
      else if (edit === 'replace') parent[last] = value;
      else if (typeof parent[last] === 'object' && parent[last] !== null) parent[last][key] = value;
      return b64(JSON.stringify(copy));
    });
}

describe('http402 junk from the network', () => {
  const junkArb = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.base64String(),
    fc.jsonValue().map((v) => b64(JSON.stringify(v))),
    fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b).toString('base64')),
    fc.string({ minLength: 5000, maxLength: 20000 }),
  );

  it('every decoder answers junk with a typed error, never a crash', () => {
    fc.assert(
      fc.property(junkArb, (junk) => {
        expectTypedFailure(() => decodePaymentRequiredHeader(junk));
        expectTypedFailure(() => decodePaymentSignatureHeader(junk));
        expectTypedFailure(() => decodePaymentResponseHeader(junk));
        expectTypedFailure(() => parseEntitlementHeader(junk));
        expectTypedFailure(() => decodeEntitlement(junk));
        expect(Array.isArray(entitlementTokensFromCookies(junk))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('edited valid headers end in a typed error or a valid message, and the merchant refuses them with a code', () => {
    const f = merchantFixture();
    const offer = f.merchant.createOffer({ resource: 'GET /a', amount: 5n });
    const validPayment = JSON.parse(Buffer.from(f.pay(offer.requirements), 'base64').toString('utf8'));
    const validRequired = f.merchant.createPaymentRequired({ resource: 'GET /a', amount: 5n, url: 'http://x.test/a' });
    fc.assert(
      fc.property(mutatedJsonHeader(validPayment), mutatedJsonHeader(validRequired), (payment, required) => {
        expectTypedFailure(() => decodePaymentSignatureHeader(payment));
        expectTypedFailure(() => decodePaymentRequiredHeader(required));
        expectTypedFailure(() => {
          const decoded = decodePaymentRequiredHeader(required);
          for (const entry of decoded.accepts) if (entry.scheme === 'trickle') readTrickleOffer(entry);
        });
        const check = f.merchant.checkPayment(payment, { resource: 'GET /a', amount: 5n });
        if (!check.ok) expect(typeof check.reason).toBe('string');
      }),
      { numRuns: 300 },
    );
  });

  it('refuses oversized headers before decoding them', () => {
    const big = 'A'.repeat(20_000);
    for (const decode of [decodePaymentRequiredHeader, decodePaymentSignatureHeader, decodePaymentResponseHeader]) {
      try {
        decode(big);
        expect.unreachable();
      } catch (error) {
        expect((error as Http402Error).code).toBe('HEADER_TOO_LARGE');
      }
    }
  });
});
