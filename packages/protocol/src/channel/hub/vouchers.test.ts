import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { counterRandom, testKey } from '../../../test/helpers.js';
import { nowMs, setup } from '../../../test/hubStage.js';
import {
  acceptVouchers,
  type ClientChannel,
  checkReceiptMac,
  checkVouchers,
  createSigner,
  deriveMerchantKey,
  type HubChannel,
  hubIdFromKey,
  invoiceTaken,
  type Mac,
  type PayFrame,
  preparePayment,
  publicKeyOf,
  type Signature,
  settleVouchers,
  signVoucher,
} from '../../index.js';

describe('acceptVouchers', () => {
  it('accepts a voucher with several entries and issues receipts the merchant can check', () => {
    const { f, context, frame } = setup();
    const requests = [f.request(500n), f.request(250n), f.request(1n)];
    const { channel, outcomes } = acceptVouchers(f.channel, [frame(requests)], context);
    const outcome = outcomes[0]!;
    expect(outcome.kind).toBe('accepted');
    expect(channel).toMatchObject({ seq: 1, cumulative: 751n });
    if (outcome.kind !== 'accepted') return;
    // The merchant derives the same key from its own secret and the hub's public key.
    const merchantSide = deriveMerchantKey({
      secretKey: f.merchantSecret,
      peerKey: f.hubKey,
      networkId: f.domain.networkId,
      hubId: f.hubId,
      payeeId: f.payee,
    });
    outcome.entries.forEach((entry, i) => {
      const receipt = {
        networkId: f.domain.networkId,
        hubId: f.hubId,
        channelId: f.channelId,
        seq: 1,
        payee: entry.payee,
        invoiceId: entry.invoiceId,
        asset: f.channel.asset,
        amount: entry.amount,
        mac: outcome.macs[i] as Mac,
      };
      expect(checkReceiptMac(merchantSide, receipt)).toBe(true);
      expect(checkReceiptMac(merchantSide, { ...receipt, amount: entry.amount + 1n })).toBe(false);
    });
  });

  it('keeps the cumulative exact and strictly increasing over random payment streams', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.bigInt({ min: 1n, max: 10_000n }), { minLength: 1, maxLength: 5 }), { maxLength: 12 }),
        (batches) => {
          const { f, context, frame } = setup();
          let channel = f.channel;
          let expected = 0n;
          for (const amounts of batches) {
            const before = channel.cumulative;
            const result = acceptVouchers(channel, [frame(amounts.map((a) => f.request(a)))], context);
            expect(result.outcomes[0]?.kind).toBe('accepted');
            channel = result.channel;
            expected += amounts.reduce((a, b) => a + b, 0n);
            expect(channel.cumulative).toBe(expected);
            expect(channel.cumulative).toBeGreaterThan(before);
            expect(channel.cumulative).toBeLessThanOrEqual(channel.deposit);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('verifies one signature for a queue of vouchers when the newest is good', () => {
    const { f, context, frame, verifications } = setup();
    const frames = Array.from({ length: 6 }, () => frame([f.request(10n)]));
    const { channel, outcomes } = acceptVouchers(f.channel, frames, context);
    expect(outcomes.map((o) => o.kind)).toEqual(Array(6).fill('accepted'));
    expect(channel).toMatchObject({ seq: 6, cumulative: 60n });
    expect(verifications()).toBe(1);
  });

  it('a bad newest signature does not take good earlier payments down with it', () => {
    const { f, context, frame } = setup();
    const frames = Array.from({ length: 4 }, () => frame([f.request(10n)]));
    const last = frames[3]!;
    frames[3] = {
      ...last,
      signature: createSigner(testKey('evil'), { randomBytes: counterRandom() }).sign(new Uint8Array(1)),
    };
    const { channel, outcomes } = acceptVouchers(f.channel, frames, context);
    expect(outcomes.map((o) => o.kind)).toEqual(['accepted', 'accepted', 'accepted', 'rejected']);
    expect(outcomes[3]).toMatchObject({ code: 'SIGNATURE_INVALID', seq: 4 });
    expect(channel).toMatchObject({ seq: 3, cumulative: 30n });
  });

  it('a bad middle signature rejects it and everything chained after it', () => {
    const { f, context, frame } = setup();
    const frames = Array.from({ length: 5 }, () => frame([f.request(10n)]));
    frames[2] = { ...frames[2]!, signature: frames[1]!.signature };
    frames[4] = { ...frames[4]!, signature: frames[3]!.signature };
    const { channel, outcomes } = acceptVouchers(f.channel, frames, context);
    expect(outcomes.map((o) => (o.kind === 'rejected' ? o.code : o.kind))).toEqual([
      'accepted',
      'accepted',
      'SIGNATURE_INVALID',
      'SEQ_GAP',
      'SEQ_GAP',
    ]);
    expect(channel.seq).toBe(2);
  });

  it('recognises a resent voucher as a duplicate and a conflicting one as stale', () => {
    const { f, context, frame } = setup();
    const first = frame([f.request(10n)]);
    const second = frame([f.request(20n)]);
    const accepted = acceptVouchers(f.channel, [first, second], context).channel;
    const history = new Map([[1, { cumulative: 10n, logHead: first.logHead }]]);
    const withHistory = { ...context, acceptedAt: (seq: number) => history.get(seq) };
    expect(acceptVouchers(accepted, [second], withHistory).outcomes[0]?.kind).toBe('duplicate');
    expect(acceptVouchers(accepted, [first], withHistory).outcomes[0]?.kind).toBe('duplicate');
    const conflicting = { ...first, cumulative: 11n };
    expect(acceptVouchers(accepted, [conflicting], withHistory).outcomes[0]).toMatchObject({ code: 'STALE_VOUCHER' });
    // Without history the hub cannot tell an old resend from a conflict: it says stale, the client resyncs.
    expect(acceptVouchers(accepted, [first], context).outcomes[0]).toMatchObject({ code: 'STALE_VOUCHER' });
  });

  it('a voucher of seq 0 is never a duplicate: seq 0 is the genesis state, not an accepted voucher', () => {
    const { f, context } = setup();
    // The genesis state restated as a voucher: what a confused or hostile client can send on a fresh channel.
    const genesis = signVoucher(
      f.domain,
      { channelId: f.channelId, seq: 0, cumulative: 0n, logHead: f.channel.logHead },
      f.client,
    );
    const zero: PayFrame = { ...genesis, entries: [] };
    const { channel, outcomes } = acceptVouchers(f.channel, [zero], context);
    expect(outcomes[0]).toMatchObject({ kind: 'rejected', code: 'STALE_VOUCHER', seq: 0 });
    expect(channel).toBe(f.channel);
  });

  it('refuses a gap in seq', () => {
    const { f, context, frame } = setup();
    frame([f.request(10n)]);
    const second = frame([f.request(10n)]);
    expect(acceptVouchers(f.channel, [second], context).outcomes[0]).toMatchObject({ code: 'SEQ_GAP' });
  });

  it('refuses an over-deposit voucher even when correctly signed', () => {
    const { f, context } = setup();
    const request = f.request(f.channel.deposit + 1n);
    const client: ClientChannel = { ...f.channel, deposit: f.channel.deposit + 1n };
    const prepared = preparePayment(f.domain, client, [request], nowMs);
    const over = { ...signVoucher(f.domain, prepared.voucher, f.client), entries: [...prepared.entries] };
    const result = acceptVouchers(f.channel, [over], context);
    expect(result.outcomes[0]).toMatchObject({ kind: 'rejected', code: 'EXCEEDS_DEPOSIT' });
    expect(result.channel).toBe(f.channel);
  });

  it('refuses a voucher signed for another hub and one signed for another channel', () => {
    const { f, context } = setup();
    const otherHub = { ...f.domain, hubId: hubIdFromKey(publicKeyOf(testKey('other hub'))) };
    const prepared = preparePayment(f.domain, f.channel, [f.request(5n)], nowMs);
    const crossHub = { ...signVoucher(otherHub, prepared.voucher, f.client), entries: [...prepared.entries] };
    expect(acceptVouchers(f.channel, [crossHub], context).outcomes[0]).toMatchObject({ code: 'SIGNATURE_INVALID' });
    // A voucher for channel A replayed on channel B of the same client.
    const channelB: HubChannel = { ...f.channel, channelId: new Uint8Array(32).fill(3) as never };
    const replayed = {
      ...signVoucher(f.domain, prepared.voucher, f.client),
      entries: [...prepared.entries],
      channelId: channelB.channelId,
    };
    const outcome = acceptVouchers(channelB, [replayed], context).outcomes[0];
    expect(outcome?.kind).toBe('rejected');
  });

  it('refuses high-S and malformed signatures by code', () => {
    const { f, context, frame } = setup();
    const good = frame([f.request(5n)]);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(`0x${Buffer.from(good.signature.subarray(32)).toString('hex')}`);
    const high = new Uint8Array(good.signature);
    high.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32);
    expect(acceptVouchers(f.channel, [{ ...good, signature: high as Signature }], context).outcomes[0]).toMatchObject({
      code: 'SIGNATURE_HIGH_S',
    });
    for (const length of [63, 65, 70]) {
      const bad = new Uint8Array(length).fill(1) as Signature;
      expect(acceptVouchers(f.channel, [{ ...good, signature: bad }], context).outcomes[0]).toMatchObject({
        code: 'SIGNATURE_MALFORMED',
      });
    }
  });

  it('refuses any change to any signed or MACed field, leaving the state unchanged', () => {
    const { f, context, frame } = setup();
    const good = frame([f.request(500n), f.request(7n)]);
    const flip = (bytes: Uint8Array, at: number) => {
      const copy = new Uint8Array(bytes);
      copy[at % copy.length] = (copy[at % copy.length] as number) ^ 1;
      return copy;
    };
    const mutations: ((at: number) => PayFrame)[] = [
      (at) => ({ ...good, channelId: flip(good.channelId, at) as never }),
      () => ({ ...good, seq: good.seq + 1 }),
      (at) => ({ ...good, cumulative: good.cumulative + BigInt((at % 5) + 1) }),
      (at) => ({ ...good, cumulative: good.cumulative - BigInt((at % 5) + 1) }),
      (at) => ({ ...good, logHead: flip(good.logHead, at) as never }),
      (at) => ({ ...good, signature: flip(good.signature, at) as never }),
      (at) => ({ ...good, entries: good.entries.map((e, i) => (i === at % 2 ? { ...e, amount: e.amount + 1n } : e)) }),
      (at) => ({
        ...good,
        entries: good.entries.map((e, i) => (i === at % 2 ? { ...e, payee: flip(e.payee, at) as never } : e)),
      }),
      (at) => ({
        ...good,
        entries: good.entries.map((e, i) => (i === at % 2 ? { ...e, invoiceId: flip(e.invoiceId, at) as never } : e)),
      }),
      (at) => ({
        ...good,
        entries: good.entries.map((e, i) => (i === at % 2 ? { ...e, expiresAtMs: e.expiresAtMs + 1 } : e)),
      }),
      (at) => ({
        ...good,
        entries: good.entries.map((e, i) => (i === at % 2 ? { ...e, resource: flip(e.resource, at) } : e)),
      }),
      (at) => ({
        ...good,
        entries: good.entries.map((e, i) => (i === at % 2 ? { ...e, mac: flip(e.mac, at) as never } : e)),
      }),
      () => ({ ...good, entries: [...good.entries].reverse() }),
      () => ({ ...good, entries: good.entries.slice(0, 1) }),
      () => ({ ...good, entries: [...good.entries, good.entries[0]!] }),
    ];
    fc.assert(
      fc.property(fc.nat(mutations.length - 1), fc.nat(), (which, at) => {
        const result = acceptVouchers(f.channel, [mutations[which]!(at)], context);
        expect(result.outcomes[0]?.kind).toBe('rejected');
        expect(result.channel).toBe(f.channel);
      }),
      { numRuns: 300 },
    );
    expect(acceptVouchers(f.channel, [good], context).outcomes[0]?.kind).toBe('accepted');
  });

  it('checks every entry: registered payee, request MAC, expiry, and single use of invoices', () => {
    const { f, context, frame, paid } = setup();
    const unknownPayee = { ...f.request(5n), payee: new Uint8Array(32).fill(1) as never };
    const fresh = () => setup();
    expect(acceptVouchers(f.channel, [frame([unknownPayee])], context).outcomes[0]).toMatchObject({
      code: 'UNKNOWN_PAYEE',
    });

    const s2 = fresh();
    const forged = { ...s2.f.request(5n), amount: 1n };
    expect(acceptVouchers(s2.f.channel, [s2.frame([forged])], s2.context).outcomes[0]).toMatchObject({
      code: 'REQUEST_INVALID',
    });

    const s3 = fresh();
    const expired = s3.f.request(5n, nowMs);
    const prepared = preparePayment(s3.f.domain, s3.f.channel, [{ ...s3.f.request(5n, nowMs + 1) }], nowMs);
    const expiredFrame = { ...signVoucher(s3.f.domain, prepared.voucher, s3.f.client), entries: [...prepared.entries] };
    const later = { ...s3.context, nowMs: nowMs + 1 };
    expect(acceptVouchers(s3.f.channel, [expiredFrame], later).outcomes[0]).toMatchObject({ code: 'INVOICE_EXPIRED' });
    expect(expired.expiresAtMs).toBe(nowMs);

    const s4 = fresh();
    const request = s4.f.request(5n);
    s4.paid.add(Buffer.from([...request.payee, ...request.invoiceId]).toString('hex'));
    expect(acceptVouchers(s4.f.channel, [s4.frame([s4.f.request(1n), request])], s4.context).outcomes[0]).toMatchObject(
      {
        code: 'INVOICE_ALREADY_PAID',
        entry: 1,
      },
    );
    expect(paid.size).toBe(0);

    // The same invoice twice across two queued vouchers: the second is refused.
    const s5 = fresh();
    const once = s5.f.request(5n);
    const a = s5.frame([once]);
    const client2: ClientChannel = { ...s5.f.channel, seq: 1, cumulative: 5n, logHead: a.logHead };
    const p2 = preparePayment(s5.f.domain, client2, [once], nowMs);
    const b = { ...signVoucher(s5.f.domain, p2.voucher, s5.f.client), entries: [...p2.entries] };
    const outcomes = acceptVouchers(s5.f.channel, [a, b], s5.context).outcomes;
    expect(outcomes.map((o) => (o.kind === 'rejected' ? o.code : o.kind))).toEqual([
      'accepted',
      'INVOICE_ALREADY_PAID',
    ]);
  });

  it('refuses an empty voucher and payments on a closing, closed or expired channel', () => {
    const { f, context, frame } = setup();
    const good = frame([f.request(5n)]);
    expect(acceptVouchers(f.channel, [{ ...good, entries: [] }], context).outcomes[0]).toMatchObject({
      code: 'EMPTY_VOUCHER',
    });
    expect(acceptVouchers({ ...f.channel, closingSinceMs: 1 }, [good], context).outcomes[0]).toMatchObject({
      code: 'CHANNEL_CLOSED',
    });
    expect(acceptVouchers({ ...f.channel, closedAtMs: 1 }, [good], context).outcomes[0]).toMatchObject({
      code: 'CHANNEL_CLOSED',
    });
    expect(acceptVouchers({ ...f.channel, expiresAtMs: nowMs }, [good], context).outcomes[0]).toMatchObject({
      code: 'CHANNEL_EXPIRED',
    });
  });
});

describe('the voucher stage in two steps (checkVouchers, then settleVouchers) and its invoice effects', () => {
  it('reserves the invoices of exactly the accepted vouchers, as effects, and no others', () => {
    const { f, context, frame } = setup();
    const frames = Array.from({ length: 3 }, (_, i) => frame([f.request(10n + BigInt(i)), f.request(1n)]));
    const check = checkVouchers(f.channel, frames, context);
    expect(check.candidates).toHaveLength(3);
    // The newest fails, the first verifies, the second fails: only the first is accepted.
    const verified = (i: number) => i === 0;
    const settled = settleVouchers(f.channel, frames.length, check, verified, context);
    expect(settled.outcomes.map((o) => o.kind)).toEqual(['accepted', 'rejected', 'rejected']);
    expect(settled.effects).toEqual([{ kind: 'reserveInvoices', seq: 1, entries: frames[0]!.entries }]);
    // Nothing reserved when nothing is accepted; everything when all verify.
    expect(settleVouchers(f.channel, frames.length, check, () => false, context).effects).toEqual([]);
    const all = settleVouchers(f.channel, frames.length, check, () => true, context);
    expect(all.effects.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(all.effects.flatMap((e) => e.entries)).toEqual(frames.flatMap((fr) => fr.entries));
    // acceptVouchers carries the same effects.
    expect(acceptVouchers(f.channel, frames, context).effects).toEqual(all.effects);
  });

  it('names the invoice to reserve when the store found one paid already, and nothing for an unknown entry', () => {
    const { f, context, frame } = setup();
    const frames = [frame([f.request(5n)]), frame([f.request(6n), f.request(7n)])];
    const { outcomes } = acceptVouchers(f.channel, frames, context);
    expect(invoiceTaken(outcomes, { seq: 2, entry: 1 })).toEqual({
      kind: 'reserveInvoices',
      seq: 2,
      entries: [frames[1]!.entries[1]],
    });
    expect(invoiceTaken(outcomes, { seq: 2, entry: 2 })).toBeUndefined();
    expect(invoiceTaken(outcomes, { seq: 9, entry: 0 })).toBeUndefined();
  });

  it('a reserved invoice, once the shell knows it, refuses a later voucher paying it again at that entry', () => {
    const { f, context, frame, paid } = setup();
    const request = f.request(5n);
    const { channel, effects } = acceptVouchers(f.channel, [frame([request])], context);
    for (const effect of effects) {
      for (const e of effect.entries) paid.add(Buffer.from([...e.payee, ...e.invoiceId]).toString('hex'));
    }
    const again = acceptVouchers(channel, [frame([f.request(1n), request])], context);
    expect(again.outcomes[0]).toMatchObject({ code: 'INVOICE_ALREADY_PAID', entry: 1 });
    expect(again.effects).toEqual([]);
  });
});
