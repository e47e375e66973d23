/**
 * Settlement while channels stay open, the same tests for every adapter: claims that
 * chain on the last claimed head mixed with payments, top-ups and closes (conservation
 * after every step, the audit after each test); batches of claims with failing channels
 * in them; expiry finalized early; the closing-channel watch list; disputes (the newer
 * state wins, forks, late answers); payout rules and statements.
 */
import { settle, signVoucher, toHex, type Voucher } from '@trickle/protocol';
import { ClientChannel, client, domain, expectConserved, manualClock, payee, usd } from '@trickle/testing/harness';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dayMs, type LedgerErrorCode, type TrickleLedger } from '../../src/index.js';
import type { Adapter, TestStore } from '../helpers/adapters.js';

const windowMs = 60_000;
const lifetimeMs = 3_600_000;

export function settlementConformance(makeAdapter: () => Adapter): void {
  const adapter = makeAdapter();
  describe(`Settlement on ${adapter.name}`, () => {
    const clock = manualClock(Date.UTC(2026, 10, 30, 12));
    const A = payee('a');
    const B = payee('b');
    let store: TestStore;
    let ledger: TrickleLedger;
    let nonce = 0;
    afterAll(() => adapter.cleanup());
    beforeEach(async () => {
      store = await adapter.open({ domain, feePpm: 20_000, clock: clock.read, challengeWindowMs: windowMs });
      ledger = store.ledger;
    });
    afterEach(async () => {
      await expectConserved(ledger, { audit: true });
    });

    async function step<T>(operation: Promise<T>): Promise<T> {
      const result = await operation;
      await expectConserved(ledger);
      return result;
    }
    async function fails(operation: Promise<unknown>, code: LedgerErrorCode): Promise<void> {
      await expect(operation).rejects.toMatchObject({ name: 'LedgerError', code });
      await expectConserved(ledger);
    }
    const balance = async (p: Uint8Array) => (await ledger.payeeAccount(p as never, usd))?.balance ?? 0n;
    const payer = async (c: ClientChannel) => (await ledger.payerAccount(c.clientKey, usd))?.balance ?? 0n;
    async function opened(deposit = 10_000n, label = 'a', lifetime = lifetimeMs) {
      const c = new ClientChannel(client(label), ++nonce);
      const amount = deposit + 1_000_000n;
      await step(ledger.fundPayer({ clientKey: c.clientKey, asset: usd, amount, reference: `s-${nonce}` }));
      await step(
        ledger.openChannel({
          channelId: c.channelId,
          clientKey: c.clientKey,
          asset: usd,
          deposit,
          expiresAtMs: clock.now + lifetime,
        }),
      );
      return c;
    }

    it('claims chain on the last claimed head, mixed with payments, top-ups and a close', async () => {
      const c = await opened(2_000n);
      let claimed = 0;
      for (let round = 0; round < 6; round++) {
        for (let i = 0; i <= round; i++) c.pay(i % 2 === 0 ? A : B, BigInt(10 + i)).sign();
        if (round === 2) await step(ledger.topUpChannel({ channelId: c.channelId, deposit: 5_000n }));
        // Each claim carries only the entries since the previous claim.
        const state = c.state(c.latestSeq, claimed);
        expect(state.entries).toHaveLength(round + 1);
        const result = await step(ledger.claim(state));
        expect(result.channel.claimed.seq).toBe(c.latestSeq);
        claimed = c.latestSeq;
      }
      c.pay(A, 7n).sign();
      const closed = await step(ledger.closeCooperative(c.state(c.latestSeq, claimed)));
      expect(closed.payees.map((p) => p.gross)).toEqual([7n]);
      const all = settle(5_000n, c.state(c.latestSeq).entries, 20_000);
      expect(closed.refund).toBe(all.refund);
      expect((await balance(A)) + (await balance(B))).toBe(all.paid - all.fee);
    });

    it('pages a long segment: claims at intermediate vouchers, each bounded, then a close of the rest', async () => {
      const c = await opened(10_000_000n);
      const perVoucher = 128;
      for (let v = 0; v < 40; v++) {
        for (let i = 0; i < perVoucher; i++) c.pay(i % 3 === 0 ? B : A, 1n);
        c.sign();
      }
      // Pages of 10 vouchers (1,280 entries) each, as a hub with a 1,500-entry page would cut them.
      let claimed = 0;
      for (const seq of [10, 20, 30]) {
        const state = c.state(seq, claimed);
        expect(state.entries.length).toBeLessThanOrEqual(1_500);
        await step(ledger.claim(state));
        claimed = seq;
      }
      const result = await step(ledger.closeCooperative(c.state(40, claimed)));
      expect(result.refund).toBe(10_000_000n - 40n * 128n);
      // A resend of an intermediate claim is answered from its own transfers.
      expect((await step(ledger.claim(c.state(20, 10)))).payees.map((p) => p.gross)).toEqual(
        settle(10_000_000n, c.state(20, 10).entries, 20_000).payees.map((p) => p.gross),
      );
    });

    it('claims a batch, all or nothing per channel, results by index; a failing channel leaves the others', async () => {
      const channels = [];
      for (let i = 0; i < 6; i++) {
        const c = await opened(1_000n, `batch-${i}`);
        c.pay(i % 2 === 0 ? A : B, BigInt(100 + i)).sign();
        channels.push(c);
      }
      const [good0, badSig, good2, closed, good4, over] = channels as ClientChannel[];
      await step(ledger.closeCooperative((closed as ClientChannel).state(0)));
      (over as ClientChannel).pay(A, 2_000n).sign();
      const forged = (badSig as ClientChannel).state(1);
      const flipped = new Uint8Array(forged.voucher?.signature as Uint8Array);
      flipped[3] = (flipped[3] as number) ^ 1;
      const stranger = new ClientChannel(client('nobody'), 999);
      stranger.pay(A, 1n).sign();
      const before = { a: await balance(A), b: await balance(B) };
      const outcomes = await step(
        ledger.claimBatch([
          (good0 as ClientChannel).state(1),
          {
            ...forged,
            voucher: { ...(forged.voucher as NonNullable<typeof forged.voucher>), signature: flipped as never },
          },
          (good2 as ClientChannel).state(1),
          (closed as ClientChannel).state(1),
          (good4 as ClientChannel).state(1),
          (over as ClientChannel).state(2),
          stranger.state(1),
        ]),
      );
      expect(outcomes.map((o) => (o.ok ? 'ok' : o.error.code))).toEqual([
        'ok',
        'INVALID_STATE',
        'ok',
        'CHANNEL_NOT_OPEN',
        'ok',
        'INVALID_STATE',
        'UNKNOWN_CHANNEL',
      ]);
      const gained = { a: (await balance(A)) - before.a, b: (await balance(B)) - before.b };
      expect(gained.a + gained.b).toBe(100n + 102n + 104n - 2n - 2n - 2n);
      expect((await ledger.channel((badSig as ClientChannel).channelId))?.claimed.seq).toBe(0);
      // The same batch again moves nothing; the refused ones are refused again.
      const again = await step(
        ledger.claimBatch([(good0 as ClientChannel).state(1), (good2 as ClientChannel).state(1)]),
      );
      expect(again.every((o) => o.ok)).toBe(true);
      expect((await balance(A)) - before.a).toBe(gained.a);
      await expect(
        ledger.claimBatch([(good0 as ClientChannel).state(1), (good0 as ClientChannel).state(1)]),
      ).rejects.toThrow(RangeError);
      expect(await ledger.claimBatch([])).toEqual([]);
    });

    it('finalizes an expired channel at once, at its claimed state; not before expiry, not while closing', async () => {
      const c = await opened(1_000n);
      c.pay(A, 100n).sign();
      c.pay(B, 50n).sign();
      await step(ledger.claim(c.state(1)));
      const [early] = await step(ledger.finalizeExpired([c.channelId]));
      expect(early?.ok === false && early.error.code).toBe('NOT_DUE');
      clock.advance(lifetimeMs);
      const [done] = await step(ledger.finalizeExpired([c.channelId]));
      expect(done?.ok).toBe(true);
      if (done?.ok !== true) return;
      expect(done.result.refund).toBe(900n);
      expect(done.result.channel.close).toMatchObject({ kind: 'expiry', challengeEndsAtMs: clock.now });
      expect(await payer(c)).toBe(1_001_000n - 100n);
      const [again] = await step(ledger.finalizeExpired([c.channelId]));
      expect(again?.ok === true && again.result.refund).toBe(900n);
      await fails(ledger.claim(c.state(2, 1)), 'CHANNEL_NOT_OPEN');
      expect(await step(ledger.finalizeDue())).toEqual([]);
      const closing = await opened(500n, 'closing');
      closing.pay(A, 5n).sign();
      await step(ledger.startClose({ ...closing.state(1), by: 'client' }));
      clock.advance(lifetimeMs);
      const [waits] = await step(ledger.finalizeExpired([closing.channelId]));
      expect(waits?.ok === false && waits.error.code).toBe('NOT_DUE');
    });

    it('lists closing channels by the end of their window, a page at a time', async () => {
      const ends: number[] = [];
      for (let i = 0; i < 5; i++) {
        const c = await opened(100n, `watch-${i}`);
        await step(ledger.startClose({ ...c.state(0), by: 'client' }));
        ends.push(clock.now + windowMs);
        clock.advance(1_000);
      }
      await opened(100n, 'not closing');
      const first = await ledger.closingChannels({ limit: 3 });
      expect(first.channels.map((ch) => ch.close?.challengeEndsAtMs)).toEqual(ends.slice(0, 3));
      const second = await ledger.closingChannels({ limit: 3, after: first.next });
      expect(second.channels.map((ch) => ch.close?.challengeEndsAtMs)).toEqual(ends.slice(3));
      expect(second.next).toBeUndefined();
      clock.advance(windowMs);
      expect((await ledger.closingChannels()).channels.length).toBeLessThan(5);
      clock.advance(windowMs);
      expect((await ledger.closingChannels()).channels).toEqual([]);
      await step(ledger.finalizeDue());
    });

    it('a dispute: the hub answers a stale close with its newer state in time; late answers are refused', async () => {
      const c = await opened(3_000n);
      for (let i = 0; i < 5; i++) c.pay(A, 100n).sign();
      await step(ledger.startClose({ ...c.state(2), by: 'client' }));
      clock.advance(windowMs / 2);
      const answered = await step(ledger.startClose({ ...c.state(5), by: 'hub' }));
      expect(answered.close).toMatchObject({ kind: 'client', state: { seq: 5, cumulative: 500n } });
      // The payer cannot go back to its stale state, nor to one the recorded one holds.
      await fails(ledger.startClose({ ...c.state(2), by: 'client' }), 'STALE_STATE');
      await fails(ledger.startClose({ ...c.state(4), by: 'hub' }), 'STALE_STATE');
      clock.advance(windowMs / 2);
      await fails(ledger.startClose({ ...c.state(4), by: 'hub' }), 'CHANNEL_NOT_OPEN');
      const [final] = await step(ledger.finalizeDue());
      expect(final?.refund).toBe(2_500n);

      // Late: nobody answered inside the window, so the stale state is what settles.
      const late = await opened(3_000n, 'late');
      for (let i = 0; i < 3; i++) late.pay(B, 100n).sign();
      await step(ledger.startClose({ ...late.state(1), by: 'client' }));
      clock.advance(windowMs);
      await fails(ledger.startClose({ ...late.state(3), by: 'hub' }), 'CHANNEL_NOT_OPEN');
      await fails(ledger.closeCooperative(late.state(3)), 'CHANNEL_NOT_OPEN');
      const [settled] = await step(ledger.finalizeDue());
      expect(settled?.refund).toBe(2_900n);
    });

    it('a payer cannot win with a higher seq over a prefix or a fork; the hub wins a fork', async () => {
      const c = await opened(5_000n, 'honest');
      for (let i = 0; i < 4; i++) c.pay(A, 500n).sign();
      // The same key signs another history of the same channel: one small payment to B at a huge seq.
      const fork = new ClientChannel(client('honest'), nonce);
      expect(toHex(fork.channelId)).toBe(toHex(c.channelId));
      for (let i = 0; i < 20; i++) fork.pay(B, 1n).sign();
      // A huge seq over a prefix of the log (the first payment only): recorded first, the hub's state extends it.
      const first = c.state(1);
      const prefix = {
        ...first,
        voucher: signVoucher(domain, { ...(first.voucher as Voucher), seq: 1_000_000 }, client('honest')),
      };
      await step(ledger.startClose({ ...prefix, by: 'client' }));
      expect((await ledger.channel(c.channelId))?.close?.state.seq).toBe(1_000_000);
      // The hub holds seq 4 (2,000 to A): seq 2 extends the recorded prefix, so even the payer may raise it.
      await step(ledger.startClose({ ...c.state(2), by: 'client' }));
      await fails(ledger.startClose({ ...fork.state(fork.latestSeq), by: 'client' }), 'STALE_STATE');
      const answered = await step(ledger.startClose({ ...c.state(4), by: 'hub' }));
      expect(answered.close?.state.seq).toBe(4);
      await fails(ledger.startClose({ ...fork.state(fork.latestSeq), by: 'client' }), 'STALE_STATE');
      clock.advance(windowMs);
      await step(ledger.finalizeDue());
      expect(await balance(B)).toBe(0n);

      // A fork recorded first by the payer loses to the hub's answer.
      const d = await opened(5_000n, 'forker');
      for (let i = 0; i < 3; i++) d.pay(A, 700n).sign();
      const dFork = new ClientChannel(client('forker'), nonce);
      for (let i = 0; i < 10; i++) dFork.pay(B, 2n).sign();
      await step(ledger.startClose({ ...dFork.state(10), by: 'client' }));
      const beaten = await step(ledger.startClose({ ...d.state(3), by: 'hub' }));
      expect(beaten.close?.state).toMatchObject({ seq: 3, cumulative: 2_100n });
      clock.advance(windowMs);
      const [final] = await step(ledger.finalizeDue());
      expect(final?.refund).toBe(2_900n);
    });

    it('runs payout rules idempotently: daily once per day, above an amount when reached', async () => {
      const c = await opened(100_000n, 'payouts', 10 * dayMs);
      c.pay(A, 50_000n).pay(B, 10_000n).sign();
      await step(ledger.claim(c.state(1)));
      const rules = [
        { payee: A, asset: usd, when: 'daily' as const, keep: 1_000n },
        { payee: B, asset: usd, when: { above: 20_000n } },
        { payee: payee('never'), asset: usd, when: 'daily' as const },
      ];
      const first = await step(ledger.runPayoutRules(rules));
      expect(first.map((r) => r.status)).toEqual(['paid', 'skipped', 'skipped']);
      expect(first[0]?.status === 'paid' && first[0].amount).toBe(49_000n - 1_000n);
      expect(await balance(A)).toBe(1_000n);
      // Again the same day, and from a second instance on the same store: nothing moves.
      const other = await store.reopen({ clock: clock.read });
      const [again, fromOther] = await Promise.all([ledger.runPayoutRules(rules), other.runPayoutRules(rules)]);
      expect([...again, ...fromOther].filter((r) => r.status === 'paid')).toEqual([]);
      c.pay(B, 15_000n).sign();
      await step(ledger.claim(c.state(2, 1)));
      const [, b] = await step(ledger.runPayoutRules(rules));
      expect(b?.status === 'paid' && b.amount).toBe(9_800n + 14_700n);
      expect(await balance(B)).toBe(0n);
      clock.advance(dayMs);
      c.pay(A, 3_000n).sign();
      await step(ledger.claim(c.state(3, 2)));
      const [a] = await step(ledger.runPayoutRules(rules));
      expect(a?.status === 'paid' && a.amount).toBe(2_940n);
      if (other !== ledger) await other.close();
    });

    it('states a merchant’s period: earned, fees, claimed, paid out and balances', async () => {
      const start = clock.now;
      const c = await opened(1_000_000n, 'statements', 10 * dayMs);
      c.pay(A, 10_000n).sign();
      await step(ledger.claim(c.state(1)));
      await step(ledger.payout({ payee: A, asset: usd, amount: 5_000n, reference: 'st-1' }));
      clock.advance(dayMs);
      c.pay(A, 20_000n).pay(B, 1n).sign();
      await step(ledger.claim(c.state(2, 1)));
      clock.advance(dayMs);
      c.pay(A, 40_000n).sign();
      await step(ledger.closeCooperative(c.state(3, 2)));
      await step(ledger.payout({ payee: A, asset: usd, amount: 1_000n, reference: 'st-2' }));
      const all = await ledger.statement({ payee: A, asset: usd, fromMs: start, toMs: clock.now + 1 });
      expect(all).toMatchObject({
        earned: 70_000n,
        fees: 1_400n,
        claimed: 68_600n,
        paidOut: 6_000n,
        openingBalance: 0n,
        closingBalance: 62_600n,
      });
      expect(all.days).toHaveLength(3);
      expect(all.closingBalance).toBe(await balance(A));
      // The days overlapping [fromMs, toMs): the middle day only.
      const middle = await ledger.statement({ payee: A, asset: usd, fromMs: start + dayMs, toMs: start + dayMs + 1 });
      expect(middle).toMatchObject({
        earned: 20_000n,
        fees: 400n,
        claimed: 19_600n,
        paidOut: 0n,
        openingBalance: 4_800n,
        closingBalance: 24_400n,
      });
      await expect(ledger.statement({ payee: A, asset: usd, fromMs: 10, toMs: 5 })).rejects.toThrow(RangeError);
    });
  });
}
