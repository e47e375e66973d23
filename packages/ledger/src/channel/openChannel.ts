/**
 * Open: the deposit moves from the payer's account into the channel's own escrow
 * account (ADR 0101), and the channel row is written, in one transaction. Idempotent by
 * channel id: the same terms return the channel; other terms are refused.
 */
import {
  type Asset,
  asChannelId,
  asPublicKey,
  type ChannelId,
  equalBytes,
  logGenesis,
  type PublicKey,
  toHex,
} from '@trickle/protocol';
import { ensureAccountsTxn } from '../engine/createAccounts.js';
import { createTransfersTxn } from '../engine/createTransfers.js';
import { LedgerError } from '../ledgerError.js';
import type { ChannelRow } from '../store/rows.js';
import { ask, type Txn } from '../store/txn.js';
import { transferCodes } from '../transfer.js';
import { assertTimeMs, checkAmount, checkedAsset } from '../validate.js';
import type { ChannelContext } from './context.js';
import { channelRef, depositTransferId, escrowAccountId, newAccountRow, payerAccountId } from './naming.js';
import { ledgerErrorOf } from './transferErrors.js';

/** What an open names. */
export interface OpenInput {
  readonly channelId: ChannelId;
  readonly clientKey: PublicKey;
  readonly asset: Asset;
  readonly deposit: bigint;
  readonly expiresAtMs: number;
}

/** Checks an open's input (throws `TypeError`/`RangeError` on misuse). */
export function checkOpenInput(input: OpenInput): OpenInput {
  const deposit = checkAmount(input.deposit, 'deposit');
  if (deposit < 1n) throw new RangeError('deposit: must be at least 1');
  return {
    channelId: asChannelId(input.channelId),
    clientKey: asPublicKey(input.clientKey),
    asset: checkedAsset(input.asset),
    deposit,
    expiresAtMs: assertTimeMs(input.expiresAtMs, 'expiresAtMs'),
  };
}

function sameTerms(row: ChannelRow, input: OpenInput): boolean {
  return (
    equalBytes(row.clientKey, input.clientKey) &&
    row.assetCode === input.asset.code &&
    row.assetScale === input.asset.scale &&
    row.initialDeposit === input.deposit &&
    row.expiresAtMs === input.expiresAtMs
  );
}

/** Debits the payer `amount` into the channel's escrow, raising it to `total`. */
export function* depositTxn(row: ChannelRow, amount: bigint, total: bigint, nowMs: number): Txn<void> {
  const asset = { code: row.assetCode, scale: row.assetScale };
  const spec = {
    id: depositTransferId(row.id, total),
    kind: 'posted' as const,
    debitAccountId: payerAccountId(toHex(row.clientKey), asset),
    creditAccountId: escrowAccountId(row.id),
    amount,
    pendingId: null,
    timeoutMs: null,
    code: transferCodes.deposit,
    ref: channelRef(row.id),
    memo: null,
    linked: false,
  };
  const [result] = (yield* createTransfersTxn([spec], nowMs, false)).results;
  if (result?.status === 'failed') {
    const error = ledgerErrorOf(result.code, spec.id);
    if (result.code === 'DEBIT_ACCOUNT_NOT_FOUND') {
      throw new LedgerError('INSUFFICIENT_FUNDS', 'the payer has no funds in this asset', { details: spec.id });
    }
    throw error;
  }
}

/** The script of an open. */
export function* openChannelTxn(context: ChannelContext, input: OpenInput, nowMs: number): Txn<ChannelRow> {
  const id = toHex(input.channelId);
  const existing = (yield* ask({ kind: 'channels', ids: [id], lock: true })).get(id);
  if (existing !== undefined) {
    if (sameTerms(existing, input)) return existing;
    throw new LedgerError('EXISTS_WITH_DIFFERENT_FIELDS', `channel ${id} exists with other terms`);
  }
  if (input.expiresAtMs <= nowMs) throw new RangeError('expiresAtMs: the channel would be expired already');
  const row: ChannelRow = {
    id,
    clientKey: new Uint8Array(input.clientKey),
    assetCode: input.asset.code,
    assetScale: input.asset.scale,
    feePpm: context.feePpm,
    initialDeposit: input.deposit,
    deposit: input.deposit,
    expiresAtMs: input.expiresAtMs,
    openedAtMs: nowMs,
    claimedSeq: 0,
    claimedCumulative: 0n,
    claimedLogHead: logGenesis(context.domain, input.channelId),
    claimedEntryCount: 0,
    closeKind: null,
    closeStartedAtMs: null,
    challengeEndsAtMs: null,
    closeSeq: null,
    closeCumulative: null,
    closeLogHead: null,
    closeEntryCount: null,
    dueAtMs: input.expiresAtMs + context.challengeWindowMs,
    finalizedAtMs: null,
    version: 0,
  };
  yield* ensureAccountsTxn([newAccountRow(escrowAccountId(id), 'escrow', input.asset, nowMs)]);
  yield* ask({ kind: 'write', writes: { channelsInsert: [row] } });
  yield* depositTxn(row, input.deposit, input.deposit, nowMs);
  return row;
}
