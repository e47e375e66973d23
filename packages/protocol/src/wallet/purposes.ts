/**
 * Why the machine asked for a signature or a write: the shell echoes the purpose back
 * with the result, so the machine knows what to do next without keeping callbacks.
 */
import type { Asset } from '../amount.js';
import type { ChannelState, HubMessageOf } from '../messages.js';
import type { Point } from './records.js';
import type { Recovery } from './walletState.js';
import type { IncomingPayment, PaymentsCleared } from './walletTypes.js';

/** What a signature is for. */
export type SignPurpose =
  /** The answer to the hub's challenge on connection `generation`. */
  | { readonly kind: 'auth'; readonly generation: number }
  /** The voucher of the batch being signed. */
  | { readonly kind: 'voucher' }
  /** An openChannel call's open request. */
  | {
      readonly kind: 'open';
      readonly call: number;
      readonly nonce: Uint8Array;
      readonly asset: Asset;
      readonly deposit: bigint;
      readonly expiresAtMs: number;
    }
  /** A top-up to the new total `deposit`. */
  | { readonly kind: 'topUp'; readonly deposit: bigint }
  /** A close at `point`. */
  | { readonly kind: 'close'; readonly point: Point }
  /** A forced close at the acknowledged `point` (a voucher signature, what the ledger verifies). */
  | { readonly kind: 'forceClose'; readonly point: Point };

/** What follows a refused voucher once the change dropping it is written. */
export interface KillFollowUp {
  /**
   * `held`: the hub refuses by the channel's status yet holds the voucher (adopt its state, recover
   * the receipts, fail the rest); `diverged`: the hub's state differs (adopt it if this wallet signed
   * it); `plain`: sign the rest again.
   */
  readonly kind: 'held' | 'diverged' | 'plain';
  /** Payments to sign again (or to recover first). */
  readonly again: readonly number[];
  readonly hubState: ChannelState | undefined;
  readonly error: Error;
  /** The signed seq before the refusal (for the `resynced` event). */
  readonly from: number;
  /** Vouchers dropped. */
  readonly dropped: number;
}

/** What a write is for. */
export type WritePurpose =
  /** The hub pinned at first contact, on connection `generation`; then answer its challenge. */
  | { readonly kind: 'pin'; readonly generation: number; readonly challenge: Uint8Array }
  /** A batch of signed vouchers; then send them. */
  | { readonly kind: 'vouchers'; readonly serials: readonly number[] }
  /** The channel signed and opening; then send the open request. */
  | { readonly kind: 'opening'; readonly call: number }
  /** The channel confirmed open; then answer the call. */
  | { readonly kind: 'opened'; readonly call: number | undefined }
  /** A signed top-up; then send it. */
  | { readonly kind: 'topUpSigned' }
  /** A confirmed top-up; then answer the call. */
  | { readonly kind: 'toppedUp' }
  /** The signed close; then send it. */
  | { readonly kind: 'closing' }
  /** The channel closed (a failure is reported). */
  | { readonly kind: 'closed' }
  /** Refused vouchers dropped; then `followUp`. */
  | { readonly kind: 'killed'; readonly followUp: KillFollowUp }
  /** The hub's state adopted; then recover the receipts. */
  | { readonly kind: 'adopted'; readonly recovery: Recovery }
  /** The channel marked closing for a forced close; then send it. */
  | { readonly kind: 'forceClosing' }
  /** The channel marked closing after the hub's notice; then tell the listeners. */
  | { readonly kind: 'noticeClosing'; readonly notice: HubMessageOf<'closing'> }
  /** An incoming payment held durably; then tell the listeners and acknowledge it to the hub. */
  | { readonly kind: 'incoming'; readonly payment: IncomingPayment }
  /** A clearing notice held durably; then tell the listeners and acknowledge it to the hub. */
  | { readonly kind: 'cleared'; readonly cleared: PaymentsCleared }
  /** Nothing follows, and a failure is not reported (its caller fails anyway). */
  | { readonly kind: 'quiet' };
