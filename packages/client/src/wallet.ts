/**
 * The wallet's public shapes and default limits: options, the Wallet interface, balances,
 * events. The behaviour is in createWallet.ts.
 */

import type {
  Asset,
  Balance,
  Clock,
  CloseResult,
  ForceCloseResult,
  HistoryRecord,
  HubId,
  IncomingPayment,
  PayeeId,
  PaymentRequest,
  PublicKey,
  RandomBytes,
  Receipt,
  SecretKey,
  Signer,
  SpendingPolicy,
  Verifier,
  WalletEvents,
} from '@trickle/protocol';
import type { EntitlementCache } from './payingFetch.js';
import type { PayOptions } from './payOptions.js';
import type { WalletStore } from './store/walletStore.js';
import type { Transport } from './transport/transport.js';

export type { Balance, CloseResult, ForceCloseResult, IncomingPayment, WalletEvents } from '@trickle/protocol';
export {
  balanceLowPercentDefault,
  channelLifetimeMs,
  inFlightVouchersMax,
  paymentAttemptsMax,
  queuedPaymentsMax,
  reconnectDelayMsMax,
  reconnectDelayMsMin,
  resendDelayMs,
} from '@trickle/protocol';
export type { PayOptions } from './payOptions.js';

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
  /** Emit `balanceLow` when the available balance drops below this many minor units; `0n`: never. Default: `balanceLowPercent` of the deposit. */
  readonly balanceLowAt?: bigint;
  /** Without `balanceLowAt`: emit `balanceLow` below this percentage of the channel's deposit, 0..100 (0: never). Default 10. */
  readonly balanceLowPercent?: number;
  /** The connection. Default: `ws` in Node, the global WebSocket elsewhere. */
  readonly transport?: Transport;
  /** Time source. Default `Date.now`. */
  readonly clock?: Clock;
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
  /**
   * Take payments from other wallets (ADR 0240): on every connection the wallet registers
   * as a payee at its hub (its payee id is derived from its key; no operator step) and
   * receives what was paid to it, each payment once and in order, as a `payment` event
   * after it is stored (`incoming()` lists them). Default false.
   */
  readonly receive?: boolean;
  /** The `fetch` that `wallet.fetch` wraps. Default the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Where `wallet.fetch` keeps entitlements. Default in memory (browsers also keep the merchant's cookie). */
  readonly entitlements?: EntitlementCache;
}

/** A running wallet. */
export interface Wallet {
  /** The payer's public key. */
  readonly publicKey: PublicKey;
  /**
   * Opens a channel with `deposit` minor units. Resolves once the hub has made it durable.
   * It waits for the hub (across reconnects; an `unreachable` event says why it waits);
   * `parameters.signal` stops the wait, as pay()'s does: before the open was signed it
   * rejects with `WalletError('ABORTED')` and nothing was opened; after, with
   * `WalletError('ABORTED_AFTER_SIGNING')` while the open completes (see balance()).
   *
   * @example
   * ```ts
   * declare const wallet: import('@trickle/client').Wallet;
   * const balance = await wallet.openChannel({ deposit: 500_000n, signal: AbortSignal.timeout(10_000) });
   * ```
   */
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
  /** Paid entries with their receipt tokens, oldest first (the most recent 10,000, shared with incoming()). */
  history(): readonly HistoryEntry[];
  /**
   * This wallet's payee id (sha256 of its key, hex): what another wallet pays it by.
   *
   * @example
   * ```ts
   * declare const wallet: import('@trickle/client').Wallet;
   * console.log(`pay me at ${wallet.payeeId}`);
   * ```
   */
  readonly payeeId: string;
  /**
   * Pays another wallet by its payee id (it must receive: `createWallet({ receive: true })`
   * at the same hub). The hub makes the invoice; it is paid like any payment request, from
   * this wallet's channel, and resolves to the receipt. `options.memo` goes to the payee;
   * `options.reveal` tells it this wallet's payee id (default false: anonymous).
   *
   * @example
   * ```ts
   * declare const wallet: import('@trickle/client').Wallet;
   * const receipt = await wallet.payPeer('9f2c…payee id hex…', 2_500n, { memo: 'lunch', reveal: true });
   * ```
   */
  payPeer(payee: PayeeId | string, amount: bigint, options?: PeerPayOptions): Promise<Receipt>;
  /**
   * Payments this wallet received (with `receive: true`), oldest first, as stored: each
   * once, in the hub's order (the most recent 10,000, shared with history()).
   *
   * @example
   * ```ts
   * declare const wallet: import('@trickle/client').Wallet;
   * for (const p of wallet.incoming()) console.log(p.inboxSeq, p.amount, p.memo);
   * ```
   */
  incoming(): readonly IncomingPayment[];
  /**
   * A request for money to this wallet (ADR 0241): amount, memo and expiry at this wallet's
   * hub, signed with its key, as a token short enough for a QR code and a URL. Whoever has
   * it pays it with {@link Wallet.payRequest}; this wallet must receive (`receive: true`).
   * Throws `WalletError('NOT_CONNECTED')` before the wallet has reached its hub once.
   *
   * @example
   * ```ts
   * declare const wallet: import('@trickle/client').Wallet;
   * const token = wallet.requestMoney({ amount: 2_500n, memo: 'pizza', expiresInMs: 3_600_000 });
   * const link = `https://example.com/pay#request=${token}`;
   * ```
   */
  requestMoney(request: MoneyRequestParameters): string;
  /**
   * Pays a money request token: checks it names this wallet's hub and network and its
   * channel's asset, has not expired and is signed by its payee, then pays the payee its
   * amount with its memo (as {@link Wallet.payPeer}). Rejects with
   * `WalletError('REQUEST_INVALID')` otherwise, and nothing is paid.
   *
   * @example
   * ```ts
   * declare const wallet: import('@trickle/client').Wallet;
   * declare const token: string; // from a QR code or a link
   * const receipt = await wallet.payRequest(token, { reveal: true });
   * ```
   */
  payRequest(token: string, options?: { readonly reveal?: boolean }): Promise<Receipt>;
  /**
   * Spends what this wallet received before the payers' channels close (ADR 0242): the hub
   * claims the channels that paid it, moves `amount` from its payee account into its payer
   * account (within the operator's `receivedSpendMax`), and the wallet tops its open
   * channel up by `amount`. Resolves with the new balance. Rejects with the hub's refusal
   * (`INSUFFICIENT_FUNDS`: not that much received and settled; `REQUEST_INVALID`: off, or
   * over the limit) and then nothing moved.
   *
   * @example
   * ```ts
   * declare const wallet: import('@trickle/client').Wallet;
   * const balance = await wallet.spendReceived(4_000n);
   * await wallet.payPeer('9f2c…a friend…', 3_500n, { memo: 'your share' });
   * ```
   */
  spendReceived(amount: bigint): Promise<Balance>;
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
 * What {@link Wallet.requestMoney} asks for.
 *
 * @example
 * ```ts
 * import type { MoneyRequestParameters } from '@trickle/client';
 * const ask: MoneyRequestParameters = { amount: 12_345n, memo: 'rent split', expiresInMs: 86_400_000 };
 * ```
 */
export interface MoneyRequestParameters {
  /** Minor units, at least 1. */
  readonly amount: bigint;
  /** Up to 140 characters. Default `''`. */
  readonly memo?: string;
  /** How long it may be paid, in ms. Default {@link moneyRequestLifetimeMs} (one day). */
  readonly expiresInMs?: number;
  /** Default `{ code: 'USD', scale: 6 }`. */
  readonly asset?: Asset;
}

/** How long a money request may be paid unless told otherwise, in ms (one day). */
export const moneyRequestLifetimeMs = 24 * 3_600_000;

/**
 * Options of {@link Wallet.payPeer}.
 *
 * @example
 * ```ts
 * import type { PeerPayOptions } from '@trickle/client';
 * const options: PeerPayOptions = { memo: 'rent, December', reveal: true };
 * ```
 */
export interface PeerPayOptions {
  /** Told to the payee, up to `memoCharsMax` (140) characters. Default `''`. */
  readonly memo?: string;
  /** Tell the payee this wallet's payee id. Default false. */
  readonly reveal?: boolean;
}

/** One paid entry, as {@link Wallet.history} returns it. */
export interface HistoryEntry extends HistoryRecord {
  /** The receipt as a token for the merchant (protocol's encodeReceipt). */
  readonly receipt: string;
  /**
   * When the channel it was paid from was finalized on the ledger (Unix ms, as this wallet
   * learned it): `clearedAtMs - atMs + paymentMs` is its clearing time. Absent while the
   * channel is open.
   */
  readonly clearedAtMs?: number;
}

/** Parameters of {@link Wallet.openChannel}. */
export interface OpenChannelParameters {
  /** Minor units moved from the payer's ledger account into the channel. */
  readonly deposit: bigint;
  /** Default `{ code: 'USD', scale: 6 }`. */
  readonly asset?: Asset;
  /** Lifetime from now, in ms. Default {@link channelLifetimeMs} (30 days). */
  readonly lifetimeMs?: number;
  /**
   * Stops waiting. Aborted before the open request was signed (for example while the hub
   * is unreachable): nothing is signed or opened, and openChannel() rejects with
   * `WalletError('ABORTED')`. Aborted after: the signed open is saved and sent until the
   * hub answers, so the channel opens all the same; openChannel() rejects with
   * `WalletError('ABORTED_AFTER_SIGNING')`. For a time limit, `AbortSignal.timeout(ms)`.
   */
  readonly signal?: AbortSignal;
}
