/** Options of pay(): its own file, as both the wallet and `wallet.fetch` take them. */

/**
 * Options of {@link Wallet.pay}.
 *
 * @example
 * ```ts
 * import { WalletError, type PayOptions } from '@trickle/client';
 * declare const wallet: import('@trickle/client').Wallet;
 * declare const token: string;
 * const options: PayOptions = { signal: AbortSignal.timeout(5_000) };
 * try {
 *   await wallet.pay(token, options);
 * } catch (error) {
 *   if (error instanceof WalletError && error.code === 'ABORTED') {
 *     // Never signed: nothing was or will be charged; paying again is safe.
 *   } else if (error instanceof WalletError && error.code === 'ABORTED_AFTER_SIGNING') {
 *     // Signed: it is still delivered; its receipt comes as a `receipt` event and in history().
 *   }
 * }
 * ```
 */
export interface PayOptions {
  /**
   * Stops waiting for the receipt. Aborted before the payment was signed into a voucher
   * (still queued, for example while the hub is unreachable; or already aborted when
   * pay() is called): the payment is removed, nothing is signed or charged, and pay()
   * rejects with `WalletError('ABORTED')`. Aborted after it was signed: the voucher is
   * kept and sent until the hub answers, so the money is committed; pay() rejects with
   * `WalletError('ABORTED_AFTER_SIGNING')` and the receipt still arrives as a `receipt`
   * event and in history(). A payment whose voucher was refused and that waits to be
   * signed again counts as signed. The error's `cause` is the signal's reason. For a
   * timeout, pass `AbortSignal.timeout(ms)`.
   */
  readonly signal?: AbortSignal;
}
