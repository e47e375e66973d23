/**
 * The client side of scheme `trickle` for `@x402/core`'s `x402Client` (and so for
 * `@x402/fetch`, `@x402/axios`): pays an offer through a Trickle wallet over its WebSocket
 * session to the hub and hands the hub's receipt back as the x402 payment payload.
 */
import type { PayOptions } from '@trickle/client';
import {
  asset,
  encodeReceipt,
  type PaymentRequest,
  type Receipt,
  readTrickleOffer,
  toHex,
  trickleScheme,
  x402Version,
} from '@trickle/protocol';
import type {
  DefaultAsset,
  Network,
  PaymentPayloadContext,
  PaymentPayloadResult,
  PaymentRequirements,
  SchemeNetworkClient,
} from '@x402/core/types';
import { X402TrickleError } from './errors.js';
import { trickleEntryOf } from './wire.js';

/** What the client scheme needs of a wallet: `@trickle/client`'s `Wallet` has it. */
export interface TricklePayer {
  /** Pays one payment request through the hub; resolves with its receipt. */
  pay(request: PaymentRequest, options?: PayOptions): Promise<Receipt>;
}

/** Options of {@link TrickleClientScheme}. */
export interface TrickleClientSchemeOptions {
  /** The network the wallet's hub is on: offers for another `trickle:<networkId>` are refused. */
  readonly networkId: number;
  /** The wallet's hub id (64 hex); when given, offers naming another hub are refused before paying. */
  readonly hubId?: string;
  /**
   * Decimal places of the hub's `USD` asset (default 6, the hub's default). x402's client
   * treats `USD` as a dollar asset with it, so its spend controls (`maxAmountPerPayment`,
   * default `$1`) apply; an offer of `USD` at another scale is refused. Other assets pass
   * x402's spend controls only through its `allowedAssets`.
   */
  readonly usdScale?: number;
}

/**
 * x402's `SchemeNetworkClient` for scheme `trickle`. Register it on an `x402Client` for
 * `trickle:<networkId>` (or `trickle:*`); `createPaymentPayload` reads the offer strictly
 * (every field must restate the merchant's payment request), refuses one for another
 * network or hub or above x402's `maxAmountPerPayment`, pays it through the wallet (whose
 * own spending policy applies too) and returns `{ paymentRequest, receipt }`.
 *
 * Throws `Http402Error` for a malformed offer, {@link X402TrickleError} (`WRONG_NETWORK`,
 * `WRONG_HUB`, `WRONG_ASSET`, `OVER_SPEND_CAP`, `UNSUPPORTED_VERSION`) before paying, or the wallet's
 * `WalletError`/`PolicyError`.
 *
 * @example
 * ```ts
 * import { x402Client } from '@x402/core/client';
 * import type { Wallet } from '@trickle/client';
 * import { TrickleClientScheme } from '@trickle/x402';
 * declare const wallet: Wallet;
 * const client = new x402Client().register('trickle:1', new TrickleClientScheme(wallet, { networkId: 1 }));
 * ```
 */
export class TrickleClientScheme implements SchemeNetworkClient {
  /** `trickle`. */
  readonly scheme = trickleScheme;
  readonly #wallet: TricklePayer;
  readonly #networkId: number;
  readonly #hubId: string | undefined;
  readonly #usdScale: number;

  constructor(wallet: TricklePayer, options: TrickleClientSchemeOptions) {
    this.#wallet = wallet;
    this.#networkId = options.networkId;
    this.#hubId = options.hubId?.toLowerCase();
    this.#usdScale = asset('USD', options.usdScale ?? 6).scale;
  }

  /** `USD` on its network is a dollar asset to x402's spend controls; nothing else is. */
  findDefaultAsset(assetCode: string, network: Network): DefaultAsset | undefined {
    if (assetCode !== 'USD' || network !== `trickle:${this.#networkId}`) return undefined;
    return { asset: 'USD', decimals: this.#usdScale, symbol: 'USD' };
  }

  /** Pays `paymentRequirements` through the wallet; the payload is the request token and the hub's receipt. */
  async createPaymentPayload(
    version: number,
    paymentRequirements: PaymentRequirements,
    context?: PaymentPayloadContext,
  ): Promise<PaymentPayloadResult> {
    if (version !== x402Version) throw new X402TrickleError('UNSUPPORTED_VERSION', `x402 version ${version}`);
    const { request, requirements } = readTrickleOffer(trickleEntryOf(paymentRequirements), 'requirements');
    if (request.networkId !== this.#networkId) {
      throw new X402TrickleError(
        'WRONG_NETWORK',
        `offer is for ${requirements.network}, the wallet is on trickle:${this.#networkId}`,
      );
    }
    if (this.#hubId !== undefined && toHex(request.hubId) !== this.#hubId) {
      throw new X402TrickleError('WRONG_HUB', `offer names hub ${toHex(request.hubId)}, not the wallet's`);
    }
    if (requirements.asset === 'USD' && requirements.extra.assetScale !== this.#usdScale) {
      throw new X402TrickleError(
        'WRONG_ASSET',
        `offer's USD has ${requirements.extra.assetScale} decimals, not ${this.#usdScale}`,
      );
    }
    const cap = context?.maxAmountPerPayment;
    if (cap !== undefined && (!/^[0-9]{1,30}$/.test(cap) || request.amount > BigInt(cap))) {
      throw new X402TrickleError(
        'OVER_SPEND_CAP',
        `offer of ${requirements.extra.price} is above the cap of ${cap} minor units`,
      );
    }
    const receipt = await this.#wallet.pay(request);
    return {
      x402Version,
      payload: { paymentRequest: requirements.extra.paymentRequest, receipt: encodeReceipt(receipt) },
    };
  }
}
