/**
 * The wallet's public shapes that its machine produces: balances, close results, events,
 * and the configuration the machine runs with. `@trickle/client` re-exports the first three.
 */
import type { Asset } from '../amount.js';
import type { ChannelId, HubId, InvoiceId, Mac, PayeeId, PublicKey } from '../ids.js';
import type { Verifier } from '../keys.js';
import type { ChannelState, RecordedClose } from '../messages.js';
import type { Receipt } from '../receipt.js';
import type { SpendingPolicy } from './policy.js';
import type { ChannelRecordStatus } from './records.js';

/** The wallet's balance. */
export interface Balance {
  readonly channelId: ChannelId;
  readonly asset: Asset;
  readonly status: ChannelRecordStatus;
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

/**
 * What a forced close answers: the close the ledger holds now, and the hub's state.
 *
 * @example
 * ```ts
 * import type { ForceCloseResult } from '@trickle/protocol';
 * declare const result: ForceCloseResult; // what wallet.forceClose() resolves to
 * const { close } = result;
 * console.log(`settles at seq ${close.seq} when the window ends, at ${new Date(close.endsAtMs).toISOString()}`);
 * ```
 */
export interface ForceCloseResult {
  /** The state recorded (the hub may answer with a newer one it holds: a `closing` event says so). */
  readonly close: RecordedClose;
  readonly state: ChannelState;
}

/** The wallet's events and their payloads. */
export interface WalletEvents {
  /** One payment was acknowledged. */
  receipt: Receipt;
  /**
   * The channel is nearly spent: its available balance fell below the threshold
   * (`balanceLowAt`, else `balanceLowPercent` of the deposit). Once per crossing: again only
   * after a top-up (or a new channel) lifted the balance back above it.
   */
  balanceLow: { readonly available: bigint; readonly threshold: bigint };
  /** The connection was lost (the wallet reconnects by itself). */
  disconnected: { readonly code: number; readonly reason: string };
  /** Connected and resynced again after a disconnect. */
  reconnected: { readonly attempts: number };
  /**
   * An attempt to reach the hub failed before the hub welcomed the wallet (a wrong URL,
   * the hub down, a refused connection): `attempts` in a row so far, the transport's close
   * code and reason, and the delay until the next attempt. The wallet keeps trying.
   */
  unreachable: {
    readonly attempts: number;
    readonly code: number;
    readonly reason: string;
    readonly retryInMs: number;
  };
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
  /** A payment to this wallet arrived (receiving wallets only): once each, in the hub's order, after it is stored. */
  payment: IncomingPayment;
  /**
   * Payments this wallet received were settled on the ledger (receiving wallets only, ADR
   * 0243): once each, in the hub's order, after the payments it covers and after it is
   * stored; `incoming()` carries their `clearedAtMs` from then on.
   */
  cleared: PaymentsCleared;
}

/**
 * Payments this wallet received from one payer's channel that one ledger operation (a
 * claim, or the channel's finalization) settled: those in the payer's vouchers after
 * `afterVoucherSeq` up to `throughVoucherSeq`.
 *
 * @example
 * ```ts
 * import type { PaymentsCleared } from '@trickle/protocol';
 * declare const cleared: PaymentsCleared; // what wallet.on('cleared', ...) hands over
 * console.log(`${cleared.payments} payments, ${cleared.amount} ${cleared.asset.code}, settled at ${cleared.clearedAtMs}`);
 * ```
 */
export interface PaymentsCleared {
  /** Its place in this wallet's inbox at the hub (shared with the payments, after theirs). */
  readonly inboxSeq: number;
  /** The payer's channel. */
  readonly channelId: ChannelId;
  readonly afterVoucherSeq: number;
  readonly throughVoucherSeq: number;
  readonly asset: Asset;
  /** How many payments to this wallet it settled, and their sum. */
  readonly payments: number;
  readonly amount: bigint;
  /** When the ledger settled them (the hub's clock, Unix ms). */
  readonly clearedAtMs: number;
}

/**
 * A payment this wallet received from another wallet through the hub.
 *
 * @example
 * ```ts
 * import type { IncomingPayment } from '@trickle/protocol';
 * declare const payment: IncomingPayment; // what wallet.on('payment', ...) hands over
 * console.log(`#${payment.inboxSeq}: ${payment.amount} ${payment.asset.code} "${payment.memo}"`);
 * ```
 */
export interface IncomingPayment {
  /**
   * Its place in this wallet's inbox at the hub, each delivered once, in order: 1, 2, 3...,
   * increasing but not consecutive once clearing notices (`cleared`) take seqs between them.
   */
  readonly inboxSeq: number;
  readonly amount: bigint;
  readonly asset: Asset;
  readonly memo: string;
  /** The payer's payee id, when the payer revealed it. */
  readonly from?: PayeeId;
  /** The payer's channel and voucher. */
  readonly channelId: ChannelId;
  readonly voucherSeq: number;
  readonly invoiceId: InvoiceId;
  /** The receipt MAC, under the key this wallet shares with the hub as a payee. */
  readonly mac: Mac;
  /** When the hub accepted the payment (its clock, Unix ms). */
  readonly paidAtMs: number;
  /** When this wallet stored it (its clock, Unix ms). */
  readonly receivedAtMs: number;
  /**
   * When it was settled on the ledger (a claim or the finalization of the payer's channel;
   * the hub's clock, Unix ms), once this wallet was told (`cleared`); absent until then.
   */
  readonly clearedAtMs?: number;
  /** Its clearing time: `clearedAtMs - paidAtMs` (both the hub's clock), in ms; absent until cleared. */
  readonly clearingMs?: number;
}

/** What the wallet's machine runs with: fixed for a wallet's life. */
export interface WalletConfig {
  /** The network every signature is bound to. */
  readonly networkId: number;
  /** The hub id to insist on, when the caller named one. */
  readonly hubId?: HubId;
  /** The payer's public key. */
  readonly clientKey: PublicKey;
  /** Checks the hub's reported states before they are adopted (a pure function). */
  readonly verifier: Verifier;
  readonly policy: SpendingPolicy;
  /** Emit `balanceLow` below this many minor units; `0n` never. Default: `balanceLowPercent` of the deposit. */
  readonly balanceLowAt?: bigint;
  /** Without `balanceLowAt`: emit `balanceLow` below this percentage of the deposit (0..100; 0 never). Default `balanceLowPercentDefault` (10). */
  readonly balanceLowPercent?: number;
  /** Register as a payee at the hub and take incoming payments (`payment` events). Default false. */
  readonly receive?: boolean;
  readonly inFlightVouchersMax: number;
  readonly queuedPaymentsMax: number;
  readonly reconnectDelayMsMin: number;
  readonly reconnectDelayMsMax: number;
}
