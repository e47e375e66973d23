/**
 * What the wallet's state says, derived and never stored: its status, its balance, the
 * hub it is pinned to, and the receipt of a history entry.
 */
import { fromHex } from '../bytes.js';
import { asChannelId, asInvoiceId, asMac, asPayeeId, type HubId } from '../ids.js';
import type { Receipt } from '../receipt.js';
import { balanceOf, isReady } from './base.js';
import { drained } from './lifecycle.js';
import type { ChannelRecordStatus, HistoryRecord } from './records.js';
import type { LinkPhase, WalletState } from './walletState.js';
import type { Balance } from './walletTypes.js';

/** The wallet's status, derived from its state. */
export interface WalletStatus {
  /** `failed` after a fatal failure, `stopped` after stop(), else where the connection stands. */
  readonly session: LinkPhase | 'failed' | 'stopped';
  /** The channel's lifecycle, or `none`. */
  readonly channel: ChannelRecordStatus | 'none';
  /** Payments waiting to be signed. */
  readonly queued: number;
  /** Vouchers signed and not yet acknowledged. */
  readonly inFlight: number;
  /** Nothing queued, being signed or in flight. */
  readonly drained: boolean;
}

/**
 * The wallet's status.
 *
 * @example
 * ```ts
 * import { walletStatus, type WalletState } from '@trickle/protocol';
 * declare const state: WalletState;
 * walletStatus(state).session; // 'ready' once connected and resynced
 * ```
 */
export function walletStatus(state: WalletState): WalletStatus {
  return {
    session: state.fatal !== undefined ? 'failed' : state.stopped ? 'stopped' : state.link.phase,
    channel: state.channel?.status ?? 'none',
    queued: state.payments.queuedCount,
    inFlight: state.channel?.pending.length ?? 0,
    drained: drained(state),
  };
}

/**
 * The balance, or undefined without a channel.
 *
 * @example
 * ```ts
 * import { walletBalance, type WalletState } from '@trickle/protocol';
 * declare const state: WalletState;
 * walletBalance(state)?.available;
 * ```
 */
export function walletBalance(state: WalletState): Balance | undefined {
  return balanceOf(state);
}

/**
 * True while connected and resynced (payments flow).
 *
 * @example
 * ```ts
 * import { walletConnected, type WalletState } from '@trickle/protocol';
 * declare const state: WalletState;
 * if (!walletConnected(state)) console.log('payments wait for the hub');
 * ```
 */
export function walletConnected(state: WalletState): boolean {
  return isReady(state) && !state.stopped && state.fatal === undefined;
}

/**
 * The hub the wallet insists on: the one named in its configuration, else the one pinned
 * at first contact (undefined before).
 *
 * @example
 * ```ts
 * import { walletHubId, type WalletState } from '@trickle/protocol';
 * declare const state: WalletState;
 * walletHubId(state); // HubId | undefined
 * ```
 */
export function walletHubId(state: WalletState): HubId | undefined {
  return state.config.hubId ?? state.domain?.hubId;
}

/**
 * The receipt a history record stands for (undefined before the hub is pinned).
 *
 * @example
 * ```ts
 * import { historyReceipt, type HistoryRecord, type WalletState } from '@trickle/protocol';
 * declare const state: WalletState, record: HistoryRecord;
 * historyReceipt(state, record)?.amount;
 * ```
 */
export function historyReceipt(state: WalletState, record: HistoryRecord): Receipt | undefined {
  const domain = state.domain;
  if (domain === undefined) return undefined;
  return {
    networkId: domain.networkId,
    hubId: domain.hubId,
    channelId: asChannelId(fromHex(record.channelId, 32)),
    seq: record.seq,
    payee: asPayeeId(fromHex(record.payee, 32)),
    invoiceId: asInvoiceId(fromHex(record.invoiceId, 16)),
    asset: state.channel?.asset ?? { code: 'USD', scale: 6 },
    amount: BigInt(record.amount),
    mac: asMac(fromHex(record.mac, 32)),
  };
}
