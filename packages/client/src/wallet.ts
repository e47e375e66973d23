/**
 * The wallet's public shapes and default limits: options, the Wallet interface, balances,
 * events. The behaviour is in createWallet.ts.
 */

import type {
  Asset,
  ChannelId,
  ChannelState,
  HubId,
  PaymentRequest,
  PublicKey,
  RandomBytes,
  Receipt,
  RecordedClose,
  SecretKey,
  Signer,
  Verifier,
} from '@trickle/protocol';
import type { EntitlementCache } from './payingFetch.js';
import type { SpendingPolicy } from './policy.js';
import type { ChannelRecord, HistoryRecord, WalletStore } from './store/walletStore.js';
import type { Transport } from './transport/transport.js';
import type { ForceCloseResult } from './unilateral.js';

/** Vouchers in flight (signed, sent, not acknowledged) at most. */
export const inFlightVouchersMax = 64;
/** Payments waiting to be signed at most; beyond it pay() fails with QUEUE_FULL. */
export const queuedPaymentsMax = 100_000;
/** First reconnect delay, in ms (doubled per failed attempt, with jitter). */
export const reconnectDelayMsMin = 100;
/** Longest reconnect delay, in ms. */
export const reconnectDelayMsMax = 10_000;
/** Delay before resending vouchers and requests the hub asked to retry (rate limited, overloaded), in ms. */
export const resendDelayMs = 50;
/** Times one payment is re-signed after its voucher was refused for another payment's fault. */
export const paymentAttemptsMax = 4;
/** Default channel lifetime from its open, in ms (30 days). */
export const channelLifetimeMs = 30 * 24 * 3_600_000;

/** Where the hub is and who it must be. */
export interface HubAddress {
  /** `ws://` or `wss://` URL. */
  readonly url: string;
  /** The network every signature is bound to. */
  readonly networkId: number;
  /** The hub id (bytes or hex) to insist on; default: pinned at first contact and kept in the store. */
  readonly hubId?: HubId | string;
}

/** Options of {@link createWallet}. */
export interface CreateWalletOptions {
  /** The payer's secret key (32 bytes) or a Signer. */
  readonly key: SecretKey | Signer;
  readonly hub: HubAddress;
  /** Where signed state is persisted before it is sent: memoryStore(), fileStore() (Node), indexedDbStore() (browser). */
  readonly store: WalletStore;
  /** Spending caps. Default: none. */
  readonly policy?: SpendingPolicy;
  /** Emit `balanceLow` when the available balance drops below this many minor units. Default: never. */
  readonly balanceLowAt?: bigint;
  /** The connection. Default: `ws` in Node, the global WebSocket elsewhere. */
  readonly transport?: Transport;
  /** Time source. Default `Date.now`. */
  readonly clock?: { nowMs(): number };
  /** Randomness (channel nonces, signing entropy, jitter). Default `crypto.getRandomValues`. */
  readonly randomBytes?: RandomBytes;
  /** Checks the hub's reported states before adopting them. Default protocol's nobleVerifier. */
  readonly verifier?: Verifier;
  /** Default {@link inFlightVouchersMax} (64). */
  readonly inFlightVouchersMax?: number;
  /** Default {@link queuedPaymentsMax} (100,000). */
  readonly queuedPaymentsMax?: number;
  /** Default {@link reconnectDelayMsMin} (100). */
  readonly reconnectDelayMsMin?: number;
  /** Default {@link reconnectDelayMsMax} (10,000). */
  readonly reconnectDelayMsMax?: number;
  /** The `fetch` that `wallet.fetch` wraps. Default the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Where `wallet.fetch` keeps entitlements. Default in memory (browsers also keep the merchant's cookie). */
  readonly entitlements?: EntitlementCache;
}

/** The wallet's balance. */
export interface Balance {
  readonly channelId: ChannelId;
  readonly asset: Asset;
  readonly status: ChannelRecord['status'];
  /** Total deposited. */
  readonly deposit: bigint;
  /** Signed so far (acknowledged or in flight). */
  readonly spent: bigint;
  /** Acknowledged by the hub. */
  readonly acknowledged: bigint;
  /** deposit - spent: what can still be paid. */
  readonly available: bigint;
}

/** What close() reports. */
export interface CloseResult {
  /** deposit - cumulative, returned to the payer's ledger account. */
  readonly refund: bigint;
  readonly state: ChannelState;
}

/** The wallet's events and their payloads. */
export interface WalletEvents {
  /** One payment was acknowledged. */
  receipt: Receipt;
  /** The available balance fell below `balanceLowAt`. */
  balanceLow: { readonly available: bigint; readonly threshold: bigint };
  /** The connection was lost (the wallet reconnects by itself). */
  disconnected: { readonly code: number; readonly reason: string };
  /** Connected and resynced again after a disconnect. */
  reconnected: { readonly attempts: number };
  /** The local state was replaced by (or rolled back to) the hub's. */
  resynced: { readonly from: number; readonly to: number };
  /** The channel was closed (finalized on the ledger: a close, expiry, or a forced close whose window ended). */
  closed: CloseResult;
  /**
   * A close is recorded on the ledger for the channel (this wallet's forced close, or the
   * hub's answer to it with a newer state): it settles at `close` when `close.endsAtMs` comes.
   */
  closing: { readonly channelId: ChannelId; readonly close: RecordedClose; readonly state: ChannelState };
  /** A failure the wallet cannot recover from by itself (wrong hub, store failure). */
  error: Error;
}

/** A running wallet. */
export interface Wallet {
  /** The payer's public key. */
  readonly publicKey: PublicKey;
  /** Opens a channel with `deposit` minor units. Resolves once the hub has made it durable. */
  openChannel(parameters: OpenChannelParameters): Promise<Balance>;
  /** Raises the deposit by `amount`. */
  topUp(parameters: { readonly amount: bigint }): Promise<Balance>;
  /**
   * Pays a payment request (object or token); resolves to the hub's receipt. It waits
   * across reconnects; `options.signal` stops the wait (see {@link PayOptions}): before
   * the payment is signed it is removed and pay() rejects with `WalletError('ABORTED')`,
   * after that with `WalletError('ABORTED_AFTER_SIGNING')` while the payment completes.
   *
   * @example
   * ```ts
   * declare const wallet: import('@trickle/client').Wallet;
   * declare const token: string;
   * const receipt = await wallet.pay(token, { signal: AbortSignal.timeout(5_000) });
   * ```
   */
  pay(request: PaymentRequest | string, options?: PayOptions): Promise<Receipt>;
  /** The balance, or undefined without a channel. */
  balance(): Balance | undefined;
  /** Closes the channel cooperatively once every payment is acknowledged; reports the refund. */
  close(): Promise<CloseResult>;
  /**
   * Closes the channel unilaterally, without the hub's agreement: once every payment is
   * answered, the wallet's latest acknowledged state is recorded on the ledger, and it
   * settles when the challenge window ends (the hub may answer with a newer state it holds;
   * a `closing` event tells). The refund arrives with the `closed` event. Payments stop.
   *
   * @example
   * ```ts
   * declare const wallet: import('@trickle/client').Wallet;
   * wallet.on('closed', ({ refund }) => console.log(`refunded ${refund}`));
   * const { close } = await wallet.forceClose();
   * ```
   */
  forceClose(): Promise<ForceCloseResult>;
  /** Paid entries with their receipt tokens, oldest first (the most recent 10,000). */
  history(): readonly HistoryEntry[];
  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof WalletEvents>(event: K, listener: (payload: WalletEvents[K]) => void): () => void;
  /**
   * A drop-in `fetch` that answers `402 Payment Required` by paying the offer for this
   * wallet's hub (within the spending policy; nothing is signed if it refuses) and retrying
   * once with the receipt. Entitlements the merchant hands back are kept, so reading the
   * same resource again does not pay again. `init.signal` aborts the requests and the
   * payment, as pay()'s `options.signal` does.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** True while connected and resynced. */
  readonly connected: boolean;
  /** Disconnects and closes the store without closing the channel; queued payments fail with STOPPED. */
  stop(): Promise<void>;
}

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

/** One paid entry, as {@link Wallet.history} returns it. */
export interface HistoryEntry extends HistoryRecord {
  /** The receipt as a token for the merchant (protocol's encodeReceipt). */
  readonly receipt: string;
}

/** Parameters of {@link Wallet.openChannel}. */
export interface OpenChannelParameters {
  /** Minor units moved from the payer's ledger account into the channel. */
  readonly deposit: bigint;
  /** Default `{ code: 'USD', scale: 6 }`. */
  readonly asset?: Asset;
  /** Lifetime from now, in ms. Default {@link channelLifetimeMs} (30 days). */
  readonly lifetimeMs?: number;
}
