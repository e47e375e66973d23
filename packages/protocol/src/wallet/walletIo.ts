/**
 * What goes into the wallet's machine (inputs: the caller's calls, the hub's frames, the
 * connection's events, timers, and the results of the store and the signer) and what comes
 * out (effects: frames to send, writes, signatures to make, timers, answers to calls,
 * events). The shell feeds inputs one at a time and carries out the effects in order.
 */
import type { Asset } from '../amount.js';
import type { Signature } from '../ids.js';
import type { ClientMessage, HubMessage } from '../messages.js';
import type { PaymentRequest } from '../paymentRequest.js';
import type { Receipt } from '../receipt.js';
import type { SignPurpose, WritePurpose } from './purposes.js';
import type { WalletChange } from './records.js';
import type { PeerPaymentCall, SpendReceivedCall, WalletState } from './walletState.js';
import type { Balance, CloseResult, ForceCloseResult, WalletEvents } from './walletTypes.js';

/** The wallet's timers: one of each at most is armed at a time. */
export type WalletTimer =
  /** Sign and send what is queued (next task, so that calls of one tick share a voucher). */
  | 'pump'
  /** Resend the vouchers the hub asked to retry. */
  | 'resend'
  /** Resend the requests the hub asked to retry. */
  | 'retryRequests'
  /** Connect again. */
  | 'reconnect';

/** An input without its time stamp: what the shell hands to its loop. */
export type WalletInputBody =
  /** Start connecting (once, after creation). */
  | { readonly type: 'start' }
  /** A pay() call; `aborted` when its signal had aborted already. */
  | {
      readonly type: 'pay';
      readonly call: number;
      readonly request: PaymentRequest | string;
      readonly aborted?: { readonly reason: unknown };
    }
  /** A caller's signal aborted these calls (pay or openChannel). */
  | { readonly type: 'abort'; readonly calls: readonly number[]; readonly reason: unknown }
  /** An openChannel() call, with the channel's nonce drawn by the shell. */
  | {
      readonly type: 'openChannel';
      readonly call: number;
      readonly deposit: bigint;
      readonly asset: Asset;
      readonly lifetimeMs: number;
      readonly nonce: Uint8Array;
      readonly aborted?: { readonly reason: unknown };
    }
  /** A payPeer() call: pay the wallet-payee `payee` (the hub makes the invoice). */
  | PeerPaymentCall
  /** A spendReceived() call. */
  | SpendReceivedCall
  /** A topUp() call. */
  | { readonly type: 'topUp'; readonly call: number; readonly amount: bigint }
  /** A close() call. */
  | { readonly type: 'close'; readonly call: number }
  /** A forceClose() call. */
  | { readonly type: 'forceClose'; readonly call: number }
  /** A stop() call. */
  | { readonly type: 'stop'; readonly call: number }
  /** The connection opened. */
  | { readonly type: 'connected' }
  /** A frame from the hub, decoded. */
  | { readonly type: 'frame'; readonly message: HubMessage }
  /** A frame from the hub that does not decode. */
  | { readonly type: 'malformedFrame' }
  /** The connection closed; `jitter` is a random byte for the reconnect delay. */
  | { readonly type: 'disconnected'; readonly code: number; readonly reason: string; readonly jitter: number }
  /** A timer fired. */
  | { readonly type: 'timer'; readonly timer: WalletTimer }
  /** A write is durable. */
  | { readonly type: 'written'; readonly purpose: WritePurpose }
  /** A write failed (`purpose` undefined: a staged write). */
  | { readonly type: 'writeFailed'; readonly purpose: WritePurpose | undefined; readonly error: unknown }
  /** The signer signed. */
  | { readonly type: 'signed'; readonly purpose: SignPurpose; readonly signature: Signature }
  /** The signer threw. */
  | { readonly type: 'signFailed'; readonly purpose: SignPurpose; readonly error: unknown };

/** One input of the wallet's machine: what happened, and when (the shell's clock). */
export type WalletInput = WalletInputBody & { readonly nowMs: number };

/** What a resolved call gets. */
export type CallResult = Receipt | Balance | CloseResult | ForceCloseResult | undefined;

/** An event effect, typed by event name. */
export type EmitEffect = {
  [K in keyof WalletEvents]: { readonly type: 'emit'; readonly event: K; readonly payload: WalletEvents[K] };
}[keyof WalletEvents];

/** One thing for the shell to do. */
export type WalletEffect =
  /** Open a connection to the hub. */
  | { readonly type: 'connect' }
  /** Close the current connection. */
  | { readonly type: 'disconnect'; readonly code: number; readonly reason: string }
  /** Send a frame on the current connection (dropped when there is none). */
  | { readonly type: 'send'; readonly message: ClientMessage }
  /** Sign `message`; feed back `signed` or `signFailed` before any other input. */
  | { readonly type: 'sign'; readonly purpose: SignPurpose; readonly message: Uint8Array }
  /** Write `change` durably, after every write before it; feed back `written` or `writeFailed`. */
  | { readonly type: 'write'; readonly change: WalletChange; readonly purpose: WritePurpose }
  /** Write `change` with the next write or soon; it need not be durable before anything else. */
  | { readonly type: 'stage'; readonly change: WalletChange }
  /** Arm `timer` (0: the next task); feed back `timer`. */
  | { readonly type: 'setTimer'; readonly timer: WalletTimer; readonly delayMs: number }
  /** Disarm `timer`. */
  | { readonly type: 'clearTimer'; readonly timer: WalletTimer }
  /** Answer a call. */
  | { readonly type: 'resolve'; readonly call: number; readonly value: CallResult }
  /** Fail a call. */
  | { readonly type: 'reject'; readonly call: number; readonly error: unknown }
  /** Tell the listeners. */
  | EmitEffect
  /** Flush the writes, close the store, then resolve the stop call. */
  | { readonly type: 'shutdown'; readonly call: number };

/** The result of one step: the next state and what to do, in order. */
export interface WalletStep {
  readonly state: WalletState;
  readonly effects: readonly WalletEffect[];
}
