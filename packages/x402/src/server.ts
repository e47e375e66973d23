/**
 * The server side of scheme `trickle` for `@x402/core`'s `x402ResourceServer`: prices routes
 * in the merchant's Trickle asset and fills each `402`'s entry with a fresh single-use
 * invoice (the merchant's MAC'd payment request) bound to the request's resource.
 */
import { createRequestFacts, defaultResourceName, type Merchant } from '@trickle/merchant';
import { AmountError, formatAmount, parseAmount, toHex, trickleScheme } from '@trickle/protocol';
import type {
  AssetAmount,
  Network,
  PaymentFlowConfig,
  PaymentRequirements,
  Price,
  SchemeNetworkServer,
  SchemePaymentRequiredContext,
  SupportedKind,
} from '@x402/core/types';
import { X402TrickleError } from './errors.js';
import { tricklePaymentFlow } from './wire.js';

/** The invoice's fields of an entry's `extra`: new on every `402`, so x402 leaves them out when it matches a paid retry to its entry. */
export const trickleDynamicExtraFields: readonly string[] = Object.freeze(['expiresAtMs', 'paymentRequest']);

/**
 * How the server scheme names the resource an invoice is bound to, from x402's request
 * context: its method and path as x402 routed them.
 */
export type TrickleResourceNaming = (request: { readonly method: string; readonly path: string }) => string;

/** Options of {@link TrickleServerScheme}. */
export interface TrickleServerSchemeOptions {
  /**
   * Names the resource of a request (what an invoice is bound to). Default `METHOD path`, `HEAD`
   * as `GET`, as Trickle's own paywall names them. A route may also set `extra.resource` itself.
   */
  readonly resourceName?: TrickleResourceNaming;
}

/**
 * x402's `SchemeNetworkServer` for scheme `trickle` on the merchant's network
 * (`merchant.network`, `trickle:<networkId>`). Register it on an `x402ResourceServer` next to
 * {@link TrickleFacilitatorClient}; its routes' `payTo` is `merchant.payee` in hex (or `''`,
 * filled in) and their `price` a decimal string of the merchant's asset (`'0.001'`,
 * `'0.001 USD'`, `'$0.001'` when the asset is USD) or `{ asset, amount }` in minor units.
 *
 * It declares x402's `upfront` payment flow: the invoice is redeemed (x402's settle) before
 * the route's handler runs, so two concurrent retries with one payment are never both served.
 *
 * @example
 * ```ts
 * import { x402ResourceServer } from '@x402/core/server';
 * import type { Merchant } from '@trickle/merchant';
 * import { TrickleFacilitatorClient, TrickleServerScheme } from '@trickle/x402';
 * declare const merchant: Merchant;
 * const server = new x402ResourceServer(new TrickleFacilitatorClient(merchant))
 *   .register(merchant.network as `${string}:${string}`, new TrickleServerScheme(merchant));
 * ```
 */
export class TrickleServerScheme implements SchemeNetworkServer {
  /** `trickle`. */
  readonly scheme = trickleScheme;
  /** Trickle has one way to move an asset, so x402's placeholder `default`. */
  readonly defaultAssetTransferMethod = 'default';
  /** Only `upfront`: redeem, then serve. */
  readonly paymentFlows: Readonly<Record<string, PaymentFlowConfig>> = Object.freeze({
    default: Object.freeze({ supported: [tricklePaymentFlow] as const, default: tricklePaymentFlow }),
  });
  /** See {@link trickleDynamicExtraFields}. */
  readonly dynamicExtraFields: string[] = [...trickleDynamicExtraFields];
  /** The network it prices for: `merchant.network`. */
  readonly network: Network;
  readonly #merchant: Merchant;
  readonly #resourceName: TrickleResourceNaming;

  constructor(merchant: Merchant, options: TrickleServerSchemeOptions = {}) {
    this.#merchant = merchant;
    this.network = merchant.network as Network;
    this.#resourceName =
      options.resourceName ??
      ((request) =>
        defaultResourceName({ ...createRequestFacts(request.method, resourceBase, {}), path: request.path }));
  }

  /**
   * A route's price in minor units of the merchant's asset. Throws {@link X402TrickleError}
   * (`WRONG_NETWORK`, `WRONG_ASSET`, `BAD_PRICE`) for a price it cannot take exactly.
   */
  async parsePrice(price: Price, network: Network): Promise<AssetAmount> {
    this.#checkNetwork(network);
    const { asset } = this.#merchant;
    let amount: bigint;
    if (typeof price === 'object' && price !== null) {
      if (price.asset !== asset.code) {
        throw new X402TrickleError('WRONG_ASSET', `price is in ${price.asset}, the merchant sells in ${asset.code}`);
      }
      if (typeof price.amount !== 'string' || !/^[0-9]{1,19}$/.test(price.amount)) {
        throw new X402TrickleError('BAD_PRICE', 'price.amount: expected minor units as decimal digits');
      }
      amount = BigInt(price.amount);
    } else {
      let text = typeof price === 'number' ? String(price) : price;
      if (typeof text !== 'string')
        throw new X402TrickleError('BAD_PRICE', 'price: expected a string, number or { asset, amount }');
      text = text.trim();
      if (text.startsWith('$')) {
        if (asset.code !== 'USD')
          throw new X402TrickleError(
            'WRONG_ASSET',
            `price "${text}" is in dollars, the merchant sells in ${asset.code}`,
          );
        text = text.slice(1);
      }
      try {
        amount = parseAmount(text, asset);
      } catch (error) {
        const code = error instanceof AmountError && error.code === 'ASSET_MISMATCH' ? 'WRONG_ASSET' : 'BAD_PRICE';
        throw new X402TrickleError(code, `price "${text}" is not an exact amount of ${asset.code}`, { cause: error });
      }
    }
    if (amount < 1n || amount > 0x7fff_ffff_ffff_ffffn) {
      throw new X402TrickleError('BAD_PRICE', `price: ${amount} minor units is not a payable amount`);
    }
    return { amount: amount.toString(), asset: asset.code };
  }

  /** Decimal places of the merchant's asset, for x402's `$` settlement overrides. */
  getAssetDecimals(asset: string, network: Network): number | undefined {
    return network === this.network && asset === this.#merchant.asset.code ? this.#merchant.asset.scale : undefined;
  }

  /**
   * Adds what does not change between requests: the payee, the hub's URL and id, the asset's
   * scale and the price for people. Throws {@link X402TrickleError} (`WRONG_NETWORK`,
   * `WRONG_ASSET`, `WRONG_PAYEE`) for a route that does not fit the merchant.
   */
  async enhancePaymentRequirements(
    requirements: PaymentRequirements,
    _supportedKind: SupportedKind,
    _facilitatorExtensions: string[],
  ): Promise<PaymentRequirements> {
    this.#checkNetwork(requirements.network);
    const merchant = this.#merchant;
    if (requirements.asset !== merchant.asset.code) {
      throw new X402TrickleError(
        'WRONG_ASSET',
        `requirements are in ${requirements.asset}, not ${merchant.asset.code}`,
      );
    }
    const payee = toHex(merchant.payee);
    if (requirements.payTo.trim() !== '' && requirements.payTo.toLowerCase() !== payee) {
      throw new X402TrickleError('WRONG_PAYEE', `payTo ${requirements.payTo} is not the merchant's payee id ${payee}`);
    }
    return {
      ...requirements,
      payTo: payee,
      extra: {
        ...requirements.extra,
        hubUrl: merchant.hubUrl,
        hubId: toHex(merchant.hubId),
        assetScale: merchant.asset.scale,
        price: formatAmount(BigInt(requirements.amount), merchant.asset, { withCode: true }),
      },
    };
  }

  /**
   * Puts a fresh invoice into each of its entries of a `402` that has none yet: the resource
   * name (unless the route set one), the expiry and the MAC'd payment request. Runs on every
   * protected request, the paid retry included, where the entry's resource is what the
   * payment is checked against.
   */
  async enrichPaymentRequiredResponse(context: SchemePaymentRequiredContext): Promise<PaymentRequirements[]> {
    const request = requestOf(context.transportContext);
    return context.requirements.map((entry) => {
      if (entry.scheme !== this.scheme || entry.network !== this.network) return entry;
      if (typeof entry.extra.paymentRequest === 'string') return entry;
      const named = entry.extra.resource;
      let resource: string;
      if (typeof named === 'string') resource = named;
      else if (request !== undefined) resource = this.#resourceName(request);
      else throw new TypeError('trickle: no request to name the resource after; set extra.resource on the route');
      const { requirements } = this.#merchant.createOffer({ resource, amount: BigInt(entry.amount) });
      return {
        ...entry,
        extra: {
          ...entry.extra,
          resource,
          expiresAtMs: requirements.extra.expiresAtMs,
          paymentRequest: requirements.extra.paymentRequest,
        },
      };
    });
  }

  #checkNetwork(network: string): void {
    if (network !== this.network) {
      throw new X402TrickleError('WRONG_NETWORK', `network ${network} is not the merchant's ${this.network}`);
    }
  }
}

/** Only the path names a resource; the request facts want some absolute URL. */
const resourceBase = new URL('http://resource.invalid/');

/** Method and path of x402's HTTP transport context, when there is one. */
function requestOf(transportContext: unknown): { method: string; path: string } | undefined {
  const request = (transportContext as { request?: unknown } | undefined)?.request as
    | { method?: unknown; path?: unknown; adapter?: { getMethod?: () => string } }
    | undefined;
  if (request === undefined || typeof request.path !== 'string') return undefined;
  const method = typeof request.method === 'string' ? request.method : request.adapter?.getMethod?.();
  if (typeof method !== 'string') return undefined;
  return { method: method.toUpperCase(), path: request.path };
}
