/**
 * Jepsen's bank test and an idempotency workload, for every adapter. Many transfers run
 * concurrently (a real connection pool on PostgreSQL) while readers take snapshots: every
 * read must sum to the total and show no negative balance, and the final balances must
 * equal the initial ones replayed through exactly the transfers reported `created`.
 * Then each mutation is sent 1-5 times at once, some ids with other content: each takes
 * effect once, and the mismatched ones are refused.
 */

import { seededRandom } from '@trickle/testing';
import { ClientChannel, client, domain, expectConserved, manualClock, payee, usd } from '@trickle/testing/harness';
import { afterAll, describe, expect, it } from 'vitest';
import type { TransferInput, TransferResult, TrickleLedger } from '../../src/index.js';
import type { Adapter } from '../helpers/adapters.js';

/** Workload size per adapter. */
export interface BankLoad {
  readonly writers: number;
  readonly opsPerWriter: number;
  readonly readers: number;
}

const accountCount = 6;
const initial = 1_000n;

export function bankConformance(makeAdapter: () => Adapter, load: BankLoad): void {
  const adapter = makeAdapter();
  describe(`Bank and idempotency workloads on ${adapter.name}`, () => {
    const clock = manualClock();
    afterAll(() => adapter.cleanup());
    const ids = Array.from({ length: accountCount }, (_, i) => `acct-${i}`);

    async function bank(ledger: TrickleLedger) {
      await ledger.createAccounts([
        { id: 'world', asset: usd, kind: 'external', allowNegative: true },
        ...ids.map((id) => ({ id, asset: usd, kind: 'payer' as const })),
      ]);
      await ledger.createTransfers(
        ids.map((id) => ({ id: `seed-${id}`, debitAccountId: 'world', creditAccountId: id, amount: initial })),
      );
    }

    it('every concurrent read sums to the total; the end state replays the created transfers', async () => {
      const { ledger } = await adapter.open({ domain, feePpm: 0, clock: clock.read });
      await bank(ledger);
      const total = initial * BigInt(accountCount);
      const submitted: { input: TransferInput; result: TransferResult }[] = [];
      let writing = true;
      let reads = 0;
      const reader = async () => {
        while (writing) {
          const accounts = (await ledger.balances({ asset: usd })).filter((a) => a.kind === 'payer');
          expect(accounts.reduce((sum, a) => sum + a.balance, 0n)).toBe(total);
          for (const account of accounts) expect(account.balance).toBeGreaterThanOrEqual(0n);
          reads++;
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      const writer = async (w: number) => {
        const random = seededRandom(1_000 + w);
        for (let op = 0; op < load.opsPerWriter; op++) {
          const pick = () => ids[random.int(0, accountCount - 1)] as string;
          const batch: TransferInput[] = [];
          const chained = random.int(0, 2) === 0;
          for (let k = 0; k < (chained ? 2 : 1); k++) {
            let from = pick();
            let to = pick();
            while (to === from) to = pick();
            if (k === 1) [from, to] = [batch[0]?.creditAccountId ?? from, from];
            batch.push({
              id: `w${w}-${op}-${k}`,
              debitAccountId: from,
              creditAccountId: to,
              amount: BigInt(1 + random.int(0, 399)),
              linked: chained && k === 0,
            });
          }
          const results = await ledger.createTransfers(batch);
          for (const [i, input] of batch.entries()) submitted.push({ input, result: results[i] as TransferResult });
          // Synchronous stores finish a transfer within one tick: yield so that readers interleave.
          if (op % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      };
      const readers = Array.from({ length: load.readers }, reader);
      try {
        await Promise.all(Array.from({ length: load.writers }, (_, w) => writer(w)));
      } finally {
        writing = false;
        await Promise.allSettled(readers);
      }
      await Promise.all(readers);
      expect(reads).toBeGreaterThan(0);
      const expected = new Map(ids.map((id) => [id, initial]));
      let created = 0;
      for (const { input, result } of submitted) {
        expect(result.status === 'created' || (result.status === 'failed' && result.code)).toBeTruthy();
        if (result.status !== 'created' || input.kind !== undefined) continue;
        created++;
        expected.set(input.debitAccountId, (expected.get(input.debitAccountId) as bigint) - input.amount);
        expected.set(input.creditAccountId, (expected.get(input.creditAccountId) as bigint) + input.amount);
      }
      expect(created).toBeGreaterThan(submitted.length / 4);
      const stats = ledger.driverStats();
      console.info(
        `bank on ${adapter.name}: ${submitted.length} transfers (${created} created), ${reads} consistent reads, ` +
          `${stats.conflicts} serialization retries in ${stats.transactions} transactions`,
      );
      const actual = await ledger.lookupAccounts(ids);
      expect(new Map(actual.map((a) => [a.id, a.balance]))).toEqual(expected);
      await expectConserved(ledger, { audit: true });
    });

    it('the same transfer sent 1-5 times at once takes effect once; other content under its id is refused', async () => {
      const { ledger } = await adapter.open({ domain, feePpm: 0, clock: clock.read });
      await bank(ledger);
      const rounds = await Promise.all(
        Array.from({ length: 15 }, async (_, k) => {
          const input: TransferInput = {
            id: `dup-${k}`,
            debitAccountId: 'acct-0',
            creditAccountId: 'acct-1',
            amount: 3n,
          };
          const copies = 1 + (k % 5);
          const sends = Array.from({ length: copies }, (_, i) =>
            ledger.createTransfers([i === 2 ? { ...input, amount: 4n } : input]),
          );
          return (await Promise.all(sends)).map(([r], i) => ({
            amount: i === 2 ? 4n : 3n,
            result: r as TransferResult,
          }));
        }),
      );
      let moved = 0n;
      for (const round of rounds) {
        const winners = round.filter((s) => s.result.status === 'created');
        expect(winners).toHaveLength(1);
        const won = winners[0]?.amount;
        moved += won as bigint;
        for (const s of round) {
          const expected = s.amount === won ? ['created', 'exists'] : ['failed'];
          expect(expected).toContain(s.result.status);
          if (s.result.status === 'failed') expect(s.result.code).toBe('EXISTS_WITH_DIFFERENT_FIELDS');
        }
      }
      expect((await ledger.lookupAccounts(['acct-1']))[0]?.balance).toBe(initial + moved);
      await expectConserved(ledger, { audit: true });
    });

    it('concurrent retries of claims, closes, finalizes and payouts settle each exactly once', async () => {
      const { ledger } = await adapter.open({ domain, feePpm: 10_000, clock: clock.read, challengeWindowMs: 1_000 });
      const A = payee('a');
      const channels = await Promise.all(
        Array.from({ length: 4 }, async (_, i) => {
          const c = new ClientChannel(client(`conc-${i}`), 500 + i);
          await ledger.fundPayer({ clientKey: c.clientKey, asset: usd, amount: 1_000n, reference: `conc-fund-${i}` });
          await ledger.openChannel({
            channelId: c.channelId,
            clientKey: c.clientKey,
            asset: usd,
            deposit: 1_000n,
            expiresAtMs: clock.now + 60_000,
          });
          c.paySigned(A, 100n);
          c.paySigned(A, 50n);
          return c;
        }),
      );
      const [c0, c1, c2, c3] = channels as [ClientChannel, ClientChannel, ClientChannel, ClientChannel];
      const settled = await Promise.allSettled([
        ...[1, 2, 3].map(() => ledger.claim(c0.state(1))),
        ...[1, 2, 3].map(() => ledger.closeCooperative(c1.state(2))),
        ...[1, 2].map(() => ledger.startClose({ ...c2.state(2), by: 'hub' })),
        ledger.startClose({ ...c3.state(1), by: 'client' }),
      ]);
      expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
      clock.advance(1_000);
      await Promise.all([ledger.finalizeDue(), ledger.finalizeDue(), ledger.finalizeDue()]);
      await Promise.all(
        [1, 2, 3].map(() => ledger.payout({ payee: A, asset: usd, amount: 200n, reference: 'conc-out' })),
      );
      // c0 claimed 100 (fee 1); c1, c2 settled 150 (fee 1 each); c3 settled 100 (fee 1).
      expect((await ledger.payeeAccount(A, usd))?.balance).toBe(99n + 149n + 149n + 99n - 200n);
      expect(await ledger.finalizeDue()).toEqual([]);
      await expectConserved(ledger, { audit: true });
    });
  });
}
