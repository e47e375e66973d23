/**
 * The channel lifecycle on the double-entry ledger, over any {@link LedgerDriver}: the
 * one implementation of {@link ChannelLedger} that `memoryLedger`, `sqliteLedger` and
 * `postgresLedger` all return. Signatures are verified before a transaction starts (they
 * depend only on the channel's pinned key), so no lock is held during the slow part.
 */
import {
  type Asset,
  asChannelId,
  asHubId,
  asPublicKey,
  assertFeePpm,
  assertNetworkId,
  type Domain,
  nobleVerifier,
  type PayeeId,
  type PublicKey,
  toHex,
  type Verifier,
} from '@trickle/protocol';
import type { Account } from './account.js';
import type { AuditReport } from './audit/auditReport.js';
import { auditTxn } from './audit/auditTxn.js';
import { channelOf } from './channel/channelView.js';
import { claimBatchTxn, claimTxn } from './channel/claim.js';
import { closeCooperativeTxn } from './channel/closeCooperative.js';
import type { ChannelContext } from './channel/context.js';
import { type FinalizeBatch, finalizeDueBatchTxn } from './channel/finalizeDue.js';
import { finalizeExpiredTxn } from './channel/finalizeExpired.js';
import {
  checkFundInput,
  checkPayoutInput,
  type FundPayerInput,
  fundPayerTxn,
  type MoneyMovement,
  movementOf,
  type PayoutInput,
  payoutTxn,
} from './channel/funding.js';
import { externalAccountId, payeeAccountId, payerAccountId, settlementAccounts } from './channel/naming.js';
import { checkOpenInput, openChannelTxn } from './channel/openChannel.js';
import { checkPayoutRule, type PayoutRule, type PayoutRuleResult, payoutRuleTxn } from './channel/payoutRules.js';
import { checkStateSignature } from './channel/proveState.js';
import { startCloseTxn } from './channel/startClose.js';
import { checkStatementInput, type Statement, type StatementInput, statementTxn } from './channel/statement.js';
import { checkTopUpInput, topUpChannelTxn } from './channel/topUpChannel.js';
import type { ChannelLedger, ChannelOutcome, SettlementResult, SignedState } from './channelLedger.js';
import { type Clock, createLedger, type Ledger } from './ledger.js';
import { LedgerError } from './ledgerError.js';
import {
  challengeWindowMsDefault,
  challengeWindowMsMax,
  claimBatchChannelsMax,
  closingChannelsPageMax,
  entriesPerSettlementMax,
  finalizeBatchChannelsDefault,
  finalizeBatchChannelsMax,
  finalizeDueChannelsMax,
  finalizeExpiredChannelsMax,
  payoutRulesMax,
} from './limits.js';
import { ask, type DueCursor, type LedgerDriver, type WriteHints } from './store/txn.js';
import { assertInteger, checkedAsset } from './validate.js';

/**
 * Options every ledger factory takes.
 *
 * @example
 * ```ts
 * import type { ChannelLedgerOptions } from '@trickle/ledger';
 * declare const domain: ChannelLedgerOptions['domain'];
 * const options: ChannelLedgerOptions = { domain, feePpm: 10_000, clock: Date.now };
 * ```
 */
export interface ChannelLedgerOptions {
  /** The network and hub every voucher is signed for. */
  readonly domain: Domain;
  /** The hub's fee in parts per million (0..1,000,000) for channels opened from now on. */
  readonly feePpm: number;
  /** The time source. Default `Date.now`. */
  readonly clock?: Clock;
  /** How voucher signatures are verified. Default `nobleVerifier`. */
  readonly verifier?: Verifier;
  /** Challenge window of a unilateral close and grace after expiry, in ms. Default 1 hour. */
  readonly challengeWindowMs?: number;
  /** Channels finalized per database transaction by `finalizeDue`, 1..1,024. Default 128 ({@link finalizeBatchChannelsDefault}). */
  readonly finalizeBatchChannels?: number;
}

/**
 * What one `finalizeDueReport` did.
 *
 * @example
 * ```ts
 * import type { TrickleLedger } from '@trickle/ledger';
 * declare const ledger: TrickleLedger;
 * const { finalized, failed } = await ledger.finalizeDueReport();
 * ```
 */
export interface FinalizeReport {
  readonly finalized: readonly SettlementResult[];
  /** Channels that could not be finalized (they stay due); `channelId` is hex. */
  readonly failed: readonly { readonly channelId: string; readonly error: LedgerError }[];
}

/**
 * The ledger the hub is handed: the channel lifecycle ({@link ChannelLedger}), the generic
 * double-entry operations ({@link Ledger}), money in and out, and the audit.
 *
 * @example
 * ```ts
 * import { sqliteLedger } from '@trickle/ledger/sqlite';
 * declare const domain: Parameters<typeof sqliteLedger>[0]['domain'];
 * const ledger = await sqliteLedger({ filename: '.data/ledger.db', domain, feePpm: 10_000 });
 * await ledger.fundPayer({ clientKey: new Uint8Array(33) as never, asset: { code: 'USD', scale: 6 }, amount: 5_000_000n, reference: 'card-charge-1' });
 * const report = await ledger.audit();
 * await ledger.close();
 * ```
 */
export interface TrickleLedger extends ChannelLedger, Ledger {
  /** `memory`, `sqlite` or `postgres`. */
  readonly adapter: string;
  readonly domain: Domain;
  readonly feePpm: number;
  /** Credits a payer with money from outside, idempotent by `reference`. */
  fundPayer(input: FundPayerInput): Promise<MoneyMovement>;
  /** Pays a payee's balance out of the ledger, idempotent by `reference`. */
  payout(input: PayoutInput): Promise<MoneyMovement>;
  /** Like `finalizeDue`, and also reports the channels that could not be finalized. */
  finalizeDueReport(): Promise<FinalizeReport>;
  /** The payer account of a client key in an asset, if funded once. */
  payerAccount(clientKey: PublicKey, asset: Asset): Promise<Account | undefined>;
  /** A payee's account in an asset, if it exists. */
  payeeAccount(payee: PayeeId, asset: Asset): Promise<Account | undefined>;
  /** Re-checks every channel against its signed evidence, and conservation per asset. */
  audit(options?: { readonly verifier?: Verifier }): Promise<AuditReport>;
  /** Write transactions attempted and serialization conflicts retried (PostgreSQL; zeros elsewhere). */
  driverStats(): { readonly transactions: number; readonly conflicts: number };
  /**
   * Runs payout rules (one short transaction each), results by index: each pays out what
   * its rule says is due, idempotently (the reference comes from the day, or from what was
   * paid out before), so running them again, or from several processes, pays once.
   */
  runPayoutRules(rules: readonly PayoutRule[]): Promise<readonly PayoutRuleResult[]>;
  /** A payee's statement for a period of whole UTC days: earned, fees, claimed, paid out, balances. */
  statement(input: StatementInput): Promise<Statement>;
}

function checkOptions(options: ChannelLedgerOptions): ChannelContext & { clock: Clock; finalizeBatchChannels: number } {
  if (typeof options !== 'object' || options === null) throw new TypeError('options: expected an object');
  const { domain } = options;
  if (typeof domain !== 'object' || domain === null) throw new TypeError('domain: expected { networkId, hubId }');
  return {
    domain: { networkId: assertNetworkId(domain.networkId), hubId: asHubId(domain.hubId) },
    feePpm: assertFeePpm(options.feePpm),
    verifier: options.verifier ?? nobleVerifier,
    challengeWindowMs:
      options.challengeWindowMs === undefined
        ? challengeWindowMsDefault
        : assertInteger(options.challengeWindowMs, 0, challengeWindowMsMax, 'challengeWindowMs'),
    clock: options.clock ?? Date.now,
    finalizeBatchChannels:
      options.finalizeBatchChannels === undefined
        ? finalizeBatchChannelsDefault
        : assertInteger(options.finalizeBatchChannels, 1, finalizeBatchChannelsMax, 'finalizeBatchChannels'),
  };
}

/**
 * Binds the channel lifecycle to a driver. Adapters call it; use `sqliteLedger`,
 * `postgresLedger` or `memoryLedger` instead unless you write an adapter.
 *
 * @example
 * ```ts
 * import { createChannelLedger, type LedgerDriver } from '@trickle/ledger';
 * declare const driver: LedgerDriver, domain: Parameters<typeof createChannelLedger>[1]['domain'];
 * const ledger = createChannelLedger(driver, { domain, feePpm: 0 });
 * ```
 */
export function createChannelLedger(driver: LedgerDriver, options: ChannelLedgerOptions): TrickleLedger {
  const context = checkOptions(options);
  const { clock } = context;
  const ledger = createLedger(driver, { clock });

  /**
   * Reads the channel (no lock) and checks the state's signature by its pinned key.
   * Returns the accounts a settlement of the state updates (the write's lock hints).
   */
  const verified = async (state: SignedState): Promise<WriteHints> => {
    const [outcome] = await verifiedAll([state]);
    if (outcome?.error !== undefined) throw outcome.error;
    return { accounts: outcome?.accounts ?? [] };
  };

  /** {@link verified} for a batch, in one read: each state's accounts, or why it is refused. */
  const verifiedAll = async (
    states: readonly SignedState[],
  ): Promise<{ accounts: string[]; error: LedgerError | undefined }[]> => {
    const ids = states.map((state) => toHex(asChannelId(state.channelId)));
    const rows = await driver.read('channel', () => ask({ kind: 'channels', ids: [...new Set(ids)], lock: false }));
    return states.map((state, index) => {
      const row = rows.get(ids[index] as string);
      if (row === undefined)
        return { accounts: [], error: new LedgerError('UNKNOWN_CHANNEL', `no channel ${ids[index]}`) };
      try {
        checkStateSignature(context, state, asPublicKey(row.clientKey));
      } catch (error) {
        if (!(error instanceof LedgerError)) throw error;
        return { accounts: [], error };
      }
      return { accounts: settlementAccounts(row, state.entries), error: undefined };
    });
  };

  const finalizeDueReport = async (): Promise<FinalizeReport> => {
    const finalized: SettlementResult[] = [];
    const failed: { channelId: string; error: LedgerError }[] = [];
    let cursor: DueCursor | undefined;
    while (finalized.length + failed.length < finalizeDueChannelsMax) {
      const batch: FinalizeBatch = await driver.write('finalizeDue', () =>
        finalizeDueBatchTxn(clock(), context.finalizeBatchChannels, cursor),
      );
      finalized.push(...batch.finalized);
      failed.push(...batch.failed);
      cursor = batch.cursor;
      if (batch.seen < context.finalizeBatchChannels) break;
    }
    return { finalized, failed };
  };

  const account = async (id: string) => (await ledger.lookupAccounts([id]))[0];

  return {
    ...ledger,
    adapter: driver.name,
    domain: context.domain,
    feePpm: context.feePpm,
    async ensurePayee({ payee, asset }) {
      const checked = checkedAsset(asset);
      const id = payeeAccountId(toHex(payee), checked);
      const [result] = await ledger.createAccounts([{ id, asset: checked, kind: 'payee' }]);
      if (result?.status === 'failed')
        throw new LedgerError('EXISTS_WITH_DIFFERENT_FIELDS', `account ${id} exists as another kind`);
    },
    async openChannel(input) {
      const checked = checkOpenInput(input);
      const payer = payerAccountId(toHex(checked.clientKey), checked.asset);
      const hints = { accounts: [payer] };
      return channelOf(await driver.write('openChannel', () => openChannelTxn(context, checked, clock()), hints));
    },
    async topUpChannel(input) {
      const { channelId, deposit } = checkTopUpInput(input);
      return channelOf(await driver.write('topUpChannel', () => topUpChannelTxn(channelId, deposit, clock())));
    },
    async claim(state) {
      const hints = await verified(state);
      return driver.write('claim', () => claimTxn(state, clock()), hints);
    },
    async claimBatch(states) {
      if (!Array.isArray(states)) throw new TypeError('claimBatch: expected an array of states');
      if (states.length > claimBatchChannelsMax) {
        throw new RangeError(`claimBatch: at most ${claimBatchChannelsMax} states`);
      }
      const ids = new Set<string>();
      let entries = 0;
      for (const state of states) {
        const id = toHex(asChannelId(state.channelId));
        if (ids.has(id)) throw new RangeError(`claimBatch: channel ${id} is named twice`);
        ids.add(id);
        entries += state.entries.length;
      }
      if (entries > entriesPerSettlementMax) {
        throw new RangeError(`claimBatch: at most ${entriesPerSettlementMax} entries in all`);
      }
      if (states.length === 0) return [];
      const checked = await verifiedAll(states);
      const accounts = [...new Set(checked.flatMap((c) => c.accounts))];
      const refused = checked.map((c) => c.error);
      return driver.write('claimBatch', () => claimBatchTxn(states, refused, clock()), { accounts });
    },
    async finalizeExpired(channelIds): Promise<readonly ChannelOutcome[]> {
      if (!Array.isArray(channelIds)) throw new TypeError('finalizeExpired: expected an array of channel ids');
      if (channelIds.length > finalizeExpiredChannelsMax) {
        throw new RangeError(`finalizeExpired: at most ${finalizeExpiredChannelsMax} channels`);
      }
      const checked = channelIds.map((id) => asChannelId(id));
      if (checked.length === 0) return [];
      return driver.write('finalizeExpired', () => finalizeExpiredTxn(checked, clock()));
    },
    async closingChannels(options = {}) {
      const limit =
        options.limit === undefined
          ? closingChannelsPageMax
          : assertInteger(options.limit, 1, closingChannelsPageMax, 'limit');
      const after = options.after;
      const rows = await driver.read('closingChannels', () =>
        ask({ kind: 'closingChannels', nowMs: clock(), limit, after }),
      );
      const last = rows[rows.length - 1];
      const next =
        rows.length < limit || last === undefined ? undefined : { challengeEndsAtMs: last.dueAtMs, id: last.id };
      return { channels: rows.map(channelOf), next };
    },
    async runPayoutRules(rules) {
      if (!Array.isArray(rules)) throw new TypeError('runPayoutRules: expected an array of rules');
      if (rules.length > payoutRulesMax) throw new RangeError(`runPayoutRules: at most ${payoutRulesMax} rules`);
      const checked = rules.map(checkPayoutRule);
      const results: PayoutRuleResult[] = [];
      for (const rule of checked) {
        const hints = { accounts: [payeeAccountId(toHex(rule.payee), rule.asset), externalAccountId(rule.asset)] };
        try {
          results.push(await driver.write('payoutRule', () => payoutRuleTxn(rule, clock()), hints));
        } catch (error) {
          if (!(error instanceof LedgerError)) throw error;
          results.push({ status: 'failed', error });
        }
      }
      return results;
    },
    async statement(input) {
      const checked = checkStatementInput(input);
      return driver.read('statement', () => statementTxn(checked, clock()));
    },
    async closeCooperative(state) {
      const hints = await verified(state);
      return driver.write('closeCooperative', () => closeCooperativeTxn(state, clock()), hints);
    },
    async startClose(state) {
      if (state.by !== 'client' && state.by !== 'hub') throw new RangeError("by: expected 'client' or 'hub'");
      await verified(state);
      const row = await driver.write('startClose', () => startCloseTxn(context, state, state.by, clock()));
      return channelOf(row);
    },
    async finalizeDue() {
      return (await finalizeDueReport()).finalized;
    },
    finalizeDueReport,
    async channel(channelId) {
      const id = toHex(asChannelId(channelId));
      const row = (await driver.read('channel', () => ask({ kind: 'channels', ids: [id], lock: false }))).get(id);
      return row === undefined ? undefined : channelOf(row);
    },
    async fundPayer(input) {
      const checked = checkFundInput(input);
      const hints = {
        accounts: [externalAccountId(checked.asset), payerAccountId(toHex(checked.clientKey), checked.asset)],
      };
      return movementOf(await driver.write('fundPayer', () => fundPayerTxn(checked, clock()), hints));
    },
    async payout(input) {
      const checked = checkPayoutInput(input);
      const hints = {
        accounts: [payeeAccountId(toHex(checked.payee), checked.asset), externalAccountId(checked.asset)],
      };
      return movementOf(await driver.write('payout', () => payoutTxn(checked, clock()), hints));
    },
    async payerAccount(clientKey, asset) {
      return account(payerAccountId(toHex(clientKey), checkedAsset(asset)));
    },
    async payeeAccount(payee, asset) {
      return account(payeeAccountId(toHex(payee), checkedAsset(asset)));
    },
    async audit(auditOptions = {}) {
      const verifier = auditOptions.verifier ?? context.verifier;
      return driver.read('audit', () => auditTxn(context.domain, verifier));
    },
    driverStats: () => driver.stats?.() ?? { transactions: 0, conflicts: 0 },
    close: () => driver.close(),
  };
}
