/**
 * Reading a channel's log segment back from the store, a page at a time: the signed state
 * the ledger is given for a claim, a close or an answer. A segment starts after the
 * ledger's claimed seq and ends at an accepted voucher (whose signature the store kept),
 * with at most `entriesMax` entries (at least one voucher), so memory and the ledger's work
 * are bounded by a page, never by the channel's history (ADR 0105).
 */
import type { Asset, ChannelId, PayeeId, PaymentEntry } from '@trickle/protocol';
import { bytesKey } from '../bytesKey.js';
import type { SignedState } from '../ledgerPort.js';
import type { ChannelStore, ClearedWrite } from '../store/channelStore.js';

/** Vouchers read per store call while a segment is gathered. */
export const segmentVouchersPerReadMax = 256;

/** A signed state the ledger can verify, and what it covers. */
export interface Segment {
  readonly state: SignedState;
  /** The state's seq (the last voucher's). */
  readonly seq: number;
  readonly cumulative: bigint;
  /** Entries in it. */
  readonly entryCount: number;
}

/**
 * The segment after `afterSeq` up to the voucher at `toSeq` at most, with at most
 * `entriesMax` entries (always at least the first voucher); undefined when `afterSeq >= toSeq`.
 */
export async function readSegment(
  store: ChannelStore,
  channelId: ChannelId,
  afterSeq: number,
  toSeq: number,
  entriesMax: number,
): Promise<Segment | undefined> {
  const entries: PaymentEntry[] = [];
  let last: Awaited<ReturnType<ChannelStore['vouchers']>>[number] | undefined;
  let from = afterSeq + 1;
  while (from <= toSeq) {
    const page = await store.vouchers(channelId, from, Math.min(segmentVouchersPerReadMax, toSeq - from + 1));
    if (page.length === 0) break;
    for (const voucher of page) {
      if (last !== undefined && entries.length + voucher.entries.length > entriesMax)
        return segmentOf(channelId, last, entries);
      // A stored entry is a log entry plus its invoice's expiry: the ledger reads the log fields.
      for (const entry of voucher.entries) entries.push(entry);
      last = voucher;
    }
    from = (last?.seq ?? toSeq) + 1;
  }
  return last === undefined ? undefined : segmentOf(channelId, last, entries);
}

function segmentOf(
  channelId: ChannelId,
  last: Awaited<ReturnType<ChannelStore['vouchers']>>[number],
  entries: PaymentEntry[],
): Segment {
  const voucher = {
    channelId,
    seq: last.seq,
    cumulative: last.cumulative,
    logHead: last.logHead,
    signature: last.signature,
  };
  return {
    state: { channelId, voucher, entries },
    seq: last.seq,
    cumulative: last.cumulative,
    entryCount: entries.length,
  };
}

/** How many entries the accepted vouchers after `afterSeq` up to `toSeq` carry (read a page at a time). */
export async function countEntries(
  store: ChannelStore,
  channelId: ChannelId,
  afterSeq: number,
  toSeq: number,
): Promise<number> {
  let count = 0;
  await forEachVoucher(store, channelId, afterSeq, toSeq, (voucher) => {
    count += voucher.entries.length;
  });
  return count;
}

/** Calls `visit` on each accepted voucher after `afterSeq` up to `toSeq`, in seq order, read a page at a time. */
async function forEachVoucher(
  store: ChannelStore,
  channelId: ChannelId,
  afterSeq: number,
  toSeq: number,
  visit: (voucher: Awaited<ReturnType<ChannelStore['vouchers']>>[number]) => void,
): Promise<void> {
  let from = afterSeq + 1;
  while (from <= toSeq) {
    const page = await store.vouchers(channelId, from, Math.min(segmentVouchersPerReadMax, toSeq - from + 1));
    if (page.length === 0) break;
    for (const voucher of page) visit(voucher);
    from = (page[page.length - 1]?.seq ?? toSeq) + 1;
  }
}

/**
 * The clearing notices (ADR 0243) of one settled range of a channel, `(afterSeq, throughSeq]`:
 * one per payee that `notifies` among the payees of those vouchers' entries, with its count
 * and sum. Memory is one tally per payee, never per payment.
 */
export class ClearedTally {
  /** Per payee: its tally, or null for a payee that is not told (a merchant), so it is asked once. */
  private readonly byPayee = new Map<string, { payee: PayeeId; payments: number; amount: bigint } | null>();

  constructor(private readonly notifies: (payee: PayeeId) => boolean) {}

  /** Counts entries of the range. */
  add(entries: readonly { readonly payee: PayeeId; readonly amount: bigint }[]): void {
    for (const entry of entries) {
      const key = bytesKey(entry.payee);
      let tally = this.byPayee.get(key);
      if (tally === undefined) {
        tally = this.notifies(entry.payee) ? { payee: entry.payee, payments: 0, amount: 0n } : null;
        this.byPayee.set(key, tally);
      }
      if (tally === null) continue;
      tally.payments++;
      tally.amount += entry.amount;
    }
  }

  /** The notices, for the channel's range settled at `clearedAtMs`. */
  notices(
    channel: { readonly channelId: ChannelId; readonly asset: Asset },
    afterSeq: number,
    throughSeq: number,
    clearedAtMs: number,
  ): ClearedWrite[] {
    if (throughSeq <= afterSeq) return [];
    const told = [...this.byPayee.values()].filter((tally) => tally !== null);
    return told.map((tally) => ({
      payee: tally.payee,
      channelId: channel.channelId,
      afterVoucherSeq: afterSeq,
      throughVoucherSeq: throughSeq,
      asset: channel.asset,
      payments: tally.payments,
      amount: tally.amount,
      clearedAtMs,
    }));
  }
}

/** The clearing notices of `(afterSeq, throughSeq]` of a channel, its vouchers read a page at a time. */
export async function clearedOfRange(
  store: ChannelStore,
  channel: { readonly channelId: ChannelId; readonly asset: Asset },
  afterSeq: number,
  throughSeq: number,
  clearedAtMs: number,
  notifies: (payee: PayeeId) => boolean,
): Promise<ClearedWrite[]> {
  const tally = new ClearedTally(notifies);
  await forEachVoucher(store, channel.channelId, afterSeq, throughSeq, (voucher) => tally.add(voucher.entries));
  return tally.notices(channel, afterSeq, throughSeq, clearedAtMs);
}
