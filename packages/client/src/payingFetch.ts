/**
 * `wallet.fetch`: a drop-in `fetch` that answers `402 Payment Required` by paying and
 * retrying. It reads the x402-shaped `PAYMENT-REQUIRED` header, picks the Trickle offer
 * for this wallet's hub and network, pays it through the wallet (spending policy first,
 * nothing signed if it refuses), retries once with `PAYMENT-SIGNATURE`, and keeps the
 * entitlement the merchant hands back so that reading again does not pay again.
 * The request's signal aborts the payment too (pay()'s `options.signal`).
 * With the price already known (the merchant sent `TRICKLE-NEXT-OFFER` with an earlier paid
 * answer) it pays that invoice first and sends the payment with the request, skipping the
 * `402` round trip (ADR 0425).
 * Same code in Node and browsers: only the global `fetch`, `Request` and `Headers`.
 */

import {
  type Clock,
  createTricklePaymentPayload,
  decodeEntitlement,
  decodePaymentRequiredHeader,
  encodePaymentSignatureHeader,
  entitlementsPerRequestMax,
  formatEntitlementHeader,
  http402Headers,
  LruMap,
  type PaymentRequest,
  parsePaymentRequired,
  type Receipt,
  type TrickleOffer,
  toHex,
  trickleOffersOf,
} from '@trickle/protocol';
import { systemClock } from './clock.js';
import type { PayOptions } from './payOptions.js';

/** What paying fetch needs of a wallet. */
export interface PayingWallet {
  /**
   * Pays one payment request; rejects with a typed error when policy or the hub refuses,
   * or when `options.signal` aborts (see the wallet's {@link PayOptions}).
   */
  pay(request: PaymentRequest, options?: PayOptions): Promise<Receipt>;
}

/** Remembers entitlement tokens per resource (method and URL without its query). */
export interface EntitlementCache {
  /** Tokens to present for `key`, newest first. */
  get(key: string): readonly string[];
  /** Keeps `token` for `key` until `expiresAtMs`. */
  add(key: string, token: string, expiresAtMs: number): void;
}

/** Most resources an in-memory entitlement cache remembers; the oldest are forgotten first. */
export const entitlementCacheEntriesMax = 10_000;

/**
 * An in-memory {@link EntitlementCache}, bounded, dropping expired tokens as it goes.
 *
 * @example
 * ```ts
 * import { memoryEntitlementCache } from '@trickle/client';
 * const cache = memoryEntitlementCache({ nowMs: () => Date.now() });
 * cache.get('GET https://news.example/articles/42'); // []
 * ```
 */
export function memoryEntitlementCache(clock: Clock): EntitlementCache {
  const entries = new LruMap<string, { token: string; expiresAtMs: number }[]>(entitlementCacheEntriesMax);
  return {
    get(key) {
      const now = clock.nowMs();
      const live = (entries.get(key) ?? []).filter((e) => e.expiresAtMs > now);
      if (live.length === 0) entries.delete(key);
      else entries.set(key, live);
      return live.map((e) => e.token);
    },
    add(key, token, expiresAtMs) {
      const list = [{ token, expiresAtMs }, ...(entries.get(key) ?? []).filter((e) => e.token !== token)];
      entries.set(key, list.slice(0, entitlementsPerRequestMax));
    },
  };
}

/** Invoices kept ahead per resource (from `TRICKLE-NEXT-OFFER`): one per call in flight is enough. */
export const offersAheadPerResourceMax = 64;

/** Resources whose invoices are kept ahead at most; the least recently used are forgotten first. */
export const offersAheadResourcesMax = 1_000;

/** An invoice kept ahead is paid only while it has at least this long to live (ms), so the merchant still takes it. */
export const offerAheadMarginMs = 10_000;

/** Options of {@link createPayingFetch}. */
export interface PayingFetchOptions {
  /** The network the wallet's hub is on: only offers for it are paid. */
  readonly networkId: number;
  /** The wallet's hub id (hex), or a function returning it once known; offers naming another hub are not paid. */
  readonly hubId?: string | (() => string | undefined);
  /** The fetch to wrap. Default the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Where entitlements are kept. Default an in-memory cache. */
  readonly entitlements?: EntitlementCache;
  /** Time source for entitlement expiry. Default `Date.now`. */
  readonly clock?: Clock;
  /**
   * Pay an invoice the merchant sent ahead (`TRICKLE-NEXT-OFFER`) before the request and
   * skip the `402` round trip (ADR 0425). Default `true`. If the merchant refuses that
   * payment (price raised, invoice expired) the call falls back to the `402` path and pays
   * again; the refused payment is in the wallet's history.
   */
  readonly offerAhead?: boolean;
}

/** The key entitlements are kept under: the method (HEAD as GET) and the URL without query or hash. */
function resourceKey(request: Request): string {
  const url = new URL(request.url);
  const method = request.method.toUpperCase() === 'HEAD' ? 'GET' : request.method.toUpperCase();
  return `${method} ${url.origin}${url.pathname}`;
}

/** The Trickle offers of a 402, from its header or (if absent) its JSON body; none when unreadable. */
async function offersOf(response: Response): Promise<TrickleOffer[]> {
  try {
    const header = response.headers.get(http402Headers.paymentRequired);
    const required =
      header !== null ? decodePaymentRequiredHeader(header) : parsePaymentRequired(await response.clone().json());
    return trickleOffersOf(required);
  } catch {
    return [];
  }
}

/**
 * A `fetch` that pays `402` answers through `wallet`. It pays at most once per call: if
 * the paid retry is refused again, that answer is returned as it is. It rejects only
 * when `fetch` does, or with the wallet's typed error when the payment itself is refused
 * (spending policy, balance, the hub), before anything is retried.
 *
 * The request's signal (`init.signal`, or the `Request`'s) goes to both requests and to
 * the payment: aborted before the 402 came back, the first request rejects as `fetch`
 * does; after that but before the payment was signed, nothing is paid and the call
 * rejects with `WalletError('ABORTED')`; after it was signed, with
 * `WalletError('ABORTED_AFTER_SIGNING')` (the payment still completes; its receipt is in
 * the wallet's history()); after it was paid, the retry rejects as `fetch` does.
 *
 * @example
 * ```ts
 * import { createPayingFetch } from '@trickle/client';
 * declare const wallet: import('@trickle/client').PayingWallet;
 * const payingFetch = createPayingFetch(wallet, { networkId: 1 });
 * const response = await payingFetch('https://news.example/articles/42');
 * ```
 */
export function createPayingFetch(
  wallet: PayingWallet,
  options: PayingFetchOptions,
): (input: RequestInfo | URL, init?: RequestInit) => Promise<Response> {
  const clock = options.clock ?? systemClock;
  const baseFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const cache = options.entitlements ?? memoryEntitlementCache(clock);
  const hubIdOf = typeof options.hubId === 'function' ? options.hubId : () => options.hubId as string | undefined;
  const offerAhead = options.offerAhead ?? true;
  const ahead = new LruMap<string, TrickleOffer[]>(offersAheadResourcesMax);

  /** The offer this wallet can pay: its network and (once known) its hub. */
  const payable = (offers: readonly TrickleOffer[]): TrickleOffer | undefined => {
    const hubId = hubIdOf()?.toLowerCase();
    return offers.find(
      (o) => o.request.networkId === options.networkId && (hubId === undefined || toHex(o.request.hubId) === hubId),
    );
  };

  /** Takes (single use) an invoice kept ahead for `key` that still has {@link offerAheadMarginMs} to live. */
  const takeAhead = (key: string): TrickleOffer | undefined => {
    const list = ahead.get(key);
    if (list === undefined) return undefined;
    const now = clock.nowMs();
    let offer = list.shift();
    while (offer !== undefined && offer.request.expiresAtMs - now < offerAheadMarginMs) offer = list.shift();
    if (list.length === 0) ahead.delete(key);
    return offer;
  };

  /** Keeps the invoice a paid answer sent ahead for the next call to `key`. */
  const keepAhead = (key: string, response: Response): void => {
    const header = response.headers.get(http402Headers.nextOffer);
    if (!offerAhead || header === null) return;
    let offer: TrickleOffer | undefined;
    try {
      offer = payable(trickleOffersOf(decodePaymentRequiredHeader(header)));
    } catch {
      return; // unreadable: the next call goes through the 402 as before
    }
    if (offer === undefined) return;
    const list = ahead.get(key) ?? [];
    if (list.length < offersAheadPerResourceMax) list.push(offer);
    ahead.set(key, list);
  };

  const paymentHeader = (offer: TrickleOffer, receipt: Receipt): string =>
    encodePaymentSignatureHeader(createTricklePaymentPayload({ accepted: offer.requirements, receipt }));

  return async (input, init) => {
    const request = new Request(input, init);
    const key = resourceKey(request);
    const tokens = cache.get(key);
    // Keep an unsent copy: a request body can be read only once.
    const retry = request.clone();
    const known = tokens.length === 0 && offerAhead ? takeAhead(key) : undefined;
    if (tokens.length > 0) request.headers.set(http402Headers.entitlement, formatEntitlementHeader(tokens));
    if (known !== undefined) {
      const receipt = await wallet.pay(known.request, { signal: request.signal });
      request.headers.set(http402Headers.paymentSignature, paymentHeader(known, receipt));
    }
    const first = await baseFetch(request);
    if (first.status !== 402) {
      if (known !== undefined) keepAhead(key, first);
      return first;
    }

    const offer = payable(await offersOf(first));
    if (offer === undefined) return first;
    let receipt: Receipt;
    try {
      receipt = await wallet.pay(offer.request, { signal: request.signal });
    } finally {
      await first.body?.cancel().catch(() => undefined);
    }

    retry.headers.delete(http402Headers.entitlement);
    retry.headers.set(http402Headers.paymentSignature, paymentHeader(offer, receipt));
    const paid = await baseFetch(retry);
    keepAhead(key, paid);
    const token = paid.headers.get(http402Headers.entitlement);
    if (paid.ok && token !== null) {
      try {
        cache.add(key, token, decodeEntitlement(token).expiresAtMs);
      } catch {
        // A malformed entitlement is simply not kept: the next read pays again.
      }
    }
    return paid;
  };
}
