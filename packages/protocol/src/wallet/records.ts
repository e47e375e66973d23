/**
 * The wallet's stored records: JSON-safe (bytes as hex, amounts as decimal strings) so
 * that every store keeps the same shapes, and the conversions between them and the
 * wallet's runtime values. The wallet's machine emits changes of these records; a store
 * (the client's port) applies them atomically (ADR 0204).
 */
import { fromHex, toHex } from '../bytes.js';
import {
  asChannelId,
  asInvoiceId,
  asLogHead,
  asMac,
  asPayeeId,
  asSignature,
  type ChannelId,
  type LogHead,
  type Signature,
} from '../ids.js';
import type { PayEntry } from '../messages.js';

/** A channel's signed position: seq, cumulative (decimal string) and log head (hex). */
export interface StatePoint {
  readonly seq: number;
  readonly cumulative: string;
  readonly logHead: string;
}

/** Lifecycle of the wallet's channel, as the wallet knows it. */
export type ChannelRecordStatus = 'opening' | 'open' | 'closing' | 'closed';

/** The wallet's channel. */
export interface ChannelRecord {
  readonly channelId: string;
  readonly nonce: string;
  readonly asset: { readonly code: string; readonly scale: number };
  /** Total deposit (decimal string). */
  readonly deposit: string;
  readonly expiresAtMs: number;
  readonly status: ChannelRecordStatus;
  /** The open request's signature, kept until the hub confirms the open. */
  readonly openSignature: string;
  /** The latest state this wallet signed. */
  readonly signed: StatePoint;
  /** The latest state the hub acknowledged. */
  readonly acked: StatePoint;
  /** A top-up sent but not yet confirmed: the new total and its signature. */
  readonly topUp?: { readonly deposit: string; readonly signature: string };
  /** The signed close, once closing. */
  readonly close?: StatePoint & { readonly signature: string };
  /** deposit - cumulative, once closed (decimal string). */
  readonly refund?: string;
}

/** Everything the wallet keeps besides vouchers and history. */
export interface WalletRecord {
  readonly version: 1;
  readonly networkId: number;
  /** The hub id (hex), pinned at first contact. */
  readonly hubId: string;
  readonly channel?: ChannelRecord;
  /** Spent so far under the spending policy: in total and per payee (hex), decimal strings. */
  readonly spent: { readonly total: string; readonly byPayee: Readonly<Record<string, string>> };
  /** Incoming payments held durably: the newest inbox seq (absent: none yet). */
  readonly inbox?: { readonly seq: number };
  /**
   * When this wallet's channels were finalized on the ledger, as it learned it (Unix ms), by
   * channel id (hex): the clearing time of the payments made from them. The newest
   * `clearedChannelsMax` channels.
   */
  readonly cleared?: Readonly<Record<string, number>>;
}

/** One payment entry of a voucher (a `pay` frame entry), JSON-safe. */
export interface EntryRecord {
  readonly payee: string;
  readonly invoiceId: string;
  readonly amount: string;
  readonly expiresAtMs: number;
  readonly resource: string;
  readonly mac: string;
}

/** A signed voucher the hub has not acknowledged yet, with its entries: resent after a reconnect or a restart. */
export interface PendingVoucherRecord extends StatePoint {
  readonly signature: string;
  readonly entries: readonly EntryRecord[];
}

/** One paid entry with the receipt's MAC (the wallet's history() turns it into a receipt token). */
export interface HistoryRecord {
  readonly channelId: string;
  readonly seq: number;
  readonly payee: string;
  readonly invoiceId: string;
  readonly amount: string;
  /** The receipt MAC (hex): with these fields, the channel's asset and the hub, the full receipt. */
  readonly mac: string;
  readonly atMs: number;
  /**
   * When this wallet paid: the payment time, from pay() to the receipt, in ms. Absent on
   * records of wallets older than this field, and on received payments.
   */
  readonly paymentMs?: number;
  /**
   * Set on a payment this wallet received (a peer-to-peer payment, `incoming()`); absent on
   * one it paid (`history()`). Then `payee` is this wallet's payee id, `channelId` and `seq`
   * the payer's channel and voucher.
   */
  readonly received?: IncomingDetails;
  /**
   * Set on a clearing notice this wallet received (ADR 0243), not a payment: then
   * `channelId` is the payer's channel, `seq` the last voucher it covers, `payee` this
   * wallet's payee id, `amount` the sum it settled, `atMs` when this wallet stored it, and
   * `invoiceId` and `mac` are empty. Neither `history()` nor `incoming()` lists it;
   * `incoming()` gives the payments it covers its `clearedAtMs`.
   */
  readonly clearing?: ClearingDetails;
}

/** What a clearing notice carries besides the fields a history record has. */
export interface ClearingDetails {
  /** Its place in this wallet's inbox at the hub. */
  readonly inboxSeq: number;
  /** The payer's vouchers after this one (up to the record's `seq`) are the ones it settled. */
  readonly afterVoucherSeq: number;
  /** Payments to this wallet it settled. */
  readonly payments: number;
  readonly asset: { readonly code: string; readonly scale: number };
  /** When the ledger settled them (Unix ms, the hub's clock). */
  readonly clearedAtMs: number;
}

/** What a received payment carries besides a paid entry's fields. */
export interface IncomingDetails {
  /** Its place in this wallet's inbox at the hub: 1, 2, 3... */
  readonly inboxSeq: number;
  /** The payer's memo. */
  readonly memo: string;
  /** The payer's payee id (hex), when the payer revealed it. */
  readonly from?: string;
  /** Asset of the payer's channel. */
  readonly asset: { readonly code: string; readonly scale: number };
  /** When the hub accepted the payment (Unix ms, the hub's clock). */
  readonly paidAtMs: number;
}

/** What a store holds for one wallet. */
export interface StoredWallet {
  readonly record: WalletRecord;
  /** In seq order. */
  readonly pending: readonly PendingVoucherRecord[];
  /** Oldest first; at most the store's history bound. */
  readonly history: readonly HistoryRecord[];
}

/** One atomic change. Applied in this order: record, addPending, removePending, addHistory. */
export interface WalletChange {
  readonly record?: WalletRecord;
  readonly addPending?: readonly PendingVoucherRecord[];
  /** Seqs of pending vouchers to forget (acknowledged, or dropped after a resync). */
  readonly removePending?: readonly number[];
  readonly addHistory?: readonly HistoryRecord[];
}

/** A signed position as the wallet uses it. */
export interface Point {
  readonly seq: number;
  readonly cumulative: bigint;
  readonly logHead: LogHead;
}

/** A signed voucher with its entries. */
export interface SignedVoucher extends Point {
  readonly signature: Signature;
  readonly entries: readonly PayEntry[];
}

export function pointToRecord(point: Point): StatePoint {
  return { seq: point.seq, cumulative: point.cumulative.toString(), logHead: toHex(point.logHead) };
}

export function pointFromRecord(record: StatePoint): Point {
  return { seq: record.seq, cumulative: BigInt(record.cumulative), logHead: asLogHead(fromHex(record.logHead, 32)) };
}

function entryToRecord(entry: PayEntry): EntryRecord {
  return {
    payee: toHex(entry.payee),
    invoiceId: toHex(entry.invoiceId),
    amount: entry.amount.toString(),
    expiresAtMs: entry.expiresAtMs,
    resource: toHex(entry.resource),
    mac: toHex(entry.mac),
  };
}

function entryFromRecord(record: EntryRecord): PayEntry {
  return {
    payee: asPayeeId(fromHex(record.payee, 32)),
    invoiceId: asInvoiceId(fromHex(record.invoiceId, 16)),
    amount: BigInt(record.amount),
    expiresAtMs: record.expiresAtMs,
    resource: fromHex(record.resource, 32),
    mac: asMac(fromHex(record.mac, 32)),
  };
}

export function voucherToRecord(voucher: SignedVoucher): PendingVoucherRecord {
  return {
    ...pointToRecord(voucher),
    signature: toHex(voucher.signature),
    entries: voucher.entries.map(entryToRecord),
  };
}

export function voucherFromRecord(record: PendingVoucherRecord): SignedVoucher {
  return {
    ...pointFromRecord(record),
    signature: asSignature(fromHex(record.signature, 64)),
    entries: record.entries.map(entryFromRecord),
  };
}

export function channelIdOfRecord(record: ChannelRecord): ChannelId {
  return asChannelId(fromHex(record.channelId, 32));
}
