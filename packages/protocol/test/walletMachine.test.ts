/**
 * Property tests of the wallet's pure step function, driven directly (no sockets, no
 * timers): a world of a store, a connection, timers and an honest hub (walletWorld.ts)
 * runs random interleavings of calls, frames, lost replies, cuts, failed writes, a broken
 * signer and a busy hub. After every step the machine's invariants hold and the step is
 * pure (replayed on the same state, it gives the same effects); at rest, every call is
 * answered, what was charged is exactly what was receipted, and hub, wallet and store agree.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialWalletState, type Receipt, walletBalance, walletStatus } from '../src/index.js';
import { signedPoint, walletRecordOf } from '../src/wallet/walletState.js';
import { usd } from './helpers.js';
import { actions, canonical, deposit, openWorld, play, World } from './walletWorld.js';

describe('the wallet machine (property)', () => {
  it('keeps its invariants at every step, is pure, and ends with hub, wallet and store agreeing', () => {
    fc.assert(
      fc.property(fc.array(actions, { minLength: 40, maxLength: 300, size: 'large' }), (list) => {
        const world = openWorld();
        play(world, list);
        expect(world.settle()).toBe(true);
        expect(world.violations).toEqual([]);

        // Every call is answered.
        for (const [id, call] of world.calls)
          expect(call.answers.length, `call ${id} (${call.kind})`).toBeGreaterThan(0);
        // Charged exactly when a caller got the receipt: every invoice the hub holds has one
        // resolved payment, and every resolved payment's invoice is in the hub's log once.
        const receipts: Receipt[] = world.receipts();
        const resolvedInvoices = receipts.map((r) => `${r.payee}${r.invoiceId}`);
        expect(new Set(resolvedInvoices).size).toBe(resolvedInvoices.length);
        const logged = world.hub.log.flatMap((v) => v.entries);
        expect(logged.length).toBe(receipts.length);
        const paid = receipts.reduce((sum, r) => sum + r.amount, 0n);
        const hubChannel = world.hub.channel!;
        expect(hubChannel.cumulative).toBe(paid);
        for (const call of world.calls.values()) {
          const resolved = call.answers.find((a) => a.ok);
          if (call.kind === 'pay' && resolved !== undefined)
            expect((resolved.value as Receipt).amount).toBe(call.request!.amount);
        }
        // Wallet and hub agree, nothing is left in flight.
        const status = walletStatus(world.state);
        expect(status).toMatchObject({ session: 'ready', channel: 'open', queued: 0, inFlight: 0, drained: true });
        const channel = world.state.channel!;
        expect(channel.acked.cumulative).toBe(hubChannel.cumulative);
        expect(signedPoint(channel).seq).toBe(hubChannel.seq);
        expect(channel.deposit).toBe(hubChannel.deposit);
        expect(world.state.spent.total).toBe(hubChannel.cumulative);
        // What the store holds is what the wallet knows; a wallet started from it has the same balance.
        expect(canonical(world.store.record)).toBe(canonical(walletRecordOf(world.state)));
        // (A failed write that dropped refused vouchers leaves them in the store: a restart resends them.)
        if (world.failedWrites === 0) expect(world.store.pending).toEqual([]);
        const restarted = initialWalletState(world.config, {
          record: world.store.record!,
          pending: world.store.pending,
          history: world.store.history,
        });
        // Refused vouchers whose drop could not be written are still in the store: a wallet
        // restarted from it counts them as signed until it resends them and the hub refuses
        // them again. Nothing else may differ.
        const leftover = world.store.pending.filter((v) => v.seq > channel.acked.seq).at(-1);
        if (leftover === undefined) {
          expect(canonical(walletBalance(restarted))).toBe(canonical(walletBalance(world.state)));
        } else {
          expect(world.failedWrites).toBeGreaterThan(0);
          expect(canonical({ ...walletBalance(restarted), spent: 0n, available: 0n })).toBe(
            canonical({ ...walletBalance(world.state), spent: 0n, available: 0n }),
          );
          expect(walletBalance(restarted)?.spent).toBe(BigInt(leftover.cumulative));
        }

        // Close: the refund is what the hub holds back.
        const close = world.call('close', (id) => ({ type: 'close', call: id }));
        expect(world.settle()).toBe(true);
        expect(world.violations).toEqual([]);
        const answer = world.calls.get(close)?.answers[0];
        expect(answer?.ok).toBe(true);
        expect((answer as { value: { refund: bigint } }).value.refund).toBe(hubChannel.deposit - hubChannel.cumulative);
        expect(world.hub.channel?.closedAtMs).toBeDefined();
      }),
      { numRuns: 120 },
    );
  });

  it('a stop answers every call; what it reports as not charged was not charged', () => {
    fc.assert(
      fc.property(fc.array(actions, { minLength: 20, maxLength: 150, size: 'large' }), (list) => {
        const world = openWorld();
        play(world, list);
        const stop = world.call('stop', (id) => ({ type: 'stop', call: id }));
        expect(world.settle()).toBe(true);
        expect(world.violations).toEqual([]);
        expect(world.calls.get(stop)?.answers[0]?.ok).toBe(true);
        expect(walletStatus(world.state).session).toBe('stopped');
        // What was charged is explained: each invoice in the hub's log has a call that was
        // answered with its receipt, or told it may still be charged (aborted after signing,
        // stopped with its voucher in flight). No call told "nothing was charged" is charged alone.
        const keyOf = (r: { payee: Uint8Array; invoiceId: Uint8Array }) => `${r.payee}/${r.invoiceId}`;
        const explained = new Set<string>();
        for (const [id, call] of world.calls) {
          expect(call.answers.length, `call ${id} (${call.kind})`).toBeGreaterThan(0);
          if (call.kind !== 'pay' || call.request === undefined) continue;
          const first = call.answers[0] as { ok: boolean; value: unknown };
          const error = first.value as { code?: string; message?: string };
          const mayBeCharged =
            call.answers.some((a) => a.ok) ||
            error.code === 'ABORTED_AFTER_SIGNING' ||
            (error.code === 'STOPPED' && /may still be charged/.test(error.message ?? ''));
          if (mayBeCharged) explained.add(keyOf(call.request));
        }
        for (const voucher of world.hub.log) {
          for (const entry of voucher.entries)
            expect(explained.has(keyOf(entry)), 'a charge nobody was told of').toBe(true);
        }
      }),
      { numRuns: 80 },
    );
  });

  it('spending caps hold over queued and signed payments', () => {
    fc.assert(
      fc.property(fc.array(actions, { minLength: 20, maxLength: 200, size: 'large' }), (list) => {
        const world = new World({ policy: { totalMax: 300n, payeeMax: 250n, paymentMax: 35n } });
        expect(world.settle()).toBe(true);
        world.call('openChannel', (id) => ({
          type: 'openChannel',
          call: id,
          deposit,
          asset: usd,
          lifetimeMs: 3_600_000,
          nonce: new Uint8Array(16).fill(3),
        }));
        expect(world.settle()).toBe(true);
        play(world, list);
        expect(world.settle()).toBe(true);
        expect(world.violations).toEqual([]);
        expect(world.state.spent.total <= 250n).toBe(true);
        expect(world.hub.channel!.cumulative <= 250n).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('the wallet machine (cases)', () => {
  /** Runs the world until `pay` frames stop moving, without delivering hub frames to the wallet unless asked. */
  function pay(world: World, amount: bigint): number {
    const request = world.fx.request(amount, world.nowMs + 3_600_000);
    return world.call('pay', (id) => ({ type: 'pay', call: id, request }), request);
  }

  it('a lost receipts frame leaves an older voucher pending; the next voucher still follows the newest', () => {
    const world = openWorld();
    const first = pay(world, 5n);
    while (world.conn!.toHub.length === 0) {
      if (!world.stepOnce()) world.writes.length > 0 ? world.completeWrite() : world.fireTimer();
    }
    world.hubStep(true); // accepted at seq 1; its receipts are lost
    const second = pay(world, 7n);
    expect(world.settle()).toBe(true); // seq 2 is accepted and acknowledged (then seq 1 resent on a new connection)
    expect(world.calls.get(second)?.answers[0]?.ok).toBe(true);
    const third = pay(world, 11n);
    expect(world.settle()).toBe(true);
    expect(world.violations).toEqual([]);
    const receiptOf = (call: number): Receipt => {
      const answer = world.calls.get(call)?.answers[0];
      if (answer === undefined) throw new Error(`call ${call} has no answer`);
      return answer.value as Receipt;
    };
    expect(receiptOf(third).seq).toBe(3);
    // The reconnect resends seq 1, and its receipts come again.
    world.cut();
    expect(world.settle()).toBe(true);
    expect(receiptOf(first).seq).toBe(1);
    expect(world.hub.channel?.cumulative).toBe(23n);
    expect(walletStatus(world.state)).toMatchObject({ inFlight: 0, drained: true });
  });

  it('the hub closes a channel whose receipts were lost: they come from its log; a voucher it never took fails uncharged', () => {
    const world = openWorld();
    const sendOne = () => {
      while (world.conn!.toHub.length === 0) {
        if (!world.stepOnce()) world.writes.length > 0 ? world.completeWrite() : world.fireTimer();
      }
    };
    const first = pay(world, 5n);
    sendOne();
    world.hubStep(true); // accepted at seq 1; its receipts are lost
    const second = pay(world, 7n);
    sendOne();
    world.conn!.toHub.length = 0; // seq 2 never reaches the hub
    // The channel expires and the hub finalizes it at seq 1 (as a hub's scheduler does).
    const hubState = world.hub.state(world.nowMs)!;
    expect(hubState.seq).toBe(1);
    world.conn!.toWallet.push({
      type: 'closed',
      channelId: hubState.channelId,
      state: hubState,
      seq: hubState.seq,
      cumulative: hubState.cumulative,
      refund: hubState.deposit - hubState.cumulative,
    });
    expect(world.settle()).toBe(true);
    expect(world.violations).toEqual([]);
    const [paid] = world.calls.get(first)?.answers ?? [];
    expect(paid).toMatchObject({ ok: true, value: { seq: 1 } });
    const [refused] = world.calls.get(second)?.answers ?? [];
    expect(refused).toMatchObject({ ok: false, value: { code: 'CHANNEL_CLOSED' } });
    expect(world.state.spent.total).toBe(5n);
    expect(walletStatus(world.state)).toMatchObject({ channel: 'closed', inFlight: 0 });
  });
});
