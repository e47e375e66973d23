/**
 * The generic double-entry ledger, the same tests for every adapter: accounts, idempotent
 * transfers, recorded failures, linked chains, pending transfers and their expiry,
 * overflow, history, misuse, exact amounts and durability across a reopen.
 */
import { amountMax } from '@trickle/protocol';
import { domain, eur, expectConserved, manualClock, usd } from '@trickle/testing/harness';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { PostedTransferInput, TransferResult, TrickleLedger } from '../../src/index.js';
import type { Adapter, TestStore } from '../helpers/adapters.js';

const statuses = (results: TransferResult[]) => results.map((r) => (r.status === 'failed' ? r.code : r.status));

export function ledgerConformance(makeAdapter: () => Adapter): void {
  const adapter = makeAdapter();
  describe(`Ledger on ${adapter.name}`, () => {
    const clock = manualClock();
    let store: TestStore;
    let ledger: TrickleLedger;
    afterAll(() => adapter.cleanup());
    beforeEach(async () => {
      store = await adapter.open({ domain, feePpm: 0, clock: clock.read });
      ledger = store.ledger;
      await ledger.createAccounts([
        { id: 'world', asset: usd, kind: 'external', allowNegative: true },
        { id: 'alice', asset: usd, kind: 'payer' },
        { id: 'bob', asset: usd, kind: 'payee' },
        { id: 'carol', asset: usd, kind: 'payee' },
        { id: 'euro', asset: eur, kind: 'payee' },
      ]);
      await ledger.createTransfers([{ id: 'seed', debitAccountId: 'world', creditAccountId: 'alice', amount: 1_000n }]);
    });
    const balance = async (id: string) => (await ledger.lookupAccounts([id]))[0]?.balance;
    const available = async (id: string) => (await ledger.lookupAccounts([id]))[0]?.available;
    const move = (id: string, amount: bigint, from = 'alice', to = 'bob'): PostedTransferInput => ({
      id,
      debitAccountId: from,
      creditAccountId: to,
      amount,
    });

    it('creates accounts idempotently and refuses the same id with other fields', async () => {
      const results = await ledger.createAccounts([
        { id: 'alice', asset: usd, kind: 'payer' },
        { id: 'alice', asset: usd, kind: 'payee' },
        { id: 'dave', asset: usd, kind: 'payer' },
        { id: 'dave', asset: usd, kind: 'payer' },
      ]);
      expect(results.map((r) => r.status)).toEqual(['exists', 'failed', 'created', 'exists']);
      expect(results[1]).toMatchObject({ index: 1, code: 'EXISTS_WITH_DIFFERENT_FIELDS' });
      const [dave] = await ledger.lookupAccounts(['dave', 'nobody']);
      expect(dave).toMatchObject({ id: 'dave', kind: 'payer', balance: 0n, allowNegative: false, asset: usd });
    });

    it('moves money, refuses overdrafts, lets only external accounts go negative', async () => {
      expect(statuses(await ledger.createTransfers([move('t1', 400n), move('t2', 700n)]))).toEqual([
        'created',
        'INSUFFICIENT_FUNDS',
      ]);
      expect(await balance('alice')).toBe(600n);
      expect(await balance('bob')).toBe(400n);
      expect(await balance('world')).toBe(-1_000n);
      await expectConserved(ledger, { audit: true });
    });

    it('is idempotent by id: same content exists, other content is refused, nothing moves twice', async () => {
      await ledger.createTransfers([move('t1', 100n)]);
      const again = await ledger.createTransfers([
        move('t1', 100n),
        move('t1', 101n),
        move('t1', 100n, 'alice', 'carol'),
      ]);
      expect(statuses(again)).toEqual(['exists', 'EXISTS_WITH_DIFFERENT_FIELDS', 'EXISTS_WITH_DIFFERENT_FIELDS']);
      expect(await balance('bob')).toBe(100n);
      const dup = await ledger.createTransfers([move('t2', 5n), move('t2', 5n)]);
      expect(statuses(dup)).toEqual(['created', 'exists']);
      expect(await balance('bob')).toBe(105n);
    });

    it('records a failure: the same id keeps failing even once it could succeed', async () => {
      expect(statuses(await ledger.createTransfers([move('big', 5_000n)]))).toEqual(['INSUFFICIENT_FUNDS']);
      await ledger.createTransfers([
        { id: 'more', debitAccountId: 'world', creditAccountId: 'alice', amount: 10_000n },
      ]);
      expect(statuses(await ledger.createTransfers([move('big', 5_000n)]))).toEqual(['INSUFFICIENT_FUNDS']);
      expect(statuses(await ledger.createTransfers([move('big', 4_000n)]))).toEqual(['EXISTS_WITH_DIFFERENT_FIELDS']);
      expect(await balance('bob')).toBe(0n);
      expect(await ledger.lookupTransfers(['big'])).toEqual([]);
      expect(statuses(await ledger.createTransfers([move('unknown', 1n, 'alice', 'nobody')]))).toEqual([
        'CREDIT_ACCOUNT_NOT_FOUND',
      ]);
      await ledger.createAccounts([{ id: 'nobody', asset: usd, kind: 'payee' }]);
      expect(statuses(await ledger.createTransfers([move('unknown', 1n, 'alice', 'nobody')]))).toEqual([
        'CREDIT_ACCOUNT_NOT_FOUND',
      ]);
    });

    it('commits a linked chain all or nothing, reporting each item by index', async () => {
      const results = await ledger.createTransfers([
        { ...move('a1', 100n), linked: true },
        { ...move('a2', 100n, 'alice', 'carol'), linked: true },
        move('a3', 5_000n),
        move('solo', 10n),
      ]);
      expect(results.map((r) => [r.index, r.status === 'failed' ? r.code : r.status])).toEqual([
        [0, 'LINKED_EVENT_FAILED'],
        [1, 'LINKED_EVENT_FAILED'],
        [2, 'INSUFFICIENT_FUNDS'],
        [3, 'created'],
      ]);
      expect(await balance('bob')).toBe(10n);
      expect(await balance('carol')).toBe(0n);
      // Items that failed only because of the chain were not recorded: they can be retried.
      expect(
        statuses(
          await ledger.createTransfers([{ ...move('a1', 100n), linked: true }, move('a2', 100n, 'alice', 'carol')]),
        ),
      ).toEqual(['created', 'created']);
      const open = await ledger.createTransfers([move('b1', 1n), { ...move('b2', 1n), linked: true }]);
      expect(statuses(open)).toEqual(['created', 'LINKED_CHAIN_OPEN']);
      await expectConserved(ledger, { audit: true });
    });

    it('a chain sees its own earlier transfers, and a retried chain is all exists', async () => {
      const chain = [{ ...move('c1', 1_000n), linked: true }, { ...move('c2', 600n, 'bob', 'carol') }];
      expect(statuses(await ledger.createTransfers(chain))).toEqual(['created', 'created']);
      expect(statuses(await ledger.createTransfers(chain))).toEqual(['exists', 'exists']);
      expect(await balance('carol')).toBe(600n);
    });

    it('reserves with pending transfers, posts in full or in part, voids', async () => {
      await ledger.createTransfers([
        { id: 'p1', kind: 'pending', debitAccountId: 'alice', creditAccountId: 'bob', amount: 300n },
        { id: 'p2', kind: 'pending', debitAccountId: 'alice', creditAccountId: 'bob', amount: 300n },
        { id: 'p3', kind: 'pending', debitAccountId: 'alice', creditAccountId: 'bob', amount: 300n },
      ]);
      expect(await available('alice')).toBe(100n);
      expect(statuses(await ledger.createTransfers([move('over', 101n)]))).toEqual(['INSUFFICIENT_FUNDS']);
      const results = await ledger.createTransfers([
        { id: 'p1-post', kind: 'post', pendingId: 'p1' },
        { id: 'p2-post', kind: 'post', pendingId: 'p2', amount: 120n },
        { id: 'p3-void', kind: 'void', pendingId: 'p3' },
        { id: 'p1-again', kind: 'post', pendingId: 'p1' },
        { id: 'p3-post', kind: 'post', pendingId: 'p3' },
        { id: 'nope', kind: 'post', pendingId: 'missing' },
        { id: 'not-pending', kind: 'void', pendingId: 'seed' },
      ]);
      expect(statuses(results)).toEqual([
        'created',
        'created',
        'created',
        'PENDING_TRANSFER_ALREADY_POSTED',
        'PENDING_TRANSFER_ALREADY_VOIDED',
        'PENDING_TRANSFER_NOT_FOUND',
        'PENDING_TRANSFER_NOT_PENDING',
      ]);
      expect(await balance('bob')).toBe(420n);
      expect(await available('alice')).toBe(580n);
      const [p2] = await ledger.lookupTransfers(['p2']);
      expect(p2).toMatchObject({ pendingStatus: 'posted', amount: 300n });
      expect(
        statuses(await ledger.createTransfers([{ id: 'p2-post', kind: 'post', pendingId: 'p2', amount: 120n }])),
      ).toEqual(['exists']);
      expect(statuses(await ledger.createTransfers([{ id: 'p2-post', kind: 'post', pendingId: 'p2' }]))).toEqual([
        'EXISTS_WITH_DIFFERENT_FIELDS',
      ]);
      await expectConserved(ledger, { audit: true });
    });

    it('refuses posting more than pending, or to other accounts', async () => {
      await ledger.createTransfers([
        { id: 'p', kind: 'pending', debitAccountId: 'alice', creditAccountId: 'bob', amount: 50n },
      ]);
      const results = await ledger.createTransfers([
        { id: 'x1', kind: 'post', pendingId: 'p', amount: 51n },
        { id: 'x2', kind: 'post', pendingId: 'p', creditAccountId: 'carol' },
      ]);
      expect(statuses(results)).toEqual(['EXCEEDS_PENDING_AMOUNT', 'PENDING_ACCOUNTS_MISMATCH']);
    });

    it('expires pending transfers by the injected clock', async () => {
      await ledger.createTransfers([
        {
          id: 'hold',
          kind: 'pending',
          debitAccountId: 'alice',
          creditAccountId: 'bob',
          amount: 200n,
          timeoutMs: 1_000,
        },
        {
          id: 'hold2',
          kind: 'pending',
          debitAccountId: 'alice',
          creditAccountId: 'bob',
          amount: 200n,
          timeoutMs: 5_000,
        },
      ]);
      clock.advance(999);
      expect(await ledger.expirePendingTransfers()).toBe(0);
      clock.advance(1);
      expect(statuses(await ledger.createTransfers([{ id: 'late', kind: 'post', pendingId: 'hold' }]))).toEqual([
        'PENDING_TRANSFER_EXPIRED',
      ]);
      expect(await available('alice')).toBe(600n);
      expect(await ledger.expirePendingTransfers()).toBe(1);
      expect(await available('alice')).toBe(800n);
      expect((await ledger.lookupTransfers(['hold']))[0]?.pendingStatus).toBe('expired');
      expect(statuses(await ledger.createTransfers([{ id: 'ok', kind: 'post', pendingId: 'hold2' }]))).toEqual([
        'created',
      ]);
      expect(await balance('bob')).toBe(200n);
      await expectConserved(ledger, { audit: true });
    });

    it('posts a pending transfer created earlier in the same batch', async () => {
      const results = await ledger.createTransfers([
        { id: 'hp', kind: 'pending', debitAccountId: 'alice', creditAccountId: 'bob', amount: 90n, linked: true },
        { id: 'hp-post', kind: 'post', pendingId: 'hp', amount: 30n },
      ]);
      expect(statuses(results)).toEqual(['created', 'created']);
      expect(await balance('bob')).toBe(30n);
      expect(await available('alice')).toBe(970n);
    });

    it('refuses mixed assets, a transfer to itself, unknown accounts', async () => {
      const results = await ledger.createTransfers([
        move('e', 1n, 'alice', 'euro'),
        move('s', 1n, 'alice', 'alice'),
        move('u', 1n, 'ghost', 'bob'),
      ]);
      expect(statuses(results)).toEqual(['ASSET_MISMATCH', 'ACCOUNTS_MUST_BE_DIFFERENT', 'DEBIT_ACCOUNT_NOT_FOUND']);
    });

    it('holds amounts up to 2^63-1 exactly and reports overflow as a typed result', async () => {
      for (const amount of [0n, 1n, 2n ** 53n - 1n, 2n ** 53n + 1n]) {
        expect(statuses(await ledger.createTransfers([move(`x${amount}`, amount, 'world', 'carol')]))).toEqual([
          'created',
        ]);
      }
      await ledger.createAccounts([
        { id: 'max', asset: usd, kind: 'payee' },
        { id: 'world2', asset: usd, kind: 'external', allowNegative: true },
      ]);
      expect(statuses(await ledger.createTransfers([move('m1', amountMax, 'world2', 'max')]))).toEqual(['created']);
      expect((await ledger.lookupTransfers(['m1']))[0]?.amount).toBe(amountMax);
      expect(await balance('max')).toBe(amountMax);
      expect(statuses(await ledger.createTransfers([move('m2', 1n, 'world', 'max')]))).toEqual(['OVERFLOW']);
      expect(await balance('carol')).toBe(2n ** 54n + 1n);
    });

    it('throws TypeError or RangeError for misuse, before touching the store', async () => {
      await expect(ledger.createTransfers([{ ...move('n', 1n), amount: 1 as unknown as bigint }])).rejects.toThrow(
        TypeError,
      );
      // Out-of-range amounts are the protocol's AmountError (code AMOUNT_RANGE).
      await expect(ledger.createTransfers([move('neg', -1n)])).rejects.toMatchObject({ code: 'AMOUNT_RANGE' });
      await expect(ledger.createTransfers([move('big', amountMax + 1n)])).rejects.toMatchObject({
        code: 'AMOUNT_RANGE',
      });
      await expect(ledger.createTransfers([move('bad id!', 1n)])).rejects.toThrow(RangeError);
      await expect(ledger.createTransfers(new Array(8_191).fill(move('x', 1n)))).rejects.toThrow(RangeError);
      await expect(ledger.createAccounts([{ id: 'k', asset: usd, kind: 'bank' as never }])).rejects.toThrow(RangeError);
      expect(await balance('bob')).toBe(0n);
    });

    it('answers history by account (paged) and by ref', async () => {
      for (let i = 0; i < 5; i++) {
        await ledger.createTransfers([{ ...move(`h${i}`, 10n), ref: i % 2 === 0 ? 'even' : 'odd' }]);
      }
      const first = await ledger.accountTransfers('bob', { limit: 3 });
      expect(first.map((t) => t.id)).toEqual(['h0', 'h1', 'h2']);
      const rest = await ledger.accountTransfers('bob', { afterSerial: first[2]?.serial ?? 0n });
      expect(rest.map((t) => t.id)).toEqual(['h3', 'h4']);
      expect((await ledger.accountTransfers('alice')).map((t) => t.id)).toEqual(['seed', 'h0', 'h1', 'h2', 'h3', 'h4']);
      expect((await ledger.transfersByRef('even')).map((t) => t.id)).toEqual(['h0', 'h2', 'h4']);
    });

    it('keeps everything across a reopen', async () => {
      await ledger.createTransfers([move('d1', 250n)]);
      const again = await store.reopen();
      expect((await again.lookupAccounts(['bob']))[0]?.balance).toBe(250n);
      expect(statuses(await again.createTransfers([move('d1', 250n)]))).toEqual(['exists']);
      await expectConserved(again, { audit: true });
    });
  });
}
