/**
 * The heart of the ledger, as a pure function: given the rows a batch touches, decide
 * every transfer's outcome and the rows to write. Chains of linked transfers are applied
 * to a scratch layer that is merged only when the whole chain succeeds, so a failed chain
 * changes nothing (but its own failure is recorded). No I/O, no clock: `nowMs` comes in.
 */
import { amountMax, present } from '@trickle/protocol';
import type { AccountRow, FailureRow, TransferRow } from '../store/rows.js';
import type { WriteSet } from '../store/txn.js';
import type { PendingStatus, TransferErrorCode, TransferResult } from '../transfer.js';
import { failureRowOf, sameAsFailure, type TransferSpec } from './transferInput.js';

/** The stored rows a batch may touch. */
export interface TransferView {
  readonly accounts: ReadonlyMap<string, AccountRow>;
  /** Stored transfers with the batch's ids and the pending transfers it names. */
  readonly transfers: ReadonlyMap<string, TransferRow>;
  readonly failures: ReadonlyMap<string, FailureRow>;
}

/** What a batch decided. */
export interface AppliedTransfers {
  readonly results: TransferResult[];
  /** Rows to write: account updates, new transfers, failures, pending status changes. */
  readonly writes: WriteSet;
  /** Every account the batch touched, as it stands after the batch. */
  readonly accounts: ReadonlyMap<string, AccountRow>;
}

/** Transfer errors that are a fact about that transfer and are recorded under its id. */
const unrecorded: ReadonlySet<TransferErrorCode> = new Set([
  'EXISTS_WITH_DIFFERENT_FIELDS',
  'LINKED_EVENT_FAILED',
  'LINKED_CHAIN_OPEN',
]);

type Lookup = { account(id: string): AccountRow | undefined; transfer(id: string): TransferRow | undefined };

/** A copy-on-write layer of accounts and transfers over a parent. */
class Layer implements Lookup {
  readonly accounts = new Map<string, AccountRow>();
  readonly transfers = new Map<string, TransferRow>();
  constructor(private readonly parent: Lookup) {}
  account(id: string): AccountRow | undefined {
    return this.accounts.get(id) ?? this.parent.account(id);
  }
  transfer(id: string): TransferRow | undefined {
    return this.transfers.get(id) ?? this.parent.transfer(id);
  }
  mergeInto(target: Layer): void {
    for (const [id, row] of this.accounts) target.accounts.set(id, row);
    for (const [id, row] of this.transfers) target.transfers.set(id, row);
  }
}

type Outcome =
  | { readonly status: 'created' | 'exists' }
  | { readonly status: 'failed'; readonly code: TransferErrorCode };

const fail = (code: TransferErrorCode): Outcome => ({ status: 'failed', code });

function sameAsTransfer(spec: TransferSpec, row: TransferRow, layer: Lookup): boolean {
  if (spec.kind !== row.kind || spec.code !== row.code || spec.ref !== row.ref || spec.memo !== row.memo) return false;
  if (spec.kind === 'post' || spec.kind === 'void') {
    if (spec.pendingId !== row.pendingId) return false;
    if (spec.debitAccountId !== null && spec.debitAccountId !== row.debitAccountId) return false;
    if (spec.creditAccountId !== null && spec.creditAccountId !== row.creditAccountId) return false;
    if (spec.kind === 'void') return true;
    const full = layer.transfer(row.pendingId as string)?.amount;
    return (spec.amount ?? full) === row.amount;
  }
  return (
    spec.debitAccountId === row.debitAccountId &&
    spec.creditAccountId === row.creditAccountId &&
    spec.amount === row.amount &&
    spec.timeoutMs === row.timeoutMs
  );
}

function newRow(spec: TransferSpec, fields: Partial<TransferRow>, nowMs: number): TransferRow {
  return {
    serial: 0n,
    id: spec.id,
    kind: spec.kind,
    debitAccountId: spec.debitAccountId ?? '',
    creditAccountId: spec.creditAccountId ?? '',
    amount: spec.amount ?? 0n,
    pendingId: spec.pendingId,
    timeoutMs: spec.timeoutMs,
    expiresAtMs: null,
    pendingStatus: null,
    code: spec.code,
    ref: spec.ref,
    memo: spec.memo,
    createdAtMs: nowMs,
    ...fields,
  };
}

/** Applies a posted or pending transfer to `layer`, or says why not. */
function applyNew(spec: TransferSpec, layer: Layer, nowMs: number): Outcome {
  const debitId = spec.debitAccountId as string;
  const creditId = spec.creditAccountId as string;
  const amount = spec.amount as bigint;
  if (debitId === creditId) return fail('ACCOUNTS_MUST_BE_DIFFERENT');
  const debit = layer.account(debitId);
  if (debit === undefined) return fail('DEBIT_ACCOUNT_NOT_FOUND');
  const credit = layer.account(creditId);
  if (credit === undefined) return fail('CREDIT_ACCOUNT_NOT_FOUND');
  if (debit.assetCode !== credit.assetCode || debit.assetScale !== credit.assetScale) return fail('ASSET_MISMATCH');
  const pending = spec.kind === 'pending';
  const debitSum = pending ? debit.debitsPending : debit.debitsPosted;
  const creditSum = pending ? credit.creditsPending : credit.creditsPosted;
  if (debitSum + amount > amountMax || creditSum + amount > amountMax) return fail('OVERFLOW');
  if (!debit.allowNegative && amount > debit.creditsPosted - debit.debitsPosted - debit.debitsPending) {
    return fail('INSUFFICIENT_FUNDS');
  }
  if (pending) {
    layer.accounts.set(debitId, { ...debit, debitsPending: debit.debitsPending + amount });
    layer.accounts.set(creditId, { ...credit, creditsPending: credit.creditsPending + amount });
    const expiresAtMs = spec.timeoutMs === null ? null : nowMs + spec.timeoutMs;
    layer.transfers.set(spec.id, newRow(spec, { expiresAtMs, pendingStatus: 'pending' }, nowMs));
  } else {
    layer.accounts.set(debitId, { ...debit, debitsPosted: debit.debitsPosted + amount });
    layer.accounts.set(creditId, { ...credit, creditsPosted: credit.creditsPosted + amount });
    layer.transfers.set(spec.id, newRow(spec, {}, nowMs));
  }
  return { status: 'created' };
}

const resolvedStatus: Record<Exclude<PendingStatus, 'pending'>, TransferErrorCode> = {
  posted: 'PENDING_TRANSFER_ALREADY_POSTED',
  voided: 'PENDING_TRANSFER_ALREADY_VOIDED',
  expired: 'PENDING_TRANSFER_EXPIRED',
};

/** Applies a post or void of a pending transfer to `layer`, or says why not. */
function applyResolution(spec: TransferSpec, layer: Layer, nowMs: number): Outcome {
  const pending = layer.transfer(spec.pendingId as string);
  if (pending === undefined) return fail('PENDING_TRANSFER_NOT_FOUND');
  if (pending.kind !== 'pending' || pending.pendingStatus === null) return fail('PENDING_TRANSFER_NOT_PENDING');
  if (pending.pendingStatus !== 'pending') return fail(resolvedStatus[pending.pendingStatus]);
  if (pending.expiresAtMs !== null && nowMs >= pending.expiresAtMs) return fail('PENDING_TRANSFER_EXPIRED');
  if (
    (spec.debitAccountId !== null && spec.debitAccountId !== pending.debitAccountId) ||
    (spec.creditAccountId !== null && spec.creditAccountId !== pending.creditAccountId)
  ) {
    return fail('PENDING_ACCOUNTS_MISMATCH');
  }
  const amount = spec.kind === 'post' ? (spec.amount ?? pending.amount) : pending.amount;
  if (amount > pending.amount) return fail('EXCEEDS_PENDING_AMOUNT');
  const debit = layer.account(pending.debitAccountId);
  if (debit === undefined) return fail('DEBIT_ACCOUNT_NOT_FOUND');
  const credit = layer.account(pending.creditAccountId);
  if (credit === undefined) return fail('CREDIT_ACCOUNT_NOT_FOUND');
  const posted = spec.kind === 'post' ? amount : 0n;
  if (debit.debitsPosted + posted > amountMax || credit.creditsPosted + posted > amountMax) return fail('OVERFLOW');
  layer.accounts.set(debit.id, {
    ...debit,
    debitsPending: debit.debitsPending - pending.amount,
    debitsPosted: debit.debitsPosted + posted,
  });
  layer.accounts.set(credit.id, {
    ...credit,
    creditsPending: credit.creditsPending - pending.amount,
    creditsPosted: credit.creditsPosted + posted,
  });
  layer.transfers.set(pending.id, { ...pending, pendingStatus: spec.kind === 'post' ? 'posted' : 'voided' });
  const fields = { debitAccountId: pending.debitAccountId, creditAccountId: pending.creditAccountId, amount };
  layer.transfers.set(spec.id, newRow(spec, fields, nowMs));
  return { status: 'created' };
}

/** Splits a batch into chains: runs of linked transfers ending at one that is not. */
function chainsOf(specs: readonly TransferSpec[]): { start: number; end: number; open: boolean }[] {
  const chains: { start: number; end: number; open: boolean }[] = [];
  let start = 0;
  specs.forEach((spec, index) => {
    if (!spec.linked) {
      chains.push({ start, end: index, open: false });
      start = index + 1;
    }
  });
  if (start < specs.length) chains.push({ start, end: specs.length - 1, open: true });
  return chains;
}

/**
 * Decides a batch. `record` keeps each failure under its id (the generic ledger); the
 * channel layer passes `false` and throws instead, rolling its whole operation back.
 */
export function applyTransfers(
  specs: readonly TransferSpec[],
  view: TransferView,
  nowMs: number,
  record: boolean,
): AppliedTransfers {
  const base: Lookup = { account: (id) => view.accounts.get(id), transfer: (id) => view.transfers.get(id) };
  const batch = new Layer(base);
  const failures = new Map<string, FailureRow>();
  const results: TransferResult[] = new Array(specs.length);

  for (const chain of chainsOf(specs)) {
    const layer = new Layer(batch);
    let failedAt = -1;
    let failedCode: TransferErrorCode = 'LINKED_EVENT_FAILED';
    for (let index = chain.start; index <= chain.end; index++) {
      const spec = present(specs[index], 'a spec per index');
      const outcome = decide(spec, layer, view, failures, nowMs);
      if (outcome.status === 'failed') {
        failedAt = index;
        failedCode = outcome.code;
        const known = view.failures.has(spec.id) || failures.has(spec.id);
        if (record && !known && !unrecorded.has(outcome.code)) {
          failures.set(spec.id, failureRowOf(spec, outcome.code, nowMs));
        }
        break;
      }
      results[index] = { index, id: spec.id, status: outcome.status };
    }
    if (failedAt === -1 && chain.open) {
      failedAt = chain.end;
      failedCode = 'LINKED_CHAIN_OPEN';
    }
    if (failedAt === -1) {
      layer.mergeInto(batch);
      continue;
    }
    for (let index = chain.start; index <= chain.end; index++) {
      const code = index === failedAt ? failedCode : 'LINKED_EVENT_FAILED';
      results[index] = { index, id: present(specs[index], 'a spec per index').id, status: 'failed', code };
    }
  }
  return { results, writes: writesOf(batch, view, failures), accounts: touchedAccounts(batch, view) };
}

function decide(
  spec: TransferSpec,
  layer: Layer,
  view: TransferView,
  failures: ReadonlyMap<string, FailureRow>,
  nowMs: number,
): Outcome {
  const prior = layer.transfer(spec.id);
  if (prior !== undefined) {
    return sameAsTransfer(spec, prior, layer) ? { status: 'exists' } : fail('EXISTS_WITH_DIFFERENT_FIELDS');
  }
  const failure = failures.get(spec.id) ?? view.failures.get(spec.id);
  if (failure !== undefined) return fail(sameAsFailure(spec, failure) ? failure.error : 'EXISTS_WITH_DIFFERENT_FIELDS');
  return spec.kind === 'post' || spec.kind === 'void'
    ? applyResolution(spec, layer, nowMs)
    : applyNew(spec, layer, nowMs);
}

function writesOf(batch: Layer, view: TransferView, failures: ReadonlyMap<string, FailureRow>): WriteSet {
  const accountsUpdate = [...batch.accounts.values()].map((row) => {
    const stored = present(view.accounts.get(row.id), 'an account the transaction read');
    return { row: { ...row, version: stored.version + 1 }, expectedVersion: stored.version };
  });
  const transfersInsert: TransferRow[] = [];
  const pendingUpdate: { id: string; status: Exclude<PendingStatus, 'pending'> }[] = [];
  for (const row of batch.transfers.values()) {
    if (view.transfers.has(row.id)) {
      pendingUpdate.push({ id: row.id, status: row.pendingStatus as Exclude<PendingStatus, 'pending'> });
    } else {
      transfersInsert.push(row);
    }
  }
  return { accountsUpdate, transfersInsert, failuresInsert: [...failures.values()], pendingUpdate };
}

function touchedAccounts(batch: Layer, view: TransferView): Map<string, AccountRow> {
  const accounts = new Map(view.accounts);
  for (const [id, row] of batch.accounts) accounts.set(id, row);
  return accounts;
}
