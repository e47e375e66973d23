/**
 * Statements: what a merchant (any payee) earned, was credited and was paid out in a
 * period of whole UTC days, with its balance at both ends. Read from the per-day sums the
 * settlements and payouts keep (payeeDays.ts), so a statement costs one row per day of the
 * period and of the days after it, never a scan of transfers (ADR 0109).
 */
import { type Asset, asPayeeId, type PayeeId, toHex } from '@trickle/protocol';
import { ask, type Txn } from '../store/txn.js';
import { checkedAsset } from '../validate.js';
import { payeeAccountId } from './naming.js';
import { dayMs, dayOf } from './payeeDays.js';
import { isoDay } from './payoutRules.js';

/** Days one statement may cover, and reach back from today (its balances are rebuilt from the days after it). */
export const statementDaysMax = 3_660;

/**
 * One payee's statement for the UTC days [from, to).
 *
 * @example
 * ```ts
 * import type { Statement } from '@trickle/ledger';
 * declare const statement: Statement;
 * statement.openingBalance + statement.claimed - statement.paidOut === statement.closingBalance; // true
 * ```
 */
export interface Statement {
  readonly payee: PayeeId;
  readonly asset: Asset;
  /** First day of the period, `YYYY-MM-DD` (UTC), included. */
  readonly from: string;
  /** Day after the period, `YYYY-MM-DD` (UTC), excluded. */
  readonly to: string;
  /** Balance at the start of `from`. */
  readonly openingBalance: bigint;
  /** What payers' signed states paid this payee, settled in the period (claims and closes), before the hub's fee. */
  readonly earned: bigint;
  /** The hub's fee out of `earned`. */
  readonly fees: bigint;
  /** Credited to the payee's account in the period: `earned - fees`. */
  readonly claimed: bigint;
  /** Paid out of the ledger in the period. */
  readonly paidOut: bigint;
  /** Balance at the start of `to`: `openingBalance + claimed - paidOut`. */
  readonly closingBalance: bigint;
  /** The same sums per day with activity, oldest first. */
  readonly days: readonly {
    readonly day: string;
    readonly earned: bigint;
    readonly fees: bigint;
    readonly claimed: bigint;
    readonly paidOut: bigint;
  }[];
}

/**
 * What a statement asks for: a payee and an asset, and the period as Unix ms, widened to
 * the whole UTC days that overlap [fromMs, toMs) (a period from midnight to midnight is
 * exactly its days).
 *
 * @example
 * ```ts
 * import type { StatementInput } from '@trickle/ledger';
 * import type { PayeeId } from '@trickle/protocol';
 * declare const payee: PayeeId;
 * const november: StatementInput = { payee, asset: { code: 'USD', scale: 6 }, fromMs: Date.UTC(2026, 10, 1), toMs: Date.UTC(2026, 11, 1) };
 * ```
 */
export interface StatementInput {
  readonly payee: PayeeId;
  readonly asset: Asset;
  readonly fromMs: number;
  readonly toMs: number;
}

/** Checks a statement's input and turns it into days. */
export function checkStatementInput(input: StatementInput): { payee: PayeeId; asset: Asset; from: number; to: number } {
  if (typeof input !== 'object' || input === null) throw new TypeError('statement: expected an object');
  for (const key of ['fromMs', 'toMs'] as const) {
    if (!Number.isSafeInteger(input[key]) || input[key] < 0) throw new RangeError(`statement.${key}: Unix ms`);
  }
  const from = dayOf(input.fromMs);
  const to = Math.ceil(input.toMs / dayMs);
  if (to <= from) throw new RangeError('statement: toMs must be after fromMs');
  if (to - from > statementDaysMax) throw new RangeError(`statement: at most ${statementDaysMax} days`);
  return { payee: asPayeeId(input.payee), asset: checkedAsset(input.asset), from, to };
}

/** The script of a statement, read from one snapshot. */
export function* statementTxn(
  input: { payee: PayeeId; asset: Asset; from: number; to: number },
  nowMs: number,
): Txn<Statement> {
  const accountId = payeeAccountId(toHex(input.payee), input.asset);
  const account = (yield* ask({ kind: 'accounts', ids: [accountId], lock: false })).get(accountId);
  const today = dayOf(nowMs);
  if (today + 1 - input.from > statementDaysMax) {
    throw new RangeError(`statement: the period must start within ${statementDaysMax} days of today`);
  }
  // Days from the period's start to today: the period's sums, and what came after it to rebuild its balances.
  const rows = yield* ask({ kind: 'payeeDays', accountId, fromDay: input.from, toDay: Math.max(input.to, today + 1) });
  const balance = account === undefined ? 0n : account.creditsPosted - account.debitsPosted;
  let after = 0n;
  const days: Statement['days'][number][] = [];
  let earned = 0n;
  let fees = 0n;
  let claimed = 0n;
  let paidOut = 0n;
  for (const row of rows) {
    if (row.day >= input.to) {
      after += row.net - row.paidOut;
      continue;
    }
    earned += row.gross;
    fees += row.fee;
    claimed += row.net;
    paidOut += row.paidOut;
    days.push({ day: isoDay(row.day), earned: row.gross, fees: row.fee, claimed: row.net, paidOut: row.paidOut });
  }
  const closingBalance = balance - after;
  return {
    payee: input.payee,
    asset: input.asset,
    from: isoDay(input.from),
    to: isoDay(input.to),
    openingBalance: closingBalance - claimed + paidOut,
    earned,
    fees,
    claimed,
    paidOut,
    closingBalance,
    days,
  };
}
