/**
 * The wallet's state, shared by its parts (payment queue, replies, resume, channel
 * lifecycle): the stored record, the channel as this wallet signed it, the position the
 * hub acknowledged, the vouchers in flight and the spending counters. Plus the records the
 * store is given, built from that state.
 */
import type { ClientChannel, Domain, HubId, PaymentRequest, Receipt } from '@trickle/protocol';
import { fromHex } from '@trickle/protocol';
import { hex as toHex } from './hex.js';
import type { Spent } from './policy.js';
import {
  clientChannelOf,
  type Point,
  pointFromRecord,
  pointToRecord,
  type SignedVoucher,
  voucherFromRecord,
} from './records.js';
import type { ChannelRecord, HistoryRecord, StoredWallet, WalletRecord } from './store/walletStore.js';
import type { Balance } from './wallet.js';

/** One pay() call waiting for its receipt. */
export interface Job {
  readonly request: PaymentRequest;
  /** Hex of the payee: the spending counters' key (computed once). */
  readonly payeeId: string;
  /** Payee and invoice: the key of the invoices being paid (computed once). */
  readonly invoiceKey: string;
  readonly resolve: (receipt: Receipt) => void;
  readonly reject: (error: unknown) => void;
  solo: boolean;
  /** Times signed into a voucher; 0 while it was never signed (and is still queued, if not finished). */
  attempts: number;
  /** Aborted before it was signed: left in the queue as a hole that the pump skips. */
  aborted: boolean;
}

/** A signed voucher in flight (or waiting to be resent). */
export interface LiveVoucher extends SignedVoucher {
  /** The pay() calls waiting on each entry (absent after a restart: nobody waits). */
  readonly jobs: readonly (Job | undefined)[];
  dead: boolean;
  needsResend: boolean;
}

/** Everything the wallet's parts read and change. */
export interface WalletState {
  record: WalletRecord | undefined;
  domain: Domain | undefined;
  /** The latest state this wallet signed. */
  channel: ClientChannel | undefined;
  /** The latest state the hub acknowledged. */
  acked: Point | undefined;
  /** Signed vouchers not yet acknowledged, in seq order. */
  pending: LiveVoucher[];
  /** Oldest first, at most historyRecordsMax. */
  readonly history: HistoryRecord[];
  readonly spent: Spent;
  stopped: boolean;
  fatal: Error | undefined;
}

/** The state a stored wallet (or none) starts from. */
export function walletStateOf(stored: StoredWallet | undefined): WalletState {
  const record = stored?.record;
  return {
    record,
    domain:
      record === undefined ? undefined : { networkId: record.networkId, hubId: fromHex(record.hubId, 32) as HubId },
    channel: record?.channel === undefined ? undefined : clientChannelOf(record.channel),
    acked: record?.channel === undefined ? undefined : pointFromRecord(record.channel.acked),
    pending: (stored?.pending ?? []).map((p) => ({
      ...voucherFromRecord(p),
      jobs: [],
      dead: false,
      needsResend: false,
    })),
    history: [...(stored?.history ?? [])],
    spent: {
      total: BigInt(record?.spent.total ?? '0'),
      byPayee: new Map(Object.entries(record?.spent.byPayee ?? {}).map(([k, v]) => [k, BigInt(v)])),
    },
    stopped: false,
    fatal: undefined,
  };
}

/** The record to store for the current state. */
export function currentRecord(state: WalletState): WalletRecord {
  const { domain, record, channel, acked, spent } = state;
  if (domain === undefined) throw new Error('bug: no domain');
  const byPayee: Record<string, string> = {};
  for (const [k, v] of spent.byPayee) byPayee[k] = v.toString();
  const base: WalletRecord = {
    version: 1,
    networkId: domain.networkId,
    hubId: toHex(domain.hubId),
    spent: { total: spent.total.toString(), byPayee },
  };
  if (record?.channel === undefined || channel === undefined || acked === undefined) {
    return record?.channel === undefined ? base : { ...base, channel: record.channel };
  }
  return {
    ...base,
    channel: {
      ...record.channel,
      deposit: channel.deposit.toString(),
      signed: pointToRecord(channel),
      acked: pointToRecord(acked),
    },
  };
}

/**
 * Replaces the channel record. For the same channel, the runtime signed and acknowledged
 * positions win over the (possibly older) ones in `next`, and the deposit never shrinks.
 */
export function setChannelRecord(state: WalletState, next: ChannelRecord | undefined): void {
  const { channel: _previous, ...rest } = currentRecord(state);
  if (next === undefined) {
    state.record = rest;
    state.channel = undefined;
    state.acked = undefined;
    return;
  }
  let merged = next;
  const { channel, acked } = state;
  if (channel !== undefined && acked !== undefined && toHex(channel.channelId) === next.channelId) {
    const deposit = BigInt(next.deposit) > channel.deposit ? BigInt(next.deposit) : channel.deposit;
    merged = { ...next, deposit: deposit.toString(), signed: pointToRecord(channel), acked: pointToRecord(acked) };
  }
  state.record = { ...rest, channel: merged };
  state.channel = clientChannelOf(merged);
  state.acked = pointFromRecord(merged.acked);
}

/** The balance, or undefined without a channel. */
export function balanceOf(state: WalletState): Balance | undefined {
  const ch = state.record?.channel;
  const { channel, acked } = state;
  if (ch === undefined || channel === undefined) return undefined;
  return {
    channelId: channel.channelId,
    asset: channel.asset,
    status: ch.status,
    deposit: channel.deposit,
    spent: channel.cumulative,
    acknowledged: acked?.cumulative ?? 0n,
    available: channel.deposit - channel.cumulative,
  };
}

/** Counts `vouchers` as not spent (they were dropped before the hub took them). */
export function unspend(state: WalletState, vouchers: readonly LiveVoucher[]): void {
  for (const v of vouchers) {
    for (const entry of v.entries) {
      const payeeId = toHex(entry.payee);
      state.spent.total -= entry.amount;
      state.spent.byPayee.set(payeeId, (state.spent.byPayee.get(payeeId) ?? 0n) - entry.amount);
    }
  }
}
