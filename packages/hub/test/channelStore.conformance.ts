/**
 * One conformance suite for every ChannelStore adapter: what a resolved commit promises
 * (atomic, durable, read back exactly), run against SQLite and PostgreSQL.
 */

import {
  amountMax,
  type ChannelId,
  type HubChannel,
  type InvoiceId,
  type LogHead,
  type Mac,
  type PayeeId,
  type PublicKey,
  type Signature,
  sha256,
  toHex,
} from '@trickle/protocol';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HubError } from '../src/errors.js';
import type { AcceptedVoucher, ChannelStore } from '../src/store/channelStore.js';

const bytes = (label: string, length = 32) => sha256(new TextEncoder().encode(label)).subarray(0, length).slice();

export function channelFixture(label: string, overrides: Partial<HubChannel> = {}): HubChannel {
  return {
    channelId: bytes(`channel ${label}`) as ChannelId,
    clientKey: new Uint8Array([2, ...bytes(`key ${label}`)]) as PublicKey,
    asset: { code: 'USD', scale: 6 },
    deposit: 1_000_000n,
    expiresAtMs: 2_000_000_000_000,
    seq: 0,
    cumulative: 0n,
    logHead: bytes(`head ${label}`) as LogHead,
    ...overrides,
  };
}

export function voucherFixture(
  seq: number,
  cumulative: bigint,
  entries = 2,
  expiresAtMs = 1_900_000_000_000,
  invoices = '',
): AcceptedVoucher {
  return {
    seq,
    cumulative,
    logHead: bytes(`head ${seq}`) as LogHead,
    signature: new Uint8Array([...bytes(`sig r ${seq}`), ...bytes(`sig s ${seq}`)]) as Signature,
    entries: Array.from({ length: entries }, (_, i) => ({
      payee: bytes(`payee ${i % 2}`) as PayeeId,
      invoiceId: bytes(`invoice ${invoices}${seq}/${i}`, 16) as InvoiceId,
      amount: BigInt(i + 1),
      expiresAtMs,
    })),
  };
}

/** Runs the suite; `open` returns a fresh empty store, `reopen` the same store again (after close). */
export function channelStoreConformance(
  name: string,
  factory: () => Promise<{ open: () => Promise<ChannelStore>; cleanup: () => Promise<void> }>,
): void {
  describe(`ChannelStore conformance: ${name}`, () => {
    let open: () => Promise<ChannelStore>;
    let cleanup: () => Promise<void>;
    let store: ChannelStore;
    beforeEach(async () => {
      ({ open, cleanup } = await factory());
      store = await open();
    });
    afterEach(async () => {
      await store.close().catch(() => undefined);
      await cleanup();
    });

    it('starts empty', async () => {
      expect(await store.openChannels()).toEqual([]);
      expect(await store.channel(channelFixture('x').channelId)).toBeUndefined();
      expect(await store.vouchers(channelFixture('x').channelId, 1, 10)).toEqual([]);
      expect(await store.merchants()).toEqual([]);
    });

    it('reads back exactly what a commit wrote, after a reopen', async () => {
      const channel = channelFixture('a');
      const v1 = voucherFixture(1, 3n);
      const v2 = voucherFixture(2, 6n, 3);
      const after: HubChannel = { ...channel, seq: 2, cumulative: 6n, logHead: v2.logHead, signature: v2.signature };
      await store.commit([{ channel }]);
      await store.commit([{ channel: after, vouchers: [v1, v2] }]);
      await store.close();
      store = await open();
      expect(await store.channel(channel.channelId)).toEqual(after);
      expect(await store.openChannels()).toEqual([after]);
      expect(await store.vouchers(channel.channelId, 1, 10)).toEqual([v1, v2]);
      expect(await store.vouchers(channel.channelId, 2, 1)).toEqual([v2]);
      expect(await store.vouchers(channel.channelId, 3, 10)).toEqual([]);
    });

    it('a failed commit writes nothing of its batch', async () => {
      const a = channelFixture('a');
      const b = channelFixture('b');
      await store.commit([{ channel: a, vouchers: [voucherFixture(1, 3n)] }]);
      const bAfter = { ...b, seq: 1, cumulative: 3n };
      const error = await store
        .commit([
          { channel: bAfter, vouchers: [voucherFixture(1, 3n, 2, 1_900_000_000_000, 'b')] },
          { channel: a, vouchers: [voucherFixture(1, 3n, 2, 1_900_000_000_000, 'a again')] },
        ])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HubError);
      expect((error as HubError).code).toBe('STORE_FAILED');
      expect(await store.channel(b.channelId)).toBeUndefined();
      expect(await store.vouchers(b.channelId, 1, 10)).toEqual([]);
    });

    it('refuses a state that breaks an invariant (cumulative above deposit)', async () => {
      const bad = channelFixture('bad', { cumulative: 2_000_000n });
      await expect(store.commit([{ channel: bad }])).rejects.toBeInstanceOf(HubError);
      expect(await store.channel(bad.channelId)).toBeUndefined();
    });

    it('refuses an entry that breaks an invariant (amount 0), and writes nothing of the commit', async () => {
      const channel = channelFixture('bad entry', { seq: 1, cumulative: 1n });
      const voucher = voucherFixture(1, 1n, 1);
      const bad = {
        ...voucher,
        entries: [{ ...(voucher.entries[0] as AcceptedVoucher['entries'][number]), amount: 0n }],
      };
      await expect(store.commit([{ channel, vouchers: [bad] }])).rejects.toBeInstanceOf(HubError);
      expect(await store.channel(channel.channelId)).toBeUndefined();
      expect(await store.vouchers(channel.channelId, 1, 10)).toEqual([]);
    });

    it('commits groups of many channels and vouchers, and reads each back', async () => {
      const channels = Array.from({ length: 20 }, (_, i) => channelFixture(`group ${i}`));
      await store.commit(channels.map((channel) => ({ channel })));
      const writes = channels.map((channel, i) => {
        const label = `group ${i}/`;
        const vouchers = [
          voucherFixture(1, 3n, 2, 1_900_000_000_000, label),
          voucherFixture(2, 6n + BigInt(i), 3 + i, 1_900_000_000_000, label),
        ];
        return { channel: { ...channel, seq: 2, cumulative: 6n + BigInt(i) }, vouchers };
      });
      await Promise.all([store.commit(writes.slice(0, 10)), store.commit(writes.slice(10))]);
      for (const write of writes) {
        expect(await store.channel(write.channel.channelId)).toEqual(write.channel);
        expect(await store.vouchers(write.channel.channelId, 1, 10)).toEqual(write.vouchers);
      }
    });

    it('lists only channels not finalized; keeps closing ones', async () => {
      const open1 = channelFixture('open');
      const closing = channelFixture('closing', { closingSinceMs: 5 });
      const closed = channelFixture('closed', { closingSinceMs: 5, closedAtMs: 6 });
      await store.commit([{ channel: open1 }, { channel: closing }, { channel: closed }]);
      const ids = (await store.openChannels()).map((c) => Buffer.from(c.channelId).toString('hex')).sort();
      expect(ids).toEqual([open1, closing].map((c) => Buffer.from(c.channelId).toString('hex')).sort());
      expect(await store.channel(closed.channelId)).toEqual(closed);
    });

    it('pays an invoice once: a write paying it again is left out whole, the others apply', async () => {
      const a = channelFixture('inv a', { seq: 1, cumulative: 3n });
      const b = channelFixture('inv b', { seq: 1, cumulative: 3n });
      const c = channelFixture('inv c', { seq: 1, cumulative: 1n });
      const paid = voucherFixture(1, 3n, 2);
      expect(await store.commit([{ channel: a, vouchers: [paid] }])).toEqual([{ applied: true }]);
      // b pays a fresh invoice, then the second of a's: refused at that entry, nothing of b written.
      const fresh = voucherFixture(9, 0n, 1).entries[0] as AcceptedVoucher['entries'][number];
      const again = { ...paid, entries: [fresh, paid.entries[1] as AcceptedVoucher['entries'][number]] };
      const outcomes = await store.commit([
        { channel: b, vouchers: [again] },
        { channel: c, vouchers: [voucherFixture(1, 1n, 1, 1_900_000_000_000, 'c')] },
      ]);
      expect(outcomes).toEqual([{ applied: false, paidInvoice: { seq: 1, entry: 1 } }, { applied: true }]);
      expect(await store.channel(b.channelId)).toBeUndefined();
      expect(await store.vouchers(b.channelId, 1, 10)).toEqual([]);
      expect((await store.channel(c.channelId))?.seq).toBe(1);
      // b's fresh invoice was given back: b can pay it now.
      const retry = { ...paid, entries: [fresh] };
      expect(await store.commit([{ channel: b, vouchers: [retry] }])).toEqual([{ applied: true }]);
      // Also after a reopen (a restart): the index is on disk.
      await store.close();
      store = await open();
      expect(await store.commit([{ channel: { ...c, seq: 2 }, vouchers: [{ ...paid, seq: 2 }] }])).toEqual([
        { applied: false, paidInvoice: { seq: 2, entry: 0 } },
      ]);
    });

    it('puts payments to wallet-payees in their inboxes in the commit: seq 1, 2, ... per payee, with memo and payer', async () => {
      const wallet = {
        payeeId: bytes('wallet payee') as PayeeId,
        publicKey: new Uint8Array([3, ...bytes('wallet key')]) as PublicKey,
      };
      await store.putWalletPayee({ ...wallet, registeredAtMs: 1_000 });
      await store.putWalletPayee({ ...wallet, registeredAtMs: 2_000 }); // a second registration changes nothing
      expect(await store.walletPayee(wallet.payeeId)).toEqual({
        ...wallet,
        registeredAtMs: 1_000,
        lastSeq: 0,
        ackedSeq: 0,
      });
      const from = bytes('payer payee') as PayeeId;
      const pay = (seq: number, amount: bigint, label: string) => {
        const invoiceId = bytes(`peer invoice ${label}`, 16) as InvoiceId;
        const entry = { payee: wallet.payeeId, invoiceId, amount, expiresAtMs: 1_900_000_000_000 };
        const voucher: AcceptedVoucher = { ...voucherFixture(seq, amount, 0), entries: [entry] };
        const incoming = {
          payee: wallet.payeeId,
          invoiceId,
          voucherSeq: seq,
          amount,
          mac: bytes(`mac ${label}`) as Mac,
          paidAtMs: 5_000 + seq,
        };
        return { voucher, incoming, invoiceId };
      };
      const first = pay(1, 7n, 'one');
      const second = pay(2, 9n, 'two');
      await store.putPeerInvoice({
        payee: wallet.payeeId,
        invoiceId: first.invoiceId,
        amount: 7n,
        memo: 'lunch',
        from,
        createdAtMs: 1,
        expiresAtMs: 2,
      });
      await store.putPeerInvoice({
        payee: wallet.payeeId,
        invoiceId: second.invoiceId,
        amount: 9n,
        memo: '',
        createdAtMs: 1,
        expiresAtMs: 2,
      });
      const channel = channelFixture('peer payer');
      expect(
        await store.commit([
          { channel: { ...channel, seq: 1, cumulative: 7n }, vouchers: [first.voucher], incoming: [first.incoming] },
        ]),
      ).toEqual([{ applied: true }]);
      // A write refused for a paid invoice puts nothing in the inbox.
      const replay = { ...first.voucher, seq: 2 };
      expect(
        await store.commit([
          {
            channel: { ...channel, seq: 2, cumulative: 14n },
            vouchers: [replay],
            incoming: [{ ...first.incoming, voucherSeq: 2 }],
          },
        ]),
      ).toEqual([{ applied: false, paidInvoice: { seq: 2, entry: 0 } }]);
      await store.commit([
        { channel: { ...channel, seq: 2, cumulative: 16n }, vouchers: [second.voucher], incoming: [second.incoming] },
      ]);
      await store.close();
      store = await open();
      const inbox = await store.inbox(wallet.payeeId, 0, 10);
      expect(inbox).toEqual([
        {
          seq: 1,
          channelId: channel.channelId,
          voucherSeq: 1,
          invoiceId: first.invoiceId,
          asset: channel.asset,
          amount: 7n,
          memo: 'lunch',
          from,
          mac: first.incoming.mac,
          paidAtMs: 5_001,
        },
        {
          seq: 2,
          channelId: channel.channelId,
          voucherSeq: 2,
          invoiceId: second.invoiceId,
          asset: channel.asset,
          amount: 9n,
          memo: '',
          mac: second.incoming.mac,
          paidAtMs: 5_002,
        },
      ]);
      expect(await store.inbox(wallet.payeeId, 1, 10)).toEqual([inbox[1]]);
      expect(await store.inbox(wallet.payeeId, 0, 1)).toEqual([inbox[0]]);
      // The acknowledged cursor moves forward only, and never past the newest seq.
      await store.ackInbox(wallet.payeeId, 1);
      await store.ackInbox(wallet.payeeId, 0);
      expect((await store.walletPayee(wallet.payeeId))?.ackedSeq).toBe(1);
      await store.ackInbox(wallet.payeeId, 99);
      expect(await store.walletPayee(wallet.payeeId)).toMatchObject({ lastSeq: 2, ackedSeq: 2 });
      expect((await store.walletPayees()).map((w) => w.payeeId)).toEqual([wallet.payeeId]);
    });

    it('puts clearing notices in the inbox with the claim that settled them: after the payments, once per claim', async () => {
      const wallet = {
        payeeId: bytes('clearing wallet payee') as PayeeId,
        publicKey: new Uint8Array([3, ...bytes('clearing wallet key')]) as PublicKey,
      };
      await store.putWalletPayee({ ...wallet, registeredAtMs: 1_000 });
      const channel = channelFixture('clearing payer');
      for (const seq of [1, 2, 3]) {
        const invoiceId = bytes(`clearing invoice ${seq}`, 16) as InvoiceId;
        const entry = { payee: wallet.payeeId, invoiceId, amount: 10n, expiresAtMs: 1_900_000_000_000 };
        const voucher: AcceptedVoucher = { ...voucherFixture(seq, 10n * BigInt(seq), 0), entries: [entry] };
        const incoming = { payee: wallet.payeeId, invoiceId, voucherSeq: seq, amount: 10n, mac: bytes('m') as Mac };
        await store.commit([
          {
            channel: { ...channel, seq, cumulative: 10n * BigInt(seq) },
            vouchers: [voucher],
            incoming: [{ ...incoming, paidAtMs: 5_000 + seq }],
          },
        ]);
      }
      const notice = {
        payee: wallet.payeeId,
        channelId: channel.channelId,
        afterVoucherSeq: 0,
        throughVoucherSeq: 2,
        asset: channel.asset,
        payments: 2,
        amount: 20n,
        clearedAtMs: 9_000,
      };
      const claim = { channelId: channel.channelId, claimedSeq: 2, claimedCumulative: 20n, unclaimedSinceMs: 5_003 };
      // A merchant (no wallet-payee) gets nothing; the payee gets seq 4, after its three payments.
      const merchant = { ...notice, payee: bytes('payee 0') as PayeeId };
      await store.recordClaims([claim], [notice, merchant]);
      // Recorded again (a retry, or another process): the claim moved already, so no second notice.
      await store.recordClaims([claim], [notice]);
      await store.recordClaims([], [{ ...notice, throughVoucherSeq: 1, payments: 1, amount: 10n }]);
      await store.close();
      store = await open();
      const { payee: _, ...stored } = notice;
      expect(await store.inboxCleared(wallet.payeeId, 0, 10)).toEqual([{ seq: 4, ...stored }]);
      expect(await store.inboxCleared(merchant.payee, 0, 10)).toEqual([]);
      expect((await store.inbox(wallet.payeeId, 0, 10)).map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(await store.walletPayee(wallet.payeeId)).toMatchObject({ lastSeq: 4 });
      expect(
        (await store.claimMarks()).find((m) => m.channelId.every((b, i) => b === channel.channelId[i])),
      ).toMatchObject({ claimedSeq: 2, unclaimedEntries: 1 });
      // The close settles the rest: seq 5. Pages read after a seq skip what came before.
      await store.recordClaims(
        [{ ...claim, claimedSeq: 3, claimedCumulative: 30n }],
        [{ ...notice, afterVoucherSeq: 2, throughVoucherSeq: 3, payments: 1, amount: 10n, clearedAtMs: 9_500 }],
      );
      expect((await store.inboxCleared(wallet.payeeId, 4, 10)).map((n) => [n.seq, n.throughVoucherSeq])).toEqual([
        [5, 3],
      ]);
      expect(await store.inboxCleared(wallet.payeeId, 0, 1)).toHaveLength(1);
      expect(await store.inbox(wallet.payeeId, 3, 10)).toEqual([]);
    });

    it('two stores on one database never both pay one invoice', async () => {
      const other = await open();
      try {
        const tries = Array.from({ length: 8 }, (_, i) => ({
          store: i % 2 === 0 ? store : other,
          write: {
            channel: channelFixture(`race ${i}`, { seq: 1, cumulative: 3n }),
            vouchers: [voucherFixture(1, 3n)],
          },
        }));
        const outcomes = await Promise.all(tries.map((t) => t.store.commit([t.write])));
        expect(outcomes.filter(([o]) => o?.applied)).toHaveLength(1);
      } finally {
        await other.close();
      }
    });

    it('forgets invoices that expired, a page at a time, and then they may be written again', async () => {
      const channel = channelFixture('sweep', { seq: 2, cumulative: 3n });
      const old = voucherFixture(1, 1n, 3, 1_000);
      await store.commit([{ channel, vouchers: [old, voucherFixture(2, 3n, 1, 5_000)] }]);
      expect(await store.sweepInvoices(1_000, 10)).toBe(0);
      expect(await store.sweepInvoices(2_000, 2)).toBe(2);
      expect(await store.sweepInvoices(2_000, 2)).toBe(1);
      expect(await store.sweepInvoices(2_000, 2)).toBe(0);
      const later = channelFixture('sweep later', { seq: 1, cumulative: 1n });
      expect(await store.commit([{ channel: later, vouchers: [old] }])).toEqual([{ applied: true }]);
      expect(await store.sweepInvoices(10_000, 100)).toBe(4);
    });

    it('keeps claim marks: unclaimed entries since the oldest acceptance, claims never moved back', async () => {
      const channel = channelFixture('marks');
      await store.commit([{ channel }]);
      const mark = async () => (await store.claimMarks()).find((m) => m.claimedSeq >= 0 && m.channelId.length === 32);
      expect(await mark()).toEqual({
        channelId: channel.channelId,
        claimedSeq: 0,
        claimedCumulative: 0n,
        unclaimedEntries: 0,
        unclaimedSinceMs: undefined,
      });
      const v1 = voucherFixture(1, 3n, 2, 1_900_000_000_000, 'marks');
      const v2 = voucherFixture(2, 6n, 3, 1_900_000_000_000, 'marks');
      const v3 = voucherFixture(3, 7n, 1, 1_900_000_000_000, 'marks');
      await store.commit([{ channel: { ...channel, seq: 1, cumulative: 3n }, vouchers: [v1], acceptedAtMs: 1_000 }]);
      await store.commit([{ channel: { ...channel, seq: 2, cumulative: 6n }, vouchers: [v2], acceptedAtMs: 2_000 }]);
      // A write without vouchers (a top-up) leaves the time alone.
      await store.commit([{ channel: { ...channel, seq: 2, cumulative: 6n, deposit: 2_000_000n } }]);
      expect(await mark()).toMatchObject({ unclaimedEntries: 5, unclaimedSinceMs: 1_000 });
      await store.recordClaims([
        { channelId: channel.channelId, claimedSeq: 1, claimedCumulative: 3n, unclaimedSinceMs: 1_500 },
      ]);
      expect(await mark()).toMatchObject({
        claimedSeq: 1,
        claimedCumulative: 3n,
        unclaimedEntries: 3,
        unclaimedSinceMs: 1_500,
      });
      await store.commit([{ channel: { ...channel, seq: 3, cumulative: 7n }, vouchers: [v3], acceptedAtMs: 3_000 }]);
      await store.recordClaims([
        { channelId: channel.channelId, claimedSeq: 3, claimedCumulative: 7n, unclaimedSinceMs: 9 },
      ]);
      // Everything claimed: no time, whatever was passed; a late record of an older claim moves nothing back.
      await store.recordClaims([
        { channelId: channel.channelId, claimedSeq: 2, claimedCumulative: 6n, unclaimedSinceMs: 9 },
      ]);
      await store.close();
      store = await open();
      expect(await mark()).toEqual({
        channelId: channel.channelId,
        claimedSeq: 3,
        claimedCumulative: 7n,
        unclaimedEntries: 0,
        unclaimedSinceMs: undefined,
      });
      await store.commit([{ channel: { ...channel, seq: 3, cumulative: 7n, closingSinceMs: 4, closedAtMs: 5 } }]);
      expect(await store.claimMarks()).toEqual([]);
    });

    it('totals the channels not closed per asset: open ones, all of them and their deposits, at a given time', async () => {
      expect(await store.openTotals(1_000)).toEqual([]);
      const usd = (label: string, overrides: Partial<HubChannel>) =>
        channelFixture(`totals ${label}`, { deposit: 1_000n, expiresAtMs: 5_000, ...overrides });
      const open = usd('open', { deposit: 700n });
      const expired = usd('expired', { deposit: 300n, expiresAtMs: 900 });
      const closing = usd('closing', { deposit: 50n });
      const closed = usd('closed', { deposit: 9_999n });
      const eur = channelFixture('totals eur', { asset: { code: 'EUR', scale: 2 }, deposit: 42n, expiresAtMs: 5_000 });
      for (const channel of [open, expired, closing, closed, eur]) await store.commit([{ channel }]);
      await store.commit([{ channel: { ...closing, closingSinceMs: 10 } }]);
      await store.commit([{ channel: { ...closed, closingSinceMs: 10, closedAtMs: 20 } }]);
      const totals = (await store.openTotals(1_000)).sort((a, b) => (a.asset.code < b.asset.code ? -1 : 1));
      expect(totals).toEqual([
        { asset: { code: 'EUR', scale: 2 }, open: 1, channels: 1, escrow: 42n, unclaimed: 0n },
        { asset: { code: 'USD', scale: 6 }, open: 1, channels: 3, escrow: 700n + 300n + 50n, unclaimed: 0n },
      ]);
      // Past every expiry nothing is open, and the escrow stays until a close is final.
      const later = (await store.openTotals(10_000)).find((t) => t.asset.code === 'USD');
      expect(later).toEqual({ asset: { code: 'USD', scale: 6 }, open: 0, channels: 3, escrow: 1_050n, unclaimed: 0n });
    });

    it('pages open channels through the settlement indexes, keyed and ordered, and totals what is unclaimed (ADR 0419)', async () => {
      // Five channels: expiring at 10..50, 1..5 vouchers of 2 entries each accepted at 100..500; one closing, one closed.
      const channels = [1, 2, 3, 4, 5].map((n) => channelFixture(`index ${n}`, { expiresAtMs: n * 10 }));
      for (const [i, channel] of channels.entries()) {
        const n = i + 1;
        const vs = Array.from({ length: n }, (_, k) =>
          voucherFixture(k + 1, BigInt(3 * (k + 1)), 2, 1_900_000_000_000, `ix${n}.`),
        );
        await store.commit([{ channel }]);
        await store.commit([
          { channel: { ...channel, seq: n, cumulative: BigInt(3 * n) }, vouchers: vs, acceptedAtMs: n * 100 },
        ]);
      }
      const [c1, c2, c3, c4, c5] = channels as [HubChannel, HubChannel, HubChannel, HubChannel, HubChannel];
      await store.commit([{ channel: { ...c4, seq: 4, cumulative: 12n, closingSinceMs: 7 } }]);
      await store.commit([{ channel: { ...c5, seq: 5, cumulative: 15n, closingSinceMs: 8, closedAtMs: 9 } }]);
      // Channel 2 claimed through its first voucher, at a later time.
      await store.recordClaims([
        { channelId: c2.channelId, claimedSeq: 1, claimedCumulative: 3n, unclaimedSinceMs: 250 },
      ]);
      const page = (query: Parameters<ChannelStore['settlementChannels']>[0]) =>
        store.settlementChannels(query).then((rows) => rows.map((row) => [row.channelId, row.key]));
      expect(await page({ by: 'expiresAt', bound: 30n, limit: 10 })).toEqual([
        [c1.channelId, 10n],
        [c2.channelId, 20n],
        [c3.channelId, 30n],
      ]);
      // Keyset paging: the page after a row starts right after it.
      const first = await store.settlementChannels({ by: 'expiresAt', bound: 1_000n, limit: 2 });
      expect(first.map((row) => row.key)).toEqual([10n, 20n]);
      expect(await page({ by: 'expiresAt', bound: 1_000n, limit: 2, after: first[1] })).toEqual([[c3.channelId, 30n]]);
      expect(await page({ by: 'unclaimedSince', bound: 300n, limit: 10 })).toEqual([
        [c1.channelId, 100n],
        [c2.channelId, 250n],
        [c3.channelId, 300n],
      ]);
      expect(await page({ by: 'closingSince', bound: 1_000n, limit: 10 })).toEqual([[c4.channelId, 7n]]);
      expect(await page({ by: 'unclaimedEntries', bound: 4n, limit: 10 })).toEqual([
        [c4.channelId, 8n],
        [c3.channelId, 6n],
      ]);
      const byAmount = await store.settlementChannels({ by: 'unclaimedAmount', bound: 3n, limit: 2 });
      expect(byAmount.map((row) => row.key)).toEqual([12n, 9n]);
      expect(await page({ by: 'unclaimedAmount', bound: 3n, limit: 10, after: byAmount[1] })).toEqual(
        [
          [c1.channelId, 3n],
          [c2.channelId, 3n],
        ].sort((a, b) => (toHex(b[0] as Uint8Array) < toHex(a[0] as Uint8Array) ? -1 : 1)),
      );
      // Totals leave out the closing and closed channels.
      expect(await store.unclaimedTotals()).toEqual([
        { asset: { code: 'USD', scale: 6 }, channels: 3, entries: 2 + 2 + 6, amount: 3n + 3n + 9n, oldestSinceMs: 100 },
      ]);
      expect(await store.claimMark(c2.channelId)).toEqual({
        channelId: c2.channelId,
        claimedSeq: 1,
        claimedCumulative: 3n,
        unclaimedEntries: 2,
        unclaimedSinceMs: 250,
      });
      expect(await store.claimMark(c5.channelId)).toBeUndefined();
      // Everything of channel 3 claimed: it leaves the unclaimed indexes.
      await store.recordClaims([
        { channelId: c3.channelId, claimedSeq: 3, claimedCumulative: 9n, unclaimedSinceMs: 999 },
      ]);
      expect(await page({ by: 'unclaimedEntries', bound: 1n, limit: 10 })).toEqual([
        [c4.channelId, 8n],
        ...[c1, c2]
          .map((c) => [c.channelId, 2n])
          .sort((a, b) => (toHex(b[0] as Uint8Array) < toHex(a[0] as Uint8Array) ? -1 : 1)),
      ]);
      expect((await page({ by: 'unclaimedSince', bound: 10_000n, limit: 10 })).map(([, key]) => key)).toEqual([
        100n,
        250n,
        400n,
      ]);
      await expect(store.settlementChannels({ by: 'expiresAt', bound: 0n, limit: 0 })).rejects.toThrow();
    });

    it('stores and replaces merchants', async () => {
      const merchant = {
        payeeId: bytes('m') as PayeeId,
        publicKey: new Uint8Array([3, ...bytes('mk')]) as PublicKey,
        assets: [{ code: 'USD', scale: 6 }],
        name: 'shop',
        registeredAtMs: 1_000,
      };
      await store.putMerchant(merchant);
      await store.putMerchant({ ...merchant, name: 'shop 2' });
      expect(await store.merchants()).toEqual([{ ...merchant, name: 'shop 2' }]);
    });

    it('keeps amounts exact from 0 to 2^63-1 (property)', async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.constantFrom(0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, amountMax),
            fc.bigInt({ min: 0n, max: amountMax }),
          ),
          async (amount) => {
            const channel = channelFixture(`amount ${n++}`, { deposit: amountMax, cumulative: amount, seq: 7 });
            await store.commit([{ channel }]);
            expect((await store.channel(channel.channelId))?.cumulative).toBe(amount);
          },
        ),
        { numRuns: 25 },
      );
    });
  });
}
