/**
 * Property test: random batches of transfers (posted, pending, post, void, linked chains,
 * colliding ids, overflowing amounts), clock jumps and expiry sweeps. After every step,
 * conservation holds and nothing that may not go negative has; every result equals the
 * memory twin's for the same command (differential testing); the audit passes at the end.
 */
import { amountMax } from '@trickle/protocol';
import { domain, expectConserved, manualClock, usd } from '@trickle/testing/harness';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryLedger, type TransferInput, type TrickleLedger } from '../../src/index.js';
import type { Adapter } from '../helpers/adapters.js';

const accounts = ['world', 'a0', 'a1', 'a2'];

const item = fc.record({
  kind: fc.constantFrom('posted', 'posted', 'pending', 'post', 'void'),
  id: fc.nat(9),
  from: fc.nat(3),
  to: fc.nat(3),
  amount: fc.oneof(fc.bigInt(0n, 700n), fc.constant(amountMax), fc.bigInt(0n, 50n)),
  partial: fc.boolean(),
  pending: fc.nat(9),
  timeout: fc.option(fc.integer({ min: 1, max: 5_000 }), { nil: undefined }),
  linked: fc.boolean(),
});

const command = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ t: fc.constant('batch' as const), items: fc.array(item, { minLength: 1, maxLength: 4 }) }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 4_000 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('expire' as const) }) },
);

type Item = typeof item extends fc.Arbitrary<infer T> ? T : never;

function inputOf(i: Item): TransferInput {
  const common = { id: `t${i.id}`, linked: i.linked };
  const debitAccountId = accounts[i.from] as string;
  const creditAccountId = accounts[i.to] as string;
  switch (i.kind) {
    case 'post':
      return { ...common, kind: 'post', pendingId: `t${i.pending}`, ...(i.partial ? { amount: i.amount } : {}) };
    case 'void':
      return { ...common, kind: 'void', pendingId: `t${i.pending}` };
    case 'pending':
      return {
        ...common,
        kind: 'pending',
        debitAccountId,
        creditAccountId,
        amount: i.amount,
        ...(i.timeout === undefined ? {} : { timeoutMs: i.timeout }),
      };
    default:
      return { ...common, debitAccountId, creditAccountId, amount: i.amount };
  }
}

async function seeded(ledger: TrickleLedger): Promise<void> {
  await ledger.createAccounts([
    { id: 'world', asset: usd, kind: 'external', allowNegative: true },
    { id: 'a0', asset: usd, kind: 'payer' },
    { id: 'a1', asset: usd, kind: 'payer' },
    { id: 'a2', asset: usd, kind: 'payee' },
  ]);
  await ledger.createTransfers([{ id: 'seed', debitAccountId: 'world', creditAccountId: 'a0', amount: 1_000n }]);
}

export function propertyConformance(makeAdapter: () => Adapter, numRuns: number): void {
  const adapter = makeAdapter();
  describe(`Properties on ${adapter.name}`, () => {
    afterAll(() => adapter.cleanup());
    it('random transfer sequences keep conservation and agree with the memory twin', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), async (commands) => {
          const clock = manualClock();
          const { ledger } = await adapter.open({ domain, feePpm: 0, clock: clock.read });
          const twin = await memoryLedger({ domain, feePpm: 0, clock: clock.read });
          await seeded(ledger);
          await seeded(twin);
          for (const cmd of commands) {
            if (cmd.t === 'advance') {
              clock.advance(cmd.ms);
              continue;
            }
            if (cmd.t === 'expire') {
              expect(await ledger.expirePendingTransfers()).toBe(await twin.expirePendingTransfers());
            } else {
              const batch = cmd.items.map(inputOf);
              expect(await ledger.createTransfers(batch)).toEqual(await twin.createTransfers(batch));
            }
            await expectConserved(ledger);
          }
          const strip = (list: Awaited<ReturnType<TrickleLedger['balances']>>) =>
            list.map(({ createdAtMs: _, ...rest }) => rest);
          expect(strip(await ledger.balances())).toEqual(strip(await twin.balances()));
          const ids = Array.from({ length: 10 }, (_, i) => `t${i}`);
          const rows = (list: Awaited<ReturnType<TrickleLedger['lookupTransfers']>>) =>
            list.map(({ serial: _, ...rest }) => rest);
          expect(rows(await ledger.lookupTransfers(ids))).toEqual(rows(await twin.lookupTransfers(ids)));
          const report = await ledger.audit();
          expect(report.mismatches).toEqual([]);
          if (ledger !== twin) await ledger.close();
        }),
        { numRuns, seed: 20_261_125, endOnFailure: true },
      );
    });
  });
}
