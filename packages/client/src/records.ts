/** Conversions between the wallet's runtime values and the store's JSON-safe records. */
import {
  type ChannelId,
  type ClientChannel,
  fromHex,
  type InvoiceId,
  type LogHead,
  type Mac,
  type PayEntry,
  type PayeeId,
  type Signature,
} from '@trickle/protocol';
import { hex as toHex } from './hex.js';
import type { ChannelRecord, EntryRecord, PendingVoucherRecord, StatePoint } from './store/walletStore.js';

/** A signed position as the wallet uses it. */
export interface Point {
  readonly seq: number;
  readonly cumulative: bigint;
  readonly logHead: LogHead;
}

export function pointToRecord(point: Point): StatePoint {
  return { seq: point.seq, cumulative: point.cumulative.toString(), logHead: toHex(point.logHead) };
}

export function pointFromRecord(record: StatePoint): Point {
  return { seq: record.seq, cumulative: BigInt(record.cumulative), logHead: fromHex(record.logHead, 32) as LogHead };
}

export function entryToRecord(entry: PayEntry): EntryRecord {
  return {
    payee: toHex(entry.payee),
    invoiceId: toHex(entry.invoiceId),
    amount: entry.amount.toString(),
    expiresAtMs: entry.expiresAtMs,
    resource: toHex(entry.resource),
    mac: toHex(entry.mac),
  };
}

export function entryFromRecord(record: EntryRecord): PayEntry {
  return {
    payee: fromHex(record.payee, 32) as PayeeId,
    invoiceId: fromHex(record.invoiceId, 16) as InvoiceId,
    amount: BigInt(record.amount),
    expiresAtMs: record.expiresAtMs,
    resource: fromHex(record.resource, 32),
    mac: fromHex(record.mac, 32) as Mac,
  };
}

/** A signed voucher awaiting the hub's answer. */
export interface SignedVoucher extends Point {
  readonly signature: Signature;
  readonly entries: readonly PayEntry[];
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
    signature: fromHex(record.signature, 64) as Signature,
    entries: record.entries.map(entryFromRecord),
  };
}

/** The protocol's client channel for a record at its signed state. */
export function clientChannelOf(record: ChannelRecord): ClientChannel {
  return {
    channelId: fromHex(record.channelId, 32) as ChannelId,
    asset: record.asset,
    deposit: BigInt(record.deposit),
    expiresAtMs: record.expiresAtMs,
    ...pointFromRecord(record.signed),
  };
}
