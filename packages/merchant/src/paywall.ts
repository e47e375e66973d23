/**
 * The paywall: the framework-independent core. Request facts in; out comes either
 * "allowed" (free, paid now, or entitled) with the headers to add, or "payment required"
 * with the whole `402` answer. Adapters only translate requests and responses.
 */
import {
  type Entitlement,
  encodePaymentRequiredHeader,
  encodePaymentResponseHeader,
  entitlementsPerRequestMax,
  entitlementTokensFromCookies,
  formatEntitlementCookie,
  http402Headers,
  type PaymentRefusalCode,
  type PaymentRequired,
  parseAmount,
  parseEntitlementHeader,
  type Receipt,
  toHex,
  urlCharsMax,
} from '@trickle/protocol';
import type { VerifiedPayment } from './checkPayment.js';
import { entitlementTtlMsMax, entitlementTtlMsMin } from './limits.js';
import type { Merchant } from './merchant.js';
import { checkDurationMs } from './merchantConfig.js';
import { checkResourceName } from './offer.js';
import type { RequestFacts } from './requestFacts.js';

/**
 * A route's price: a decimal string of the merchant's asset (`'0.002'` or `'0.002 USD'`),
 * `null` for free, or a function of the request returning either (sync or async).
 */
export type PriceSetting<Native = unknown> =
  | string
  | null
  | ((facts: RequestFacts, request: Native) => string | null | Promise<string | null>);

/**
 * How one route is sold. `Native` is the framework's request type, handed to the functions.
 *
 * @example
 * ```ts
 * import type { PaywallRoute } from '@trickle/merchant';
 * const article: PaywallRoute = { price: '0.002', description: 'One article' };
 * const apiCall: PaywallRoute = { price: (facts) => (facts.url.searchParams.has('full') ? '0.01' : '0.001'), entitlement: false };
 * ```
 */
export interface PaywallRoute<Native = unknown> {
  readonly price: PriceSetting<Native>;
  /**
   * The resource name an invoice and an entitlement are bound to. Default: the method and
   * the URL path, `GET /articles/42` (`HEAD` counts as `GET`; the query is not part of it).
   */
  readonly resource?: (facts: RequestFacts, request: Native) => string;
  /** Issue entitlements here (read again without paying). Default `true`; use `false` for per-call APIs. */
  readonly entitlement?: boolean;
  /** Entitlement lifetime on this route. Default: the merchant's. */
  readonly entitlementTtlMs?: number;
  /**
   * Send a fresh invoice for the next call with every paid answer (`TRICKLE-NEXT-OFFER`),
   * so a client that knows the price pays before it asks and skips the `402` round trip
   * (ADR 0425). Default: on where entitlements are off (per-call routes).
   */
  readonly offerAhead?: boolean;
  /** For people and agents reading the `402`. */
  readonly description?: string;
  /** The media type of what is sold, for the `402`. */
  readonly mimeType?: string;
}

/** Response headers to add, in order; a name may repeat (`Set-Cookie`). */
export type HeaderList = readonly (readonly [name: string, value: string])[];

/** The request may proceed to the handler. */
export interface PaywallAllowed {
  readonly kind: 'allowed';
  /** Why: the route is free for it, it was paid just now, or an entitlement covered it. */
  readonly via: 'free' | 'payment' | 'entitlement';
  /** Add these to the response (payment response, entitlement, cookie, caching). */
  readonly headers: HeaderList;
  /** The resource name (absent when free). */
  readonly resource?: string;
  /** The hub's receipt, when paid just now. */
  readonly receipt?: Receipt;
  /** The entitlement issued now (`payment`) or presented (`entitlement`). */
  readonly entitlement?: Entitlement;
  /** Its token. */
  readonly entitlementToken?: string;
}

/** The request is answered `402 Payment Required` with a fresh offer. */
export interface PaywallPaymentRequired {
  readonly kind: 'paymentRequired';
  readonly status: 402;
  readonly headers: HeaderList;
  /** The JSON body; the same object is in the `PAYMENT-REQUIRED` header. */
  readonly body: PaymentRequired;
  /** Why a payment or entitlement that came with the request was refused. */
  readonly reason?: PaymentRefusalCode;
  /** Details of the refusal, for logs only (never sent). */
  readonly details?: string;
}

/** The paywall's answer. */
export type PaywallDecision = PaywallAllowed | PaywallPaymentRequired;

/** A paywall for one route: decides one request. */
export type Paywall<Native = unknown> = (facts: RequestFacts, request: Native) => Promise<PaywallDecision>;

/** The headers a browser page may read on our answers (CORS). */
const exposedHeaders = [
  http402Headers.paymentRequired,
  http402Headers.paymentResponse,
  http402Headers.entitlement,
  http402Headers.nextOffer,
].join(', ');

/**
 * Creates the paywall of one route: fixed prices are parsed now (a bad price fails at
 * startup), computed ones per request. `OPTIONS` (CORS preflight) is always free.
 *
 * On a request with `PAYMENT-SIGNATURE`: check the payment offline, redeem its invoice once,
 * allow, and hand out an entitlement. Else, on a request with entitlement tokens (header
 * `TRICKLE-ENTITLEMENT` or cookie): allow if one is valid for this resource. Else, or when
 * any of that fails: `402` with a fresh offer and, for a failure, its refusal code.
 *
 * @example
 * ```ts
 * import { createMerchant, createPaywall, createRequestFacts } from '@trickle/merchant';
 * declare const merchant: ReturnType<typeof createMerchant>;
 * const paywall = createPaywall(merchant, { price: '0.002' });
 * const decision = await paywall(createRequestFacts('GET', 'https://news.example/articles/42', {}), undefined);
 * decision.kind; // 'paymentRequired'
 * ```
 */
export function createPaywall<Native = unknown>(merchant: Merchant, route: PaywallRoute<Native>): Paywall<Native> {
  const priceOf = compilePrice(merchant, route.price);
  const entitlementOn = route.entitlement ?? true;
  if (typeof entitlementOn !== 'boolean') throw new TypeError('entitlement: expected a boolean');
  const offerAhead = route.offerAhead ?? !entitlementOn;
  if (typeof offerAhead !== 'boolean') throw new TypeError('offerAhead: expected a boolean');
  const entitlementTtlMs = checkDurationMs(
    route.entitlementTtlMs ?? merchant.entitlementTtlMs,
    'entitlementTtlMs',
    entitlementTtlMsMin,
    entitlementTtlMsMax,
  );
  if (route.resource !== undefined && typeof route.resource !== 'function') {
    throw new TypeError('resource: expected a function of the request');
  }

  /** A `402` body: a fresh single-use invoice for `resource` at `amount`. */
  const offerOf = (facts: RequestFacts, resource: string, amount: bigint, reason?: PaymentRefusalCode) =>
    merchant.createPaymentRequired({
      resource,
      amount,
      url: describedUrl(facts.url),
      ...(route.description === undefined ? {} : { description: route.description }),
      ...(route.mimeType === undefined ? {} : { mimeType: route.mimeType }),
      ...(reason === undefined ? {} : { error: reason }),
    });

  const paymentRequired = (
    facts: RequestFacts,
    resource: string,
    amount: bigint,
    reason?: PaymentRefusalCode,
    details?: string,
  ): PaywallPaymentRequired => {
    const body = offerOf(facts, resource, amount, reason);
    const headers: [string, string][] = [
      [http402Headers.paymentRequired, encodePaymentRequiredHeader(body)],
      ['Cache-Control', 'no-store'],
      ['Access-Control-Expose-Headers', exposedHeaders],
    ];
    if (reason !== undefined) {
      headers.push([
        http402Headers.paymentResponse,
        encodePaymentResponseHeader({
          success: false,
          errorReason: reason,
          transaction: '',
          network: merchant.network,
        }),
      ]);
    }
    return {
      kind: 'paymentRequired',
      status: 402,
      headers,
      body,
      ...(reason === undefined ? {} : { reason }),
      ...(details === undefined ? {} : { details }),
    };
  };

  const paid = (facts: RequestFacts, payment: VerifiedPayment, amount: bigint): PaywallAllowed => {
    const { receipt, request } = payment;
    const headers: [string, string][] = [
      [
        http402Headers.paymentResponse,
        encodePaymentResponseHeader({
          success: true,
          transaction: toHex(request.invoiceId),
          network: merchant.network,
          payer: toHex(receipt.channelId),
        }),
      ],
      ['Cache-Control', 'private'],
      ['Access-Control-Expose-Headers', exposedHeaders],
    ];
    if (offerAhead) {
      headers.push([http402Headers.nextOffer, encodePaymentRequiredHeader(offerOf(facts, payment.resource, amount))]);
    }
    if (!entitlementOn) return { kind: 'allowed', via: 'payment', headers, resource: payment.resource, receipt };
    const issued = merchant.issueEntitlement({ receipt, resource: payment.resource, ttlMs: entitlementTtlMs });
    headers.push([http402Headers.entitlement, issued.token]);
    const cookie = entitlementCookie(merchant, facts, issued.token, entitlementTtlMs);
    if (cookie !== undefined) headers.push(['Set-Cookie', cookie]);
    return {
      kind: 'allowed',
      via: 'payment',
      headers,
      resource: payment.resource,
      receipt,
      entitlement: issued.entitlement,
      entitlementToken: issued.token,
    };
  };

  return async (facts, request) => {
    if (facts.method === 'OPTIONS') return free;
    const amount = await priceOf(facts, request);
    if (amount === null) return free;
    const resource =
      route.resource === undefined ? defaultResourceName(facts) : checkResourceName(route.resource(facts, request));

    const paymentHeader = facts.header(http402Headers.paymentSignature);
    if (paymentHeader !== undefined) {
      const check = merchant.checkPayment(paymentHeader, { resource, amount });
      if (!check.ok) return paymentRequired(facts, resource, amount, check.reason, check.details);
      const redeemed = await merchant.redeemPayment(check.payment);
      if (!redeemed.ok) return paymentRequired(facts, resource, amount, redeemed.reason, redeemed.details);
      return paid(facts, redeemed.payment, amount);
    }

    if (entitlementOn) {
      const presented = presentedTokens(facts);
      if (presented === 'malformed') {
        return paymentRequired(facts, resource, amount, 'ENTITLEMENT_INVALID', 'malformed TRICKLE-ENTITLEMENT header');
      }
      let refusal: { reason: PaymentRefusalCode; details: string } | undefined;
      for (const token of presented) {
        const check = merchant.checkEntitlement(token, resource);
        if (check.ok) {
          return {
            kind: 'allowed',
            via: 'entitlement',
            headers: [
              ['Cache-Control', 'private'],
              ['Access-Control-Expose-Headers', exposedHeaders],
            ],
            resource,
            entitlement: check.entitlement,
            entitlementToken: token,
          };
        }
        // Report "expired" over "invalid": it tells an honest client its token just aged out.
        if (refusal === undefined || check.reason === 'ENTITLEMENT_EXPIRED') refusal = check;
      }
      if (refusal !== undefined) return paymentRequired(facts, resource, amount, refusal.reason, refusal.details);
    }
    return paymentRequired(facts, resource, amount);
  };
}

const free: PaywallAllowed = Object.freeze({ kind: 'allowed', via: 'free', headers: Object.freeze([]) });

/**
 * The default resource name of a request: method and path (the path as the server routed
 * it, `facts.path`, when the adapter gives it; else the URL's), `HEAD` counted as `GET`.
 *
 * @example
 * ```ts
 * import { createRequestFacts, defaultResourceName } from '@trickle/merchant';
 * defaultResourceName(createRequestFacts('HEAD', 'https://x.example/a?b=1', {})); // 'GET /a'
 * ```
 */
export function defaultResourceName(facts: RequestFacts): string {
  const method = facts.method === 'HEAD' ? 'GET' : facts.method;
  return checkResourceName(`${method} ${routedPath(facts)}`);
}

/** The path the server routed: the raw one when the adapter gives it (see {@link RequestFacts.path}). */
function routedPath(facts: RequestFacts): string {
  return facts.path ?? facts.url.pathname;
}

function compilePrice<Native>(
  merchant: Merchant,
  price: PriceSetting<Native>,
): (facts: RequestFacts, request: Native) => Promise<bigint | null> {
  const toUnits = (value: string | null): bigint | null => {
    if (value === null) return null;
    const units = parseAmount(value, merchant.asset);
    return units === 0n ? null : units;
  };
  if (price === null || typeof price === 'string') {
    const fixed = toUnits(price);
    return async () => fixed;
  }
  if (typeof price !== 'function') throw new TypeError('price: expected a decimal string, null, or a function');
  return async (facts, request) => toUnits(await price(facts, request));
}

function presentedTokens(facts: RequestFacts): string[] | 'malformed' {
  const tokens: string[] = [];
  const header = facts.header(http402Headers.entitlement);
  if (header !== undefined) {
    try {
      tokens.push(...parseEntitlementHeader(header));
    } catch {
      return 'malformed';
    }
  }
  const cookies = facts.header('cookie');
  if (cookies !== undefined) tokens.push(...entitlementTokensFromCookies(cookies));
  return tokens.slice(0, entitlementsPerRequestMax);
}

function entitlementCookie(merchant: Merchant, facts: RequestFacts, token: string, ttlMs: number): string | undefined {
  const settings = merchant.entitlementCookie;
  if (settings === false) return undefined;
  try {
    return formatEntitlementCookie(token, {
      path: routedPath(facts),
      maxAgeSeconds: Math.max(1, Math.floor(ttlMs / 1000)),
      secure: settings.secure,
      sameSite: settings.sameSite,
    });
  } catch {
    // A path a cookie cannot carry (";" in it): the header token still works.
    return undefined;
  }
}

function describedUrl(url: URL): string {
  if (url.href.length <= urlCharsMax) return url.href;
  const withoutQuery = `${url.origin}${url.pathname}`;
  return withoutQuery.length <= urlCharsMax ? withoutQuery : url.origin;
}
