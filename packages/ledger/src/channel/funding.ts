/**
 * Money in and out of the ledger. Funding credits a payer from the asset's external
 * account; a payout debits a payee into it. Both are one transfer whose id is the
 * caller's reference, so each is idempotent by reference: a retry returns `exists`, the
 * same reference with other content is `EXISTS_WITH_DIFFERENT_FIELDS`, and a refused
 * payout stays refused under its reference (as TigerBeetle and Stripe keys do).
 */
import { type Asset, asPayeeId, asPublicKey, type PayeeId, type PublicKey, present, toHex } from '@trickle/protocol';
import { ensureAccountsTxn } from '../engine/createAccounts.js';
import { createTransfersTxn } from '../engine/createTransfers.js';
import { postedTransfer, type TransferSpec } from '../engine/transferInput.js';
import type { LedgerError } from '../ledgerError.js';
import { referenceCharsMax } from '../limits.js';
import { type AccountRow, accountOf } from '../store/rows.js';
import { ask, type Txn } from '../store/txn.js';
import { transferCodes } from '../transfer.js';
import { assertId, checkAmount, checkedAsset } from '../validate.js';
import { externalAccountId, newAccountRow, payeeAccountId, payerAccountId } from './naming.js';
import { dayOf } from './payeeDays.js';
import { ledgerErrorOf } from './transferErrors.js';

/**
 * Money entering the ledger for a payer.
 *
 * @example
 * ```ts
 * import type { FundPayerInput } from '@trickle/ledger';
 * import type { PublicKey } from '@trickle/protocol';
 * declare const clientKey: PublicKey;
 * const input: FundPayerInput = { clientKey, asset: { code: 'USD', scale: 6 }, amount: 5_000_000n, reference: 'stripe-ch-123' };
 * ```
 */
export interface FundPayerInput {
  readonly clientKey: PublicKey;
  readonly asset: Asset;
  readonly amount: bigint;
  /** The outside system's reference (a card charge, a bank transfer): 1-128 id characters. */
  readonly reference: string;
}

/**
 * Money leaving the ledger from a payee.
 *
 * @example
 * ```ts
 * import type { PayoutInput } from '@trickle/ledger';
 * import type { PayeeId } from '@trickle/protocol';
 * declare const payee: PayeeId;
 * const input: PayoutInput = { payee, asset: { code: 'USD', scale: 6 }, amount: 1_000_000n, reference: 'payout-2026-11-25' };
 * ```
 */
export interface PayoutInput {
  readonly payee: PayeeId;
  readonly asset: Asset;
  readonly amount: bigint;
  /** The withdrawal's reference: 1-128 id characters. */
  readonly reference: string;
}

/**
 * What a funding or payout did.
 *
 * @example
 * ```ts
 * import type { TrickleLedger } from '@trickle/ledger';
 * declare const ledger: TrickleLedger, input: Parameters<TrickleLedger['payout']>[0];
 * const { status, available } = await ledger.payout(input); // 'created' | 'exists'
 * ```
 */
export interface MoneyMovement {
  /** `created` the first time, `exists` for a retry. */
  readonly status: 'created' | 'exists';
  readonly transferId: string;
  /** The payer's or payee's account id. */
  readonly accountId: string;
  /** That account's available balance after the operation. */
  readonly available: bigint;
}

function checkMovement<T extends { amount: bigint; reference: string; asset: Asset }>(input: T): T {
  const amount = checkAmount(input.amount, 'amount');
  if (amount < 1n) throw new RangeError('amount: must be at least 1');
  assertId(input.reference, referenceCharsMax, 'reference');
  return { ...input, asset: checkedAsset(input.asset) };
}

/** Checks a funding input. */
export function checkFundInput(input: FundPayerInput): FundPayerInput {
  return { ...checkMovement(input), clientKey: asPublicKey(input.clientKey) };
}

/** Checks a payout input. */
export function checkPayoutInput(input: PayoutInput): PayoutInput {
  return { ...checkMovement(input), payee: asPayeeId(input.payee) };
}

/**
 * A movement, or the refusal to report once the transaction has committed: a refused
 * transfer's failure record must be committed too (so the reference keeps failing), so the
 * script returns it instead of throwing, which would roll the record back.
 */
export type MovementOutcome = MoneyMovement | { readonly status: 'failed'; readonly error: LedgerError };

/** The movement, or throws its refusal (after the commit). */
export function movementOf(outcome: MovementOutcome): MoneyMovement {
  if (outcome.status === 'failed') throw outcome.error;
  return outcome;
}

function* moveTxn(
  spec: TransferSpec,
  account: string,
  ensure: readonly AccountRow[],
  nowMs: number,
  paidOut = false,
): Txn<MovementOutcome> {
  yield* ensureAccountsTxn(ensure);
  const applied = yield* createTransfersTxn([spec], nowMs, true);
  const [result] = applied.results;
  if (result === undefined || result.status === 'failed') {
    const code = result?.status === 'failed' ? result.code : 'LINKED_EVENT_FAILED';
    return { status: 'failed', error: ledgerErrorOf(code, spec.id) };
  }
  if (paidOut && result.status === 'created') {
    const day = { accountId: account, day: dayOf(nowMs), gross: 0n, fee: 0n, net: 0n, paidOut: spec.amount as bigint };
    yield* ask({ kind: 'write', writes: { payeeDaysAdd: [day] } });
  }
  const row = present(applied.accounts.get(account), 'the account just written');
  return { status: result.status, transferId: spec.id, accountId: account, available: accountOf(row).available };
}

/** The script of a funding. */
export function* fundPayerTxn(input: FundPayerInput, nowMs: number): Txn<MovementOutcome> {
  const external = externalAccountId(input.asset);
  const payer = payerAccountId(toHex(input.clientKey), input.asset);
  const spec = postedTransfer({
    id: `fund:${input.reference}`,
    debit: external,
    credit: payer,
    amount: input.amount,
    code: transferCodes.fund,
    ref: null,
    memo: input.reference,
    linked: false,
  });
  const ensure = [
    newAccountRow(external, 'external', input.asset, nowMs),
    newAccountRow(payer, 'payer', input.asset, nowMs),
  ];
  return yield* moveTxn(spec, payer, ensure, nowMs);
}

/** The script of a payout. */
export function* payoutTxn(input: PayoutInput, nowMs: number): Txn<MovementOutcome> {
  const external = externalAccountId(input.asset);
  const payee = payeeAccountId(toHex(input.payee), input.asset);
  const spec = postedTransfer({
    id: `payout:${input.reference}`,
    debit: payee,
    credit: external,
    amount: input.amount,
    code: transferCodes.payout,
    ref: null,
    memo: input.reference,
    linked: false,
  });
  return yield* moveTxn(spec, payee, [newAccountRow(external, 'external', input.asset, nowMs)], nowMs, true);
}
