/**
 * The signing pump: coalesces what is queued into vouchers of up to entriesPerVoucherMax
 * payments, at most inFlightVouchersMax in flight, signs them one at a time (each signature
 * is an effect whose result comes back before any other input), writes the batch durably
 * and only then sends it (ADR 0204).
 */
import { type PreparedPayment, preparePayment } from '../channel/client.js';
import { asError, assert, present } from '../errors.js';
import type { Signature } from '../ids.js';
import { entriesPerVoucherMax } from '../limits.js';
import { voucherSigningBytes } from '../voucher.js';
import { emit, isReady, type Out, sendVoucher, withChannel, writeRecord } from './base.js';
import { failPayment, failUnsigned, unspend } from './payments.js';
import { capsPayees } from './policy.js';
import { voucherToRecord } from './records.js';
import { WalletError } from './walletErrors.js';
import {
  type Batch,
  clientChannelOf,
  type LiveVoucher,
  type Payment,
  signedPoint,
  type WalletState,
} from './walletState.js';

/** True when vouchers may be signed now: ready, the channel open, the hub pinned. */
function canSign(state: WalletState): boolean {
  return isReady(state) && state.channel?.status === 'open' && state.domain !== undefined;
}

/** True when the pump has work it could do now (the timer is armed when this holds). */
export function pumpWanted(state: WalletState): boolean {
  const { payments, channel, pump } = state;
  return (
    !pump.scheduled &&
    pump.batch === undefined &&
    payments.queuedCount > 0 &&
    canSign(state) &&
    channel !== undefined &&
    channel.pending.length < state.config.inFlightVouchersMax
  );
}

/** The pump timer fired. */
export function runPump(state: WalletState, nowMs: number, out: Out): WalletState {
  const next = { ...state, pump: { ...state.pump, scheduled: false } };
  if (next.pump.batch !== undefined) return next;
  return startBatch(next, nowMs, out);
}

function startBatch(state: WalletState, nowMs: number, out: Out): WalletState {
  const channel = state.channel;
  if (!canSign(state) || channel === undefined) return state;
  if (state.payments.queuedCount === 0 || channel.pending.length >= state.config.inFlightVouchersMax) return state;
  const batch: Batch = { nowMs, built: [], local: signedPoint(channel) };
  return buildNext({ ...state, pump: { ...state.pump, batch } }, out);
}

function withBatch(state: WalletState, batch: Batch | undefined): WalletState {
  return { ...state, pump: { ...state.pump, batch } };
}

/** Takes the next group from the queue: up to entriesPerVoucherMax payments, a solo one alone. */
function takeGroup(state: WalletState): { state: WalletState; group: Payment[] } {
  let book = state.payments;
  const group: Payment[] = [];
  while (group.length < entriesPerVoucherMax) {
    const id = book.queue.peek();
    if (id === undefined) break;
    const payment = book.byId.get(id);
    if (payment === undefined) {
      book = { ...book, queue: book.queue.shift() };
      continue;
    }
    if (payment.solo && group.length > 0) break;
    book = { ...book, queue: book.queue.shift(), queuedCount: book.queuedCount - 1 };
    group.push(payment);
    if (payment.solo) break;
  }
  return { state: { ...state, payments: book }, group };
}

/** Puts a group back at the front of the queue, each to be signed alone. */
function putBackSolo(state: WalletState, group: readonly Payment[]): WalletState {
  const ids = group.map((p) => p.id);
  let byId = state.payments.byId;
  for (const payment of group) byId = byId.set(payment.id, { ...payment, solo: true });
  const book = state.payments;
  return {
    ...state,
    payments: { ...book, byId, queue: book.queue.unshiftAll(ids), queuedCount: book.queuedCount + ids.length },
  };
}

/** Signs the next group, or writes the batch when the queue or the window is exhausted. */
function buildNext(start: WalletState, out: Out): WalletState {
  let state = start;
  for (;;) {
    const batch = state.pump.batch;
    const channel = state.channel;
    const domain = state.domain;
    assert(batch !== undefined && channel !== undefined && domain !== undefined, 'a batch is built on a channel');
    if (
      state.payments.queuedCount === 0 ||
      channel.pending.length + batch.built.length >= state.config.inFlightVouchersMax
    ) {
      return writeBatch(state, out);
    }
    const taken = takeGroup(state);
    state = taken.state;
    const { group } = taken;
    if (group.length === 0) return writeBatch(state, out);
    let prepared: PreparedPayment;
    try {
      prepared = preparePayment(
        domain,
        clientChannelOf(channel, batch.local),
        group.map((p) => p.request),
        batch.nowMs,
      );
    } catch (error) {
      if (group.length > 1) state = putBackSolo(state, group);
      else state = failUnsigned(state, present(group[0], 'the one payment of a group of one'), error, out);
      continue;
    }
    const { channel: after, voucher, entries } = prepared;
    out.push({ type: 'sign', purpose: { kind: 'voucher' }, message: voucherSigningBytes(domain, voucher) });
    return withBatch(state, {
      ...batch,
      signing: {
        ids: group.map((p) => p.id),
        next: { seq: after.seq, cumulative: after.cumulative, logHead: after.logHead },
        entries,
      },
    });
  }
}

/** The batch's voucher being signed got its signature. */
export function voucherSigned(state: WalletState, signature: Signature, out: Out): WalletState {
  const batch = state.pump.batch;
  const signing = batch?.signing;
  if (batch === undefined || signing === undefined) return state;
  const voucher: LiveVoucher = {
    serial: state.nextSerial,
    seq: signing.next.seq,
    cumulative: signing.next.cumulative,
    logHead: signing.next.logHead,
    signature,
    entries: signing.entries,
    payments: signing.ids,
    written: false,
  };
  let book = state.payments;
  let { total, byPayee } = state.spent;
  let queuedTotal = book.queuedTotal;
  let queuedByPayee = book.queuedByPayee;
  const tracksPayees = capsPayees(state.config.policy);
  // Per-payee sums of this voucher first: one counter update per payee, not per payment.
  const byPayeeHere = new Map<string, bigint>();
  for (const id of signing.ids) {
    const payment = book.byId.get(id);
    if (payment === undefined) continue;
    const { amount } = payment.request;
    book = { ...book, byId: book.byId.set(id, { ...payment, attempts: payment.attempts + 1 }) };
    queuedTotal -= amount;
    total += amount;
    byPayeeHere.set(payment.payeeId, (byPayeeHere.get(payment.payeeId) ?? 0n) + amount);
  }
  for (const [payee, amount] of byPayeeHere) {
    byPayee = byPayee.set(payee, (byPayee.get(payee) ?? 0n) + amount);
    if (tracksPayees) queuedByPayee = queuedByPayee.set(payee, (queuedByPayee.get(payee) ?? 0n) - amount);
  }
  const next: WalletState = {
    ...state,
    nextSerial: state.nextSerial + 1,
    spent: { total, byPayee },
    payments: { ...book, queuedTotal, queuedByPayee },
    pump: { ...state.pump, batch: { nowMs: batch.nowMs, built: [...batch.built, voucher], local: signing.next } },
  };
  return buildNext(next, out);
}

/** The signer threw: nothing was signed, so the group's payments fail alone and typed; the others go on. */
export function voucherSignFailed(state: WalletState, cause: unknown, out: Out): WalletState {
  const batch = state.pump.batch;
  const signing = batch?.signing;
  if (batch === undefined || signing === undefined) return state;
  let next = withBatch(state, { nowMs: batch.nowMs, built: batch.built, local: batch.local });
  for (const id of signing.ids) {
    const payment = next.payments.byId.get(id);
    if (payment === undefined) continue;
    next = failUnsigned(
      next,
      payment,
      new WalletError('SIGNER_FAILED', 'the signer threw while signing the voucher', { cause }),
      out,
    );
  }
  return buildNext(next, out);
}

/** Hands the batch's vouchers to the store (they count as pending from now on); they are sent once written. */
function writeBatch(state: WalletState, out: Out): WalletState {
  const batch = state.pump.batch;
  const channel = state.channel;
  assert(batch !== undefined && channel !== undefined, 'a batch is written for a channel');
  if (batch.built.length === 0) return withBatch(state, undefined);
  const next = withBatch(withChannel(state, { ...channel, pending: [...channel.pending, ...batch.built] }), {
    nowMs: batch.nowMs,
    built: [],
    local: batch.local,
    writing: batch.built.map((v) => v.serial),
  });
  writeRecord(
    next,
    out,
    { kind: 'vouchers', serials: batch.built.map((v) => v.serial) },
    {
      addPending: batch.built.map(voucherToRecord),
    },
  );
  return next;
}

/** The batch is durable: send what is still pending, then go on signing. */
export function vouchersWritten(state: WalletState, serials: readonly number[], nowMs: number, out: Out): WalletState {
  let next = withBatch(state, undefined);
  const channel = next.channel;
  if (channel === undefined) return next;
  const wanted = new Set(serials);
  const pending = channel.pending.map((v) => (wanted.has(v.serial) ? { ...v, written: true } : v));
  next = withChannel(next, { ...channel, pending });
  for (const voucher of pending) if (wanted.has(voucher.serial)) next = sendVoucher(next, out, voucher);
  return startBatch(next, nowMs, out);
}

/** The batch could not be written: nothing of it was sent; its payments fail and its amounts are not spent. */
export function vouchersWriteFailed(
  state: WalletState,
  serials: readonly number[],
  error: unknown,
  out: Out,
): WalletState {
  let next = withBatch(state, undefined);
  const channel = next.channel;
  if (channel === undefined) return next;
  const wanted = new Set(serials);
  const dropped = channel.pending.filter((v) => wanted.has(v.serial));
  next = unspend(
    withChannel(next, { ...channel, pending: channel.pending.filter((v) => !wanted.has(v.serial)) }),
    dropped,
  );
  for (const voucher of dropped)
    for (const id of voucher.payments) if (id !== undefined) next = failPayment(next, id, error, out);
  emit(out, 'error', asError(error));
  return next;
}
