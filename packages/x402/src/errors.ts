/** The x402 plug-in's own failures: a misconfigured server scheme or an offer a client will not pay. */
import { TrickleError } from '@trickle/protocol';

/**
 * Codes of {@link X402TrickleError}:
 * - `WRONG_NETWORK`: the x402 network id is not the merchant's or the wallet's `trickle:<networkId>`;
 * - `WRONG_HUB`: an offer names another hub than the wallet's;
 * - `WRONG_ASSET`: a price or an offer is in another asset than the merchant's;
 * - `BAD_PRICE`: a price that is not a positive amount of the asset (syntax, precision, zero);
 * - `WRONG_PAYEE`: a route's `payTo` is not the merchant's payee id;
 * - `OVER_SPEND_CAP`: an offer above the x402 client's `maxAmountPerPayment`;
 * - `UNSUPPORTED_VERSION`: an x402 version other than 2.
 */
export type X402TrickleErrorCode =
  | 'WRONG_NETWORK'
  | 'WRONG_HUB'
  | 'WRONG_ASSET'
  | 'BAD_PRICE'
  | 'WRONG_PAYEE'
  | 'OVER_SPEND_CAP'
  | 'UNSUPPORTED_VERSION';

/**
 * Thrown by the Trickle scheme's x402 hooks. x402's server turns a throw while building
 * requirements into a startup or 5xx error; x402's client rejects the paying fetch with it.
 * Nothing was paid when it is thrown.
 *
 * @example
 * ```ts
 * import { X402TrickleError } from '@trickle/x402';
 * const error = new X402TrickleError('WRONG_NETWORK', 'offer is for trickle:9, the wallet is on trickle:7');
 * error.code; // 'WRONG_NETWORK'
 * ```
 */
export class X402TrickleError extends TrickleError {
  override name = 'X402TrickleError';
  declare readonly code: X402TrickleErrorCode;
  constructor(code: X402TrickleErrorCode, shortMessage: string, options?: { details?: string; cause?: unknown }) {
    super(code, shortMessage, options);
  }
}
