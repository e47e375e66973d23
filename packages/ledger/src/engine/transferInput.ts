/**
 * A transfer input checked and put in one shape: absent fields are `null`. What the
 * idempotency comparison and the failure record use.
 */
import {
  accountIdCharsMax,
  pendingTimeoutMsMax,
  transferCodeMax,
  transferIdCharsMax,
  transferTextCharsMax,
} from '../limits.js';
import type { FailureRow, GivenTransferFields } from '../store/rows.js';
import { type TransferErrorCode, type TransferInput, transferKinds } from '../transfer.js';
import { assertId, assertInteger, checkAmount, optionalFlag, optionalText } from '../validate.js';

/** A checked transfer input. */
export interface TransferSpec extends GivenTransferFields {
  readonly linked: boolean;
}

/** What {@link postedTransfer} needs: a posted transfer between two accounts. */
export interface PostedTransferFields {
  readonly id: string;
  readonly debit: string;
  readonly credit: string;
  readonly amount: bigint;
  readonly code: number;
  readonly ref: string | null;
  readonly memo: string | null;
  /** Part of a linked chain (all or nothing). */
  readonly linked: boolean;
}

/** The spec of a posted (not pending) transfer, as the ledger's own scripts build them. */
export function postedTransfer(f: PostedTransferFields): TransferSpec {
  return {
    id: f.id,
    kind: 'posted',
    debitAccountId: f.debit,
    creditAccountId: f.credit,
    amount: f.amount,
    pendingId: null,
    timeoutMs: null,
    code: f.code,
    ref: f.ref,
    memo: f.memo,
    linked: f.linked,
  };
}

function optionalAccountId(value: unknown, title: string): string | null {
  return value === undefined ? null : assertId(value, accountIdCharsMax, title);
}

/** Checks one transfer input (throws `TypeError`/`RangeError` on misuse). */
export function transferSpecOf(input: TransferInput, index: number): TransferSpec {
  const title = `transfers[${index}]`;
  if (typeof input !== 'object' || input === null) throw new TypeError(`${title}: expected an object`);
  const kind = input.kind ?? 'posted';
  if (!(transferKinds as readonly string[]).includes(kind)) {
    throw new RangeError(`${title}.kind: expected one of ${transferKinds.join(', ')}`);
  }
  const common = {
    id: assertId(input.id, transferIdCharsMax, `${title}.id`),
    kind,
    code: input.code === undefined ? 0 : assertInteger(input.code, 0, transferCodeMax, `${title}.code`),
    ref: optionalText(input.ref, transferTextCharsMax, `${title}.ref`),
    memo: optionalText(input.memo, transferTextCharsMax, `${title}.memo`),
    linked: optionalFlag(input.linked, `${title}.linked`),
  };
  if (input.kind === 'post' || input.kind === 'void') {
    const amount = input.kind === 'post' && input.amount !== undefined ? input.amount : undefined;
    return {
      ...common,
      debitAccountId: optionalAccountId(input.debitAccountId, `${title}.debitAccountId`),
      creditAccountId: optionalAccountId(input.creditAccountId, `${title}.creditAccountId`),
      amount: amount === undefined ? null : checkAmount(amount, `${title}.amount`),
      pendingId: assertId(input.pendingId, transferIdCharsMax, `${title}.pendingId`),
      timeoutMs: null,
    };
  }
  const timeoutMs =
    input.kind === 'pending' && input.timeoutMs !== undefined
      ? assertInteger(input.timeoutMs, 1, pendingTimeoutMsMax, `${title}.timeoutMs`)
      : null;
  return {
    ...common,
    debitAccountId: assertId(input.debitAccountId, accountIdCharsMax, `${title}.debitAccountId`),
    creditAccountId: assertId(input.creditAccountId, accountIdCharsMax, `${title}.creditAccountId`),
    amount: checkAmount(input.amount, `${title}.amount`),
    pendingId: null,
    timeoutMs,
  };
}

/** The failure record of a spec that failed with `error`. */
export function failureRowOf(spec: TransferSpec, error: TransferErrorCode, nowMs: number): FailureRow {
  const { linked: _linked, ...given } = spec;
  return { ...given, error, createdAtMs: nowMs };
}

/** True when a retried spec has the same content as a recorded failure (as given). */
export function sameAsFailure(spec: TransferSpec, failure: FailureRow): boolean {
  return (
    spec.kind === failure.kind &&
    spec.debitAccountId === failure.debitAccountId &&
    spec.creditAccountId === failure.creditAccountId &&
    spec.amount === failure.amount &&
    spec.pendingId === failure.pendingId &&
    spec.timeoutMs === failure.timeoutMs &&
    spec.code === failure.code &&
    spec.ref === failure.ref &&
    spec.memo === failure.memo
  );
}
