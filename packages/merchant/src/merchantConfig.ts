/**
 * The merchant's configuration and its checked, derived form. Every value is checked once,
 * at startup, with a titled `TypeError`/`RangeError`, so a misconfigured server fails to
 * start rather than failing payments.
 */
import {
  type Asset,
  asPublicKey,
  asSecretKey,
  assertNetworkId,
  asset as checkAsset,
  createSigner,
  deriveMerchantKey,
  type HubId,
  hubIdFromKey,
  isValidPublicKey,
  LruMap,
  type MerchantKey,
  nobleVerifier,
  type PayeeId,
  type PublicKey,
  payeeIdFromKey,
  publicKeyOf,
  type RandomBytes,
  type Signer,
  trickleNetwork,
  urlCharsMax,
  type Verifier,
} from '@trickle/protocol';
import { type Clock, systemClock } from './clock.js';
import type { InvoiceStore } from './invoiceStore.js';
import {
  entitlementTtlMsDefault,
  entitlementTtlMsMax,
  entitlementTtlMsMin,
  invoiceTtlMsDefault,
  invoiceTtlMsMax,
  invoiceTtlMsMin,
  paidRetryGraceMsDefault,
  paidRetryGraceMsMax,
  verifiedEntitlementsCachedMax,
} from './limits.js';
import { createMemoryInvoiceStore } from './memoryInvoiceStore.js';

/** The hub a merchant is paid through. */
export interface HubSettings {
  /** The hub's 33-byte compressed secp256k1 public key. */
  readonly publicKey: Uint8Array;
  /** Where wallets reach the hub: `wss://…` (or `ws:`, `https:`, `http:`). Shown in every offer. */
  readonly url: string;
  /** The network (a u32) the hub and its channels live on. */
  readonly networkId: number;
}

/** How entitlement cookies are set. */
export interface EntitlementCookieSettings {
  /** Default `true`: cookies only over HTTPS (browsers treat `localhost` as secure too). */
  readonly secure?: boolean;
  /** Default `'Lax'`. */
  readonly sameSite?: 'Strict' | 'Lax' | 'None';
}

/** Configuration of {@link createMerchant}. */
export interface MerchantConfig {
  /** The merchant's 32-byte secp256k1 secret key: derives its payee id, its MAC key with the hub, and signs entitlements. Never log it. */
  readonly secretKey: Uint8Array;
  readonly hub: HubSettings;
  /** The asset prices are in, e.g. `{ code: 'USD', scale: 6 }`. */
  readonly asset: Asset;
  /** How long an offer stays payable. Default 5 minutes; 1 s to 1 day. */
  readonly invoiceTtlMs?: number;
  /** How long an entitlement works. Default 30 days; 1 s to 366 days. Routes may override. */
  readonly entitlementTtlMs?: number;
  /** How long after an invoice's expiry its paid retry is still honoured. Default 1 minute; at most 10. */
  readonly paidRetryGraceMs?: number;
  /**
   * Where used invoices are remembered. Default: a memory store (one process, forgotten on
   * restart); `sqliteInvoiceStore` or `postgresInvoiceStore` for several processes or restarts.
   */
  readonly invoiceStore?: InvoiceStore;
  /** Default {@link systemClock}. */
  readonly clock?: Clock;
  /** Secure random bytes for invoice ids and hedged signatures. Default `crypto.getRandomValues`. */
  readonly randomBytes?: RandomBytes;
  /** Checks entitlement signatures. Default `nobleVerifier` (pure JS, runs anywhere). */
  readonly verifier?: Verifier;
  /** Also hand entitlements out as `HttpOnly` cookies scoped to the resource's path. Default on; `false` turns it off. */
  readonly entitlementCookie?: false | EntitlementCookieSettings;
}

/** The checked configuration and what is derived from it; internal to the merchant. */
export interface MerchantContext {
  readonly publicKey: PublicKey;
  readonly payee: PayeeId;
  readonly hubId: HubId;
  readonly hubUrl: string;
  readonly networkId: number;
  readonly network: string;
  readonly asset: Asset;
  readonly invoiceTtlMs: number;
  readonly entitlementTtlMs: number;
  readonly paidRetryGraceMs: number;
  readonly invoiceStore: InvoiceStore;
  readonly clock: Clock;
  readonly randomBytes: RandomBytes;
  readonly verifier: Verifier;
  readonly entitlementCookie: false | Required<EntitlementCookieSettings>;
  /** The key shared with the hub: MACs of payment requests and receipts. */
  readonly macKey: MerchantKey;
  /** Signs entitlements with the merchant's key. */
  readonly signer: Signer;
  /** Entitlement tokens whose signature verified, most recently used last (bounded). */
  readonly verifiedEntitlements: LruMap<string, true>;
}

/**
 * Checks a duration setting: an integer number of milliseconds in `min..max`.
 *
 * @example
 * ```ts
 * import { checkDurationMs } from '@trickle/merchant';
 * checkDurationMs(60_000, 'invoiceTtlMs', 1_000, 86_400_000); // 60000
 * ```
 */
export function checkDurationMs(value: unknown, title: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new TypeError(`${title}: expected integer milliseconds`);
  if (value < min || value > max) throw new RangeError(`${title}: expected ${min}..${max} ms, got ${value}`);
  return value;
}

const defaultRandomBytes: RandomBytes = (length) => {
  const cryptoApi = (globalThis as { crypto?: { getRandomValues?: <T extends Uint8Array>(array: T) => T } }).crypto;
  if (cryptoApi?.getRandomValues === undefined) {
    throw new TypeError('randomBytes: no crypto.getRandomValues here; pass randomBytes in the merchant config');
  }
  return cryptoApi.getRandomValues(new Uint8Array(length));
};

/**
 * Checks a {@link MerchantConfig} and derives the payee id, hub id and the MAC key shared
 * with the hub.
 *
 * @example
 * ```ts
 * import { resolveMerchantConfig, type MerchantConfig } from '@trickle/merchant';
 * declare const config: MerchantConfig;
 * resolveMerchantConfig(config).network; // e.g. 'trickle:7'
 * ```
 */
export function resolveMerchantConfig(config: MerchantConfig): MerchantContext {
  if (typeof config !== 'object' || config === null) throw new TypeError('config: expected an object');
  const secretKey = asSecretKey(config.secretKey);
  const publicKey = publicKeyOf(secretKey);
  const hub = config.hub;
  if (typeof hub !== 'object' || hub === null) throw new TypeError('hub: expected { publicKey, url, networkId }');
  const hubKey = asPublicKey(hub.publicKey);
  if (!isValidPublicKey(hubKey)) throw new RangeError('hub.publicKey: not a valid compressed secp256k1 point');
  const networkId = assertNetworkId(hub.networkId);
  const hubUrl = checkHubUrl(hub.url);
  const hubId = hubIdFromKey(hubKey);
  const payee = payeeIdFromKey(publicKey);
  const randomBytes = config.randomBytes ?? defaultRandomBytes;
  if (typeof randomBytes !== 'function') throw new TypeError('randomBytes: expected a function');
  const cookie = config.entitlementCookie;
  return {
    publicKey,
    payee,
    hubId,
    hubUrl,
    networkId,
    network: trickleNetwork(networkId),
    asset: checkAsset(config.asset?.code, config.asset?.scale),
    invoiceTtlMs: checkDurationMs(
      config.invoiceTtlMs ?? invoiceTtlMsDefault,
      'invoiceTtlMs',
      invoiceTtlMsMin,
      invoiceTtlMsMax,
    ),
    entitlementTtlMs: checkDurationMs(
      config.entitlementTtlMs ?? entitlementTtlMsDefault,
      'entitlementTtlMs',
      entitlementTtlMsMin,
      entitlementTtlMsMax,
    ),
    paidRetryGraceMs: checkDurationMs(
      config.paidRetryGraceMs ?? paidRetryGraceMsDefault,
      'paidRetryGraceMs',
      0,
      paidRetryGraceMsMax,
    ),
    invoiceStore:
      config.invoiceStore ?? createMemoryInvoiceStore(config.clock === undefined ? {} : { clock: config.clock }),
    clock: config.clock ?? systemClock,
    randomBytes,
    verifier: config.verifier ?? nobleVerifier,
    verifiedEntitlements: new LruMap(verifiedEntitlementsCachedMax),
    entitlementCookie:
      cookie === false ? false : { secure: cookie?.secure ?? true, sameSite: cookie?.sameSite ?? 'Lax' },
    macKey: deriveMerchantKey({ secretKey, peerKey: hubKey, networkId, hubId, payeeId: payee }),
    signer: createSigner(secretKey, { randomBytes }),
  };
}

function checkHubUrl(value: unknown): string {
  if (typeof value !== 'string' || value.length > urlCharsMax) throw new TypeError('hub.url: expected a URL string');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`hub.url: not a URL: ${value.slice(0, 80)}`);
  }
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol)) {
    throw new RangeError('hub.url: expected a ws:, wss:, http: or https: URL');
  }
  if (!/^[\x21-\x7e]+$/.test(value)) throw new RangeError('hub.url: expected printable ASCII without spaces');
  return value;
}
