/**
 * Payout rules: when a merchant's earnings leave the ledger by themselves. A rule pays
 * out a payee's available balance (less what it keeps) once per UTC day, or whenever it
 * reaches an amount. Executing a rule is idempotent: the payout's reference is derived
 * from the ledger's own state (the day, or the payee's paid-out total so far), so a
 * retry, a crash, or two hub processes running the same rule pay it once (ADR 0109).
 */
import { type Asset, asPayeeId, assertAmount, type PayeeId, toHex } from '@trickle/protocol';
import type { LedgerError } from '../ledgerError.js';
import { referenceCharsMax } from '../limits.js';
import type { AccountRow } from '../store/rows.js';
import { ask, type Txn } from '../store/txn.js';
import { checkedAsset } from '../validate.js';
import { type PayoutInput, payoutTxn } from './funding.js';
import { assetKey, payeeAccountId } from './naming.js';
import { dayMs, dayOf } from './payeeDays.js';

/**
 * A merchant's payout rule.
 *
 * @example
 * ```ts
 * import type { PayoutRule } from '@trickle/ledger';
 * import type { PayeeId } from '@trickle/protocol';
 * declare const payee: PayeeId;
 * const daily: PayoutRule = { payee, asset: { code: 'USD', scale: 6 }, when: 'daily', minAmount: 1_000_000n };
 * const above: PayoutRule = { payee, asset: { code: 'USD', scale: 6 }, when: { above: 50_000_000n }, keep: 1_000_000n };
 * ```
 */
export interface PayoutRule {
  readonly payee: PayeeId;
  readonly asset: Asset;
  /**
   * `'daily'`: at most once per UTC day, the first time the rule runs that day. `{ above }`:
   * whenever the available balance is at least `above` minor units.
   */
  readonly when: 'daily' | { readonly above: bigint };
  /** Minor units left in the account after a payout. Default 0. */
  readonly keep?: bigint;
  /** No payout smaller than this many minor units. Default 1. */
  readonly minAmount?: bigint;
}

/**
 * What running one rule did.
 *
 * @example
 * ```ts
 * import type { PayoutRuleResult } from '@trickle/ledger';
 * declare const result: PayoutRuleResult;
 * if (result.status === 'paid') console.log(`${result.amount} out as ${result.reference}`);
 * ```
 */
export type PayoutRuleResult =
  | { readonly status: 'paid'; readonly reference: string; readonly amount: bigint; readonly available: bigint }
  | {
      readonly status: 'skipped';
      /** `not-due`: paid today already, or the balance is below `above`; `below-minimum`: less than `minAmount` to pay. */
      readonly reason: 'not-due' | 'below-minimum' | 'no-account';
      readonly available: bigint;
    }
  | { readonly status: 'failed'; readonly error: LedgerError };

/** Checks a rule (misuse throws `TypeError`/`RangeError`). */
export function checkPayoutRule(rule: PayoutRule): PayoutRule {
  if (typeof rule !== 'object' || rule === null) throw new TypeError('rule: expected an object');
  const when = rule.when;
  if (when !== 'daily') {
    if (typeof when !== 'object' || when === null) throw new TypeError("rule.when: expected 'daily' or { above }");
    const above = assertAmount(when.above, 'rule.when.above');
    if (above < 1n) throw new RangeError('rule.when.above: must be at least 1');
  }
  const keep = assertAmount(rule.keep ?? 0n, 'rule.keep');
  const minAmount = assertAmount(rule.minAmount ?? 1n, 'rule.minAmount');
  if (minAmount < 1n) throw new RangeError('rule.minAmount: must be at least 1');
  return { payee: asPayeeId(rule.payee), asset: checkedAsset(rule.asset), when, keep, minAmount };
}

/** `YYYY-MM-DD` of a UTC day. */
export function isoDay(day: number): string {
  return new Date(day * dayMs).toISOString().slice(0, 10);
}

/** The reference of a rule's payout: from the day, or from what was paid out before it. */
function referenceOf(rule: PayoutRule, account: AccountRow, nowMs: number): string {
  const who = `${toHex(rule.payee).slice(0, 48)}:${assetKey(rule.asset)}`;
  const reference =
    rule.when === 'daily' ? `auto:day:${who}:${isoDay(dayOf(nowMs))}` : `auto:above:${who}:${account.debitsPosted}`;
  return reference.slice(0, referenceCharsMax);
}

/** The script of one rule: reads the payee's account, decides, pays out (or not), in one transaction. */
export function* payoutRuleTxn(rule: PayoutRule, nowMs: number): Txn<PayoutRuleResult> {
  const id = payeeAccountId(toHex(rule.payee), rule.asset);
  const account = (yield* ask({ kind: 'accounts', ids: [id], lock: true })).get(id);
  if (account === undefined) return { status: 'skipped', reason: 'no-account', available: 0n };
  const available = account.creditsPosted - account.debitsPosted - account.debitsPending;
  const reference = referenceOf(rule, account, nowMs);
  if (rule.when === 'daily') {
    const done = (yield* ask({ kind: 'transfers', ids: [`payout:${reference}`] })).size > 0;
    if (done) return { status: 'skipped', reason: 'not-due', available };
  } else if (available < rule.when.above) {
    return { status: 'skipped', reason: 'not-due', available };
  }
  const amount = available - (rule.keep ?? 0n);
  if (amount < (rule.minAmount ?? 1n)) return { status: 'skipped', reason: 'below-minimum', available };
  const input: PayoutInput = { payee: rule.payee, asset: rule.asset, amount, reference };
  const outcome = yield* payoutTxn(input, nowMs);
  if (outcome.status === 'failed') return { status: 'failed', error: outcome.error };
  return { status: 'paid', reference, amount, available: outcome.available };
}
