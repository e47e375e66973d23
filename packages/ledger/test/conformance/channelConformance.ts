/**
 * The channel lifecycle, the same tests for every adapter: funding, open, top-up, claims,
 * cooperative and unilateral closes with the challenge window, expiry, finalize exactly
 * once, payouts. Conservation is checked after every step, the full audit after each test.
 */
import { settle, toHex } from '@trickle/protocol';
import { ClientChannel, client, domain, expectConserved, manualClock, payee, usd } from '@trickle/testing/harness';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LedgerErrorCode, SignedState, TrickleLedger } from '../../src/index.js';
import type { Adapter, TestStore } from '../helpers/adapters.js';

const windowMs = 60_000;
const lifetimeMs = 3_600_000;

export function channelConformance(makeAdapter: () => Adapter): void {
  const adapter = makeAdapter();
  describe(`Channel lifecycle on ${adapter.name}`, () => {
    const clock = manualClock();
    const A = payee('a');
    const B = payee('b');
    let store: TestStore;
    let ledger: TrickleLedger;
    let nonce = 0;
    afterAll(() => adapter.cleanup());
    beforeEach(async () => {
      store = await adapter.open({ domain, feePpm: 25_000, clock: clock.read, challengeWindowMs: windowMs });
      ledger = store.ledger;
    });
    afterEach(async () => {
      await expectConserved(ledger, { audit: true });
    });

    /** Runs one operation, then checks conservation. */
    async function step<T>(operation: Promise<T>): Promise<T> {
      const result = await operation;
      await expectConserved(ledger);
      return result;
    }
    async function fails(operation: Promise<unknown>, code: LedgerErrorCode): Promise<void> {
      await expect(operation).rejects.toMatchObject({ name: 'LedgerError', code });
      await expectConserved(ledger);
    }
    const payeeBalance = async (p: Uint8Array) => (await ledger.payeeAccount(p as never, usd))?.balance ?? 0n;
    const feeBalance = async () => (await ledger.lookupAccounts(['fee:USD:6']))[0]?.balance ?? 0n;
    async function opened(deposit = 5_000n, funding = 10_000n, label = 'a') {
      const c = new ClientChannel(client(label), ++nonce);
      await step(ledger.fundPayer({ clientKey: c.clientKey, asset: usd, amount: funding, reference: `fund-${nonce}` }));
      const channel = await step(
        ledger.openChannel({
          channelId: c.channelId,
          clientKey: c.clientKey,
          asset: usd,
          deposit,
          expiresAtMs: clock.now + lifetimeMs,
        }),
      );
      return { c, channel };
    }
    const payer = async (c: ClientChannel) => (await ledger.payerAccount(c.clientKey, usd))?.available;

    it('funds a payer idempotently by reference', async () => {
      const c = new ClientChannel(client('f'), ++nonce);
      const input = { clientKey: c.clientKey, asset: usd, amount: 700n, reference: 'card-1' };
      expect(await step(ledger.fundPayer(input))).toMatchObject({ status: 'created', available: 700n });
      expect(await step(ledger.fundPayer(input))).toMatchObject({ status: 'exists', available: 700n });
      await fails(ledger.fundPayer({ ...input, amount: 701n }), 'EXISTS_WITH_DIFFERENT_FIELDS');
      const other = new ClientChannel(client('g'), ++nonce);
      await fails(ledger.fundPayer({ ...input, clientKey: other.clientKey }), 'EXISTS_WITH_DIFFERENT_FIELDS');
      await expect(ledger.fundPayer({ ...input, reference: 'card-2', amount: 0n })).rejects.toThrow(RangeError);
    });

    it('opens into the channel escrow, idempotently by channel id', async () => {
      const { c, channel } = await opened(4_000n);
      expect(channel).toMatchObject({
        deposit: 4_000n,
        feePpm: 25_000,
        asset: usd,
        claimed: { seq: 0, cumulative: 0n },
      });
      expect(await payer(c)).toBe(6_000n);
      expect((await ledger.lookupAccounts([`escrow:${toHex(c.channelId)}`]))[0]?.balance).toBe(4_000n);
      const input = {
        channelId: c.channelId,
        clientKey: c.clientKey,
        asset: usd,
        deposit: 4_000n,
        expiresAtMs: channel.expiresAtMs,
      };
      expect((await step(ledger.openChannel(input))).deposit).toBe(4_000n);
      expect(await payer(c)).toBe(6_000n);
      await fails(ledger.openChannel({ ...input, deposit: 3_000n }), 'EXISTS_WITH_DIFFERENT_FIELDS');
      await fails(ledger.openChannel({ ...input, expiresAtMs: input.expiresAtMs + 1 }), 'EXISTS_WITH_DIFFERENT_FIELDS');
    });

    it('refuses an open the payer cannot cover, then accepts it once funded', async () => {
      const c = new ClientChannel(client('poor'), ++nonce);
      const input = {
        channelId: c.channelId,
        clientKey: c.clientKey,
        asset: usd,
        deposit: 500n,
        expiresAtMs: clock.now + lifetimeMs,
      };
      await fails(ledger.openChannel(input), 'INSUFFICIENT_FUNDS');
      await step(ledger.fundPayer({ clientKey: c.clientKey, asset: usd, amount: 100n, reference: `poor-${nonce}-1` }));
      await fails(ledger.openChannel(input), 'INSUFFICIENT_FUNDS');
      expect(await ledger.channel(c.channelId)).toBeUndefined();
      await step(ledger.fundPayer({ clientKey: c.clientKey, asset: usd, amount: 400n, reference: `poor-${nonce}-2` }));
      expect((await step(ledger.openChannel(input))).deposit).toBe(500n);
      expect(await payer(c)).toBe(0n);
    });

    it('tops up to a new total; a resent or lower total moves nothing', async () => {
      const { c } = await opened(1_000n, 3_000n);
      expect((await step(ledger.topUpChannel({ channelId: c.channelId, deposit: 1_500n }))).deposit).toBe(1_500n);
      expect((await step(ledger.topUpChannel({ channelId: c.channelId, deposit: 1_500n }))).deposit).toBe(1_500n);
      expect((await step(ledger.topUpChannel({ channelId: c.channelId, deposit: 1_200n }))).deposit).toBe(1_500n);
      expect(await payer(c)).toBe(1_500n);
      await fails(ledger.topUpChannel({ channelId: c.channelId, deposit: 9_000n }), 'INSUFFICIENT_FUNDS');
      const other = new ClientChannel(client('x'), ++nonce);
      await fails(ledger.topUpChannel({ channelId: other.channelId, deposit: 9n }), 'UNKNOWN_CHANNEL');
    });

    it('claims repeatedly while open; fees do not depend on how the claims were spaced', async () => {
      const often = await opened(5_000n, 10_000n, 'often');
      const once = await opened(5_000n, 10_000n, 'once');
      const prices = [39n, 41n, 7n, 120n, 3n, 77n];
      for (const [i, price] of prices.entries()) {
        for (const { c } of [often, once])
          c.pay(i % 2 === 0 ? A : B, price)
            .pay(A, 1n)
            .sign();
        await step(ledger.claim(often.c.state(i + 1, i)));
      }
      const before = { a: await payeeBalance(A), b: await payeeBalance(B), fee: await feeBalance() };
      const result = await step(ledger.claim(once.c.state(prices.length)));
      const gained = {
        a: (await payeeBalance(A)) - before.a,
        b: (await payeeBalance(B)) - before.b,
        fee: (await feeBalance()) - before.fee,
      };
      const expected = settle(5_000n, once.c.state(prices.length).entries, 25_000);
      expect(gained.fee).toBe(expected.fee);
      expect(before.fee).toBe(expected.fee);
      expect(gained.a + gained.b + gained.fee).toBe(expected.paid);
      expect(result.payees.map((p) => p.gross)).toEqual(expected.payees.map((p) => p.gross));
      expect(result.refund).toBe(0n);
      const channel = await ledger.channel(often.c.channelId);
      expect(channel?.claimed.seq).toBe(prices.length);
      expect(channel?.claimed.cumulative).toBe(expected.paid);
    });

    it('a resent claim returns the same result and moves nothing', async () => {
      const { c } = await opened();
      c.pay(A, 400n).pay(B, 100n).sign();
      const first = await step(ledger.claim(c.state(1)));
      const fee = await feeBalance();
      const again = await step(ledger.claim(c.state(1)));
      expect(again.payees).toEqual(first.payees);
      expect(await feeBalance()).toBe(fee);
      expect(first.payees.map((p) => [p.gross, p.fee, p.net])).toEqual(
        [
          [toHex(A), 400n, 10n, 390n],
          [toHex(B), 100n, 2n, 98n],
        ]
          .sort()
          .map(([, g, f, n]) => [g, f, n]),
      );
      // No voucher names the claimed state: what its claim posted comes back.
      const claimed = await step(ledger.claim({ channelId: c.channelId, voucher: undefined, entries: [] }));
      expect(claimed.payees).toEqual(first.payees);
    });

    it('a claim of another state at a claimed seq is refused, not taken for a resend', async () => {
      const { c } = await opened(1_000n);
      // The same client key signs a second, different voucher at seq 1: nothing stops a client doing that.
      const twin = new ClientChannel(client('a'), nonce);
      expect(twin.channelId).toEqual(c.channelId);
      c.paySigned(A, 100n);
      twin.paySigned(B, 40n);
      const first = await step(ledger.claim(c.state(1)));
      await fails(ledger.claim(twin.state(1)), 'STALE_STATE');
      expect(await payeeBalance(B)).toBe(0n);
      expect((await step(ledger.claim(c.state(1)))).payees).toEqual(first.payees);
      c.paySigned(A, 50n);
      await step(ledger.claim(c.state(2, 1)));
      // Below the claimed seq too, where the ledger holds the signed state of that seq.
      await fails(ledger.claim(twin.state(1)), 'STALE_STATE');
      expect((await step(ledger.claim(c.state(1)))).payees).toEqual(first.payees);
      expect((await ledger.channel(c.channelId))?.claimed.seq).toBe(2);
    });

    it('refuses claims that the signature, the log or the deposit do not prove', async () => {
      const { c } = await opened(1_000n);
      c.pay(A, 300n).pay(B, 200n).sign();
      const good = c.state(1);
      const voucher = good.voucher!;
      const badSig = new Uint8Array(voucher.signature);
      badSig[5] = (badSig[5] as number) ^ 1;
      await fails(ledger.claim({ ...good, voucher: { ...voucher, signature: badSig as never } }), 'INVALID_STATE');
      await fails(ledger.claim({ ...good, entries: good.entries.slice(1) }), 'INVALID_STATE');
      await fails(ledger.claim({ ...good, entries: [] }), 'INVALID_STATE');
      const forged = new ClientChannel(client('mallory'), nonce);
      forged.pay(A, 300n).pay(B, 200n).sign();
      await fails(ledger.claim({ ...forged.state(1), channelId: c.channelId }), 'INVALID_STATE');
      await fails(ledger.claim(forged.state(1)), 'UNKNOWN_CHANNEL');
      c.pay(A, 600n).sign();
      await fails(ledger.claim(c.state(2)), 'INVALID_STATE'); // 1,100 > deposit 1,000
      expect(await payeeBalance(A)).toBe(0n);
      await step(ledger.claim(good));
      expect(await payeeBalance(A)).toBe(293n);
    });

    it('closes cooperatively: payees, fee and refund at once, exactly once', async () => {
      const { c } = await opened(2_000n, 2_000n);
      c.pay(A, 100n).sign();
      await step(ledger.claim(c.state(1)));
      c.pay(B, 40n).pay(A, 60n).sign();
      const result = await step(ledger.closeCooperative(c.state(2, 1)));
      expect(result.refund).toBe(1_800n);
      expect(result.payees.map((p) => p.gross).sort()).toEqual([40n, 60n]);
      expect(result.channel.finalizedAtMs).toBe(clock.now);
      expect(result.channel.close?.kind).toBe('cooperative');
      expect(await payer(c)).toBe(1_800n);
      expect((await ledger.lookupAccounts([`escrow:${toHex(c.channelId)}`]))[0]?.balance).toBe(0n);
      const again = await step(ledger.closeCooperative(c.state(2, 1)));
      expect(again.refund).toBe(result.refund);
      expect(again.payees).toEqual(result.payees);
      expect(await payer(c)).toBe(1_800n);
      await fails(ledger.closeCooperative(c.state(1)), 'CHANNEL_NOT_OPEN');
      c.pay(A, 5n).sign();
      await fails(ledger.claim(c.state(3, 2)), 'CHANNEL_NOT_OPEN');
      await fails(ledger.startClose({ ...c.state(3, 2), by: 'hub' }), 'CHANNEL_NOT_OPEN');
      await fails(ledger.topUpChannel({ channelId: c.channelId, deposit: 5_000n }), 'CHANNEL_NOT_OPEN');
      clock.advance(lifetimeMs + windowMs);
      expect(await step(ledger.finalizeDue())).toEqual([]);
    });

    it('a stale close by the client loses to the hub’s newer state inside the window', async () => {
      const { c } = await opened(3_000n);
      for (let i = 0; i < 4; i++) c.paySigned(i % 2 === 0 ? A : B, 100n * BigInt(i + 1));
      await step(ledger.claim(c.state(1)));
      const closing = await step(ledger.startClose({ ...c.state(2, 1), by: 'client' }));
      expect(closing.close).toMatchObject({
        kind: 'client',
        startedAtMs: clock.now,
        challengeEndsAtMs: clock.now + windowMs,
      });
      expect(closing.close?.state.seq).toBe(2);
      await fails(ledger.claim(c.state(3, 1)), 'CHANNEL_NOT_OPEN');
      clock.advance(windowMs / 2);
      const challenged = await step(ledger.startClose({ ...c.state(3, 1), by: 'hub' }));
      expect(challenged.close).toMatchObject({ kind: 'client', challengeEndsAtMs: closing.close?.challengeEndsAtMs });
      expect(challenged.close?.state.seq).toBe(3);
      await fails(ledger.startClose({ ...c.state(2, 1), by: 'client' }), 'STALE_STATE');
      expect((await step(ledger.startClose({ ...c.state(3, 1), by: 'hub' }))).close?.state.seq).toBe(3);
      expect(await step(ledger.finalizeDue())).toEqual([]);
      clock.advance(windowMs / 2);
      await fails(ledger.startClose({ ...c.state(4, 1), by: 'hub' }), 'CHANNEL_NOT_OPEN');
      const [settled, ...more] = await step(ledger.finalizeDue());
      expect(more).toEqual([]);
      expect(settled?.channel.claimed.seq).toBe(3);
      expect(settled?.refund).toBe(3_000n - 600n);
      expect(await step(ledger.finalizeDue())).toEqual([]);
      expect(await payer(c)).toBe(7_000n + 2_400n);
      const expected = settle(3_000n, c.state(3).entries, 25_000);
      expect((await payeeBalance(A)) + (await payeeBalance(B)) + (await feeBalance())).toBe(expected.paid);
      expect(await feeBalance()).toBe(expected.fee);
    });

    it('a unilateral close by the hub; the client cannot go back to an older state', async () => {
      const { c } = await opened(1_000n);
      c.paySigned(A, 10n);
      c.paySigned(A, 20n);
      await step(ledger.startClose({ ...c.state(2), by: 'hub' }));
      await fails(ledger.startClose({ ...c.state(1), by: 'client' }), 'STALE_STATE');
      await fails(
        ledger.startClose({ channelId: c.channelId, voucher: undefined, entries: [], by: 'client' }),
        'STALE_STATE',
      );
      await fails(ledger.closeCooperative(c.state(1)), 'STALE_STATE');
      const result = await step(ledger.closeCooperative(c.state(2)));
      expect(result.channel.close?.kind).toBe('hub');
      expect(result.refund).toBe(970n);
    });

    it('a zero-spend channel closes and refunds in full', async () => {
      const { c } = await opened(800n, 800n);
      const closing = await step(
        ledger.startClose({ channelId: c.channelId, voucher: undefined, entries: [], by: 'client' }),
      );
      expect(closing.close?.state.seq).toBe(0);
      clock.advance(windowMs);
      const [result] = await step(ledger.finalizeDue());
      expect(result?.refund).toBe(800n);
      expect(result?.payees).toEqual([]);
      expect(await payer(c)).toBe(800n);
    });

    it('expiry: claims and closes are allowed until the grace ends, then it refunds at the claimed state', async () => {
      const { c } = await opened(1_000n);
      c.paySigned(A, 100n);
      c.paySigned(B, 50n);
      clock.advance(lifetimeMs);
      await fails(ledger.topUpChannel({ channelId: c.channelId, deposit: 2_000n }), 'CHANNEL_NOT_OPEN');
      expect(await step(ledger.finalizeDue())).toEqual([]);
      await step(ledger.claim(c.state(1)));
      clock.advance(windowMs);
      await fails(ledger.claim(c.state(2, 1)), 'CHANNEL_NOT_OPEN');
      await fails(ledger.startClose({ ...c.state(2, 1), by: 'hub' }), 'CHANNEL_NOT_OPEN');
      const [result] = await step(ledger.finalizeDue());
      expect(result?.channel.close).toMatchObject({ kind: 'expiry', challengeEndsAtMs: clock.now });
      expect(result?.refund).toBe(900n);
      expect(await payeeBalance(B)).toBe(0n);
      expect(await step(ledger.finalizeDue())).toEqual([]);
    });

    it('finalizes many due channels in batches, each exactly once', async () => {
      const channels = [];
      for (let i = 0; i < 5; i++) {
        const { c } = await opened(1_000n, 1_000n, `many-${i}`);
        c.paySigned(i % 2 === 0 ? A : B, BigInt(10 + i));
        await step(ledger.startClose({ ...c.state(1), by: 'client' }));
        channels.push(c);
      }
      clock.advance(windowMs);
      const report = await step(ledger.finalizeDueReport());
      expect(report.failed).toEqual([]);
      expect(report.finalized).toHaveLength(5);
      expect(await step(ledger.finalizeDue())).toEqual([]);
      for (const [i, c] of channels.entries()) expect(await payer(c)).toBe(1_000n - BigInt(10 + i));
    });

    it('pays out idempotently by reference; a refused payout stays refused', async () => {
      const { c } = await opened(1_000n);
      c.paySigned(A, 400n);
      await step(ledger.claim(c.state(1)));
      const input = { payee: A, asset: usd, amount: 300n, reference: 'withdraw-1' };
      expect(await step(ledger.payout(input))).toMatchObject({ status: 'created', available: 90n });
      expect(await step(ledger.payout(input))).toMatchObject({ status: 'exists', available: 90n });
      await fails(ledger.payout({ ...input, amount: 301n }), 'EXISTS_WITH_DIFFERENT_FIELDS');
      await fails(ledger.payout({ ...input, reference: 'withdraw-2', amount: 91n }), 'INSUFFICIENT_FUNDS');
      c.paySigned(A, 500n);
      await step(ledger.claim(c.state(2, 1)));
      await fails(ledger.payout({ ...input, reference: 'withdraw-2', amount: 91n }), 'INSUFFICIENT_FUNDS');
      await fails(
        ledger.payout({ payee: payee('nobody'), asset: usd, amount: 1n, reference: 'w-3' }),
        'UNKNOWN_ACCOUNT',
      );
      const report = await ledger.audit();
      expect(report.assets).toEqual([{ asset: 'USD:6', moneyIn: 10_000n, moneyOut: 300n, balances: 9_700n }]);
    });

    it('states survive a restart and a resent close after it returns the same result', async () => {
      const { c } = await opened(1_000n);
      c.paySigned(A, 250n);
      await step(ledger.startClose({ ...c.state(1), by: 'client' }));
      const restarted = await store.reopen({ clock: clock.read });
      expect((await restarted.channel(c.channelId))?.close?.state.seq).toBe(1);
      const result = await restarted.closeCooperative(c.state(1));
      expect(result.refund).toBe(750n);
      expect((await ledger.closeCooperative(c.state(1))).refund).toBe(750n);
      await expectConserved(restarted, { audit: true });
    });

    it('rejects states of one channel submitted for another', async () => {
      const first = await opened(1_000n, 1_000n, 'p');
      const second = await opened(1_000n, 1_000n, 'p');
      first.c.paySigned(A, 5n);
      const state: SignedState = { ...first.c.state(1), channelId: second.c.channelId };
      await fails(ledger.claim(state), 'INVALID_STATE');
    });
  });
}
