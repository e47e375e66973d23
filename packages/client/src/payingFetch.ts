/**
 * `wallet.fetch`: a drop-in `fetch` that answers `402 Payment Required` by paying and
 * retrying. It reads the x402-shaped `PAYMENT-REQUIRED` header, picks the Trickle offer
 * for this wallet's hub and network, pays it through the wallet (spending policy first,
 * nothing signed if it refuses), retries once with `PAYMENT-SIGNATURE`, and keeps the
 * entitlement the merchant hands back so that reading again does not pay again.
 * The request's signal aborts the payment too (pay()'s `options.signal`).
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

  return async (input, init) => {
    const request = new Request(input, init);
    const key = resourceKey(request);
    const tokens = cache.get(key);
    // Keep an unsent copy: a request body can be read only once.
    const retry = request.clone();
    if (tokens.length > 0) request.headers.set(http402Headers.entitlement, formatEntitlementHeader(tokens));
    const first = await baseFetch(request);
    if (first.status !== 402) return first;

    const hubId = hubIdOf()?.toLowerCase();
    const offer = (await offersOf(first)).find(
      (o) => o.request.networkId === options.networkId && (hubId === undefined || toHex(o.request.hubId) === hubId),
    );
    if (offer === undefined) return first;
    let receipt: Receipt;
    try {
      receipt = await wallet.pay(offer.request, { signal: request.signal });
    } finally {
      await first.body?.cancel().catch(() => undefined);
    }

    retry.headers.delete(http402Headers.entitlement);
    retry.headers.set(
      http402Headers.paymentSignature,
      encodePaymentSignatureHeader(createTricklePaymentPayload({ accepted: offer.requirements, receipt })),
    );
    const paid = await baseFetch(retry);
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
