/**
 * The generic double-entry `Ledger` port (TigerBeetle-like) and the one implementation
 * of it over any {@link LedgerDriver}.
 */

import type { Asset, Clock as ProtocolClock } from '@trickle/protocol';
import { present } from '@trickle/protocol';
import type { Account, AccountInput, AccountResult } from './account.js';
import { accountRowsOf, createAccountsTxn } from './engine/createAccounts.js';
import { createTransfersTxn, transferSpecsOf } from './engine/createTransfers.js';
import { expirePendingTxn } from './engine/expirePending.js';
import {
  accountIdCharsMax,
  accountsPerBatchMax,
  historyPageTransfersMax,
  scanPageRowsMax,
  transferIdCharsMax,
  transfersPerBatchMax,
  transferTextCharsMax,
} from './limits.js';
import { type AccountRow, accountOf, transferOf } from './store/rows.js';
import { ask, type LedgerDriver, type Txn } from './store/txn.js';
import type { Transfer, TransferInput, TransferResult } from './transfer.js';
import { assertBatch, assertId, assertInteger, checkAmount, checkedAsset, optionalText } from './validate.js';

/**
 * A source of the current time in Unix ms. Injected so tests control expiry and windows.
 * The reading function of `@trickle/protocol`'s `Clock` (e.g. `Date.now`), so the
 * time port has one definition.
 *
 * @example
 * ```ts
 * import type { Clock } from '@trickle/ledger';
 * let now = 1_700_000_000_000;
 * const clock: Clock = () => now;
 * ```
 */
export type Clock = ProtocolClock['nowMs'];

/**
 * Options of a history query.
 *
 * @example
 * ```ts
 * import type { Ledger } from '@trickle/ledger';
 * declare const ledger: Ledger;
 * const page = await ledger.accountTransfers('alice', { limit: 100 });
 * const next = await ledger.accountTransfers('alice', { afterSerial: page.at(-1)?.serial ?? 0n, limit: 100 });
 * ```
 */
export interface HistoryOptions {
  /** Return transfers after this serial (the last one of the previous page). Default 0n. */
  readonly afterSerial?: bigint;
  /** Page size, 1..1,000. Default 1,000. */
  readonly limit?: number;
}

/**
 * The double-entry ledger: accounts per asset, idempotent transfers (posted, pending,
 * post, void) in batches with linked chains, balance and history queries. Every method is
 * durable when its promise resolves.
 *
 * @example
 * ```ts
 * import { memoryLedger, type Ledger } from '@trickle/ledger';
 * declare const domain: Parameters<typeof memoryLedger>[0]['domain'];
 * const ledger: Ledger = await memoryLedger({ domain, feePpm: 0 });
 * const usd = { code: 'USD', scale: 6 };
 * await ledger.createAccounts([
 *   { id: 'world', asset: usd, kind: 'external', allowNegative: true },
 *   { id: 'alice', asset: usd, kind: 'payer' },
 * ]);
 * const [result] = await ledger.createTransfers([{ id: 'in-1', debitAccountId: 'world', creditAccountId: 'alice', amount: 500n }]);
 * result?.status; // 'created'
 * ```
 */
export interface Ledger {
  /** Creates accounts; reports each by index (`created`, `exists`, or a failure). */
  createAccounts(accounts: readonly AccountInput[]): Promise<AccountResult[]>;
  /** Applies a batch of transfers; reports each by index. Linked chains are all or nothing. */
  createTransfers(transfers: readonly TransferInput[]): Promise<TransferResult[]>;
  /** The accounts found, in the order asked. */
  lookupAccounts(ids: readonly string[]): Promise<Account[]>;
  /** The transfers found, in the order asked. */
  lookupTransfers(ids: readonly string[]): Promise<Transfer[]>;
  /** An account's transfers in insertion order, one page at a time. */
  accountTransfers(accountId: string, options?: HistoryOptions): Promise<Transfer[]>;
  /** Every transfer with this `ref`, in insertion order. */
  transfersByRef(ref: string): Promise<Transfer[]>;
  /** Every account (of one asset, when given), read from one consistent snapshot. */
  balances(options?: { readonly asset?: Asset }): Promise<Account[]>;
  /** Releases every pending transfer whose timeout has passed; returns how many. */
  expirePendingTransfers(): Promise<number>;
}

function* scanAccountsTxn(asset: Asset | undefined): Txn<AccountRow[]> {
  const rows: AccountRow[] = [];
  let afterId = '';
  for (;;) {
    const page = yield* ask({ kind: 'scanAccounts', afterId, limit: scanPageRowsMax });
    for (const row of page) {
      if (asset === undefined || (row.assetCode === asset.code && row.assetScale === asset.scale)) rows.push(row);
    }
    if (page.length < scanPageRowsMax) return rows;
    afterId = present(page.at(-1), 'the last row of a full page').id;
  }
}

function checkIds(ids: readonly string[], charsMax: number, max: number, title: string): string[] {
  return assertBatch(ids, max, title).map((id, i) => assertId(id, charsMax, `${title}[${i}]`));
}

/**
 * The {@link Ledger} over a driver: the shared logic every adapter uses.
 *
 * @example
 * ```ts
 * import { createLedger, type LedgerDriver } from '@trickle/ledger';
 * declare const driver: LedgerDriver;
 * const ledger = createLedger(driver, { clock: Date.now });
 * ```
 */
export function createLedger(driver: LedgerDriver, options: { readonly clock: Clock }): Ledger {
  const { clock } = options;
  return {
    async createAccounts(accounts) {
      const rows = accountRowsOf(accounts, clock());
      return driver.write('createAccounts', () => createAccountsTxn(rows));
    },
    async createTransfers(transfers) {
      const specs = transferSpecsOf(transfers);
      const accounts = specs
        .flatMap((spec) => [spec.debitAccountId, spec.creditAccountId])
        .filter((id): id is string => id !== null);
      return driver.write('createTransfers', () => resultsOf(createTransfersTxn(specs, clock(), true)), { accounts });
    },
    async lookupAccounts(ids) {
      const checked = checkIds(ids, accountIdCharsMax, accountsPerBatchMax, 'ids');
      const rows = await driver.read('lookupAccounts', () => ask({ kind: 'accounts', ids: checked, lock: false }));
      return checked.flatMap((id) => {
        const row = rows.get(id);
        return row === undefined ? [] : [accountOf(row)];
      });
    },
    async lookupTransfers(ids) {
      const checked = checkIds(ids, transferIdCharsMax, transfersPerBatchMax, 'ids');
      const rows = await driver.read('lookupTransfers', () => ask({ kind: 'transfers', ids: checked }));
      return checked.flatMap((id) => {
        const row = rows.get(id);
        return row === undefined ? [] : [transferOf(row)];
      });
    },
    async accountTransfers(accountId, history = {}) {
      const id = assertId(accountId, accountIdCharsMax, 'accountId');
      const afterSerial = history.afterSerial === undefined ? 0n : checkAmount(history.afterSerial, 'afterSerial');
      const limit =
        history.limit === undefined
          ? historyPageTransfersMax
          : assertInteger(history.limit, 1, historyPageTransfersMax, 'limit');
      const rows = await driver.read('accountTransfers', () =>
        ask({ kind: 'accountTransfers', accountId: id, afterSerial, limit }),
      );
      return rows.map(transferOf);
    },
    async transfersByRef(ref) {
      const checked = optionalText(ref, transferTextCharsMax, 'ref') as string;
      const rows = await driver.read('transfersByRef', () => ask({ kind: 'transfersByRef', ref: checked }));
      return rows.map(transferOf);
    },
    async balances(filter = {}) {
      const asset = filter.asset === undefined ? undefined : checkedAsset(filter.asset);
      const rows = await driver.read('balances', () => scanAccountsTxn(asset));
      return rows.map(accountOf);
    },
    async expirePendingTransfers() {
      let total = 0;
      for (;;) {
        const expired = await driver.write('expirePendingTransfers', () => expirePendingTxn(clock()));
        total += expired;
        if (expired === 0) return total;
      }
    },
  };
}

function* resultsOf(txn: ReturnType<typeof createTransfersTxn>): Txn<TransferResult[]> {
  return (yield* txn).results;
}
