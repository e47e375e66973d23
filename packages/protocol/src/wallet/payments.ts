/**
 * Payments from pay() to their answer: admission (every check that can fail runs here,
 * before anything is signed), aborts, the queue's accounting, answers, and payments sent
 * back to the queue. A caller's signal splits on one line, signing: a payment aborted
 * while never signed leaves the queue (as a hole the pump skips, all holes dropped once
 * they are half the queue, so aborting is O(1) on average) and nothing is ever signed for
 * it; once signed, the money is committed, so the caller is let go while the payment goes
 * on to its receipt.
 */
import { assertAmount } from '../amount.js';
import { equalBytes, toHex } from '../bytes.js';
import { PaymentError } from '../channel/client.js';
import type { Domain } from '../domain.js';
import { invoiceMapKey } from '../mapKey.js';
import { decodePaymentRequest, type PaymentRequest } from '../paymentRequest.js';
import type { Receipt } from '../receipt.js';
import { RejectError } from '../rejects.js';
import { type Out, paymentsEnded } from './base.js';
import { PersistentMap } from './persistentMap.js';
import { PersistentQueue } from './persistentQueue.js';
import { capsPayees, enforcePolicy } from './policy.js';
import { WalletError } from './walletErrors.js';
import { paymentAttemptsMax } from './walletLimits.js';
import { type Payment, type PaymentBook, signedPoint, type WalletChannel, type WalletState } from './walletState.js';

/** The book with `amount` (negative to remove) counted as queued for `payment`'s payee. */
function counted(state: WalletState, book: PaymentBook, payment: Payment, amount: bigint): PaymentBook {
  if (!capsPayees(state.config.policy)) return { ...book, queuedTotal: book.queuedTotal + amount };
  const payee = payment.payeeId;
  return {
    ...book,
    queuedTotal: book.queuedTotal + amount,
    queuedByPayee: book.queuedByPayee.set(payee, (book.queuedByPayee.get(payee) ?? 0n) + amount),
  };
}

function abortedError(reason: unknown): WalletError {
  return new WalletError('ABORTED', 'the payment was aborted before it was signed; nothing was charged', {
    cause: reason,
  });
}

/** A pay() call: admitted and queued, or refused with a typed error before anything is signed. */
export function admitPayment(
  state: WalletState,
  call: number,
  input: PaymentRequest | string,
  aborted: { readonly reason: unknown } | undefined,
  nowMs: number,
  out: Out,
  startedAtMs = nowMs,
): WalletState {
  let payment: Payment;
  try {
    if (aborted !== undefined) throw abortedError(aborted.reason);
    const request = typeof input === 'string' ? decodePaymentRequest(input) : input;
    if (
      typeof request !== 'object' ||
      request === null ||
      !(request.payee instanceof Uint8Array) ||
      !(request.invoiceId instanceof Uint8Array)
    ) {
      throw new TypeError('pay: expected a PaymentRequest or its token');
    }
    payment = {
      id: call,
      request,
      payeeId: toHex(request.payee),
      invoiceKey: invoiceMapKey(request.payee, request.invoiceId),
      attempts: 0,
      solo: false,
      startedAtMs,
    };
    checkAdmission(state, payment, nowMs);
  } catch (error) {
    out.push({ type: 'reject', call, error });
    return state;
  }
  const book = counted(state, state.payments, payment, payment.request.amount);
  return {
    ...state,
    payments: {
      ...book,
      byId: book.byId.set(call, payment),
      queue: book.queue.push(call),
      queuedCount: book.queuedCount + 1,
      invoices: book.invoices.set(payment.invoiceKey, call),
    },
  };
}

/** Every check that can fail before signing; throws the caller's typed error. */
function checkAdmission(state: WalletState, payment: Payment, nowMs: number): void {
  const ended = paymentsEnded(state);
  if (ended !== undefined) throw ended;
  const { channel, domain, payments, config } = state;
  if (channel === undefined || domain === undefined) throw new WalletError('NO_CHANNEL', 'open a channel first');
  if (payments.queuedCount >= config.queuedPaymentsMax) {
    throw new WalletError('QUEUE_FULL', `${config.queuedPaymentsMax} payments are queued already`);
  }
  const { request, payeeId } = payment;
  const payeeUsed = capsPayees(config.policy)
    ? (state.spent.byPayee.get(payeeId) ?? 0n) + (payments.queuedByPayee.get(payeeId) ?? 0n)
    : 0n;
  enforcePolicy(config.policy, payeeId, request.amount, {
    total: state.spent.total + payments.queuedTotal,
    payee: payeeUsed,
  });
  if (payments.invoices.has(payment.invoiceKey)) {
    throw new RejectError('INVOICE_ALREADY_PAID', 'this invoice is being paid already');
  }
  checkRequest(domain, channel, request, signedPoint(channel).cumulative + payments.queuedTotal, nowMs);
}

/**
 * preparePayment's refusals, checked per payment before it is queued (without hashing:
 * the voucher is built later): a bad request fails alone, before anything is signed.
 */
function checkRequest(d: Domain, ch: WalletChannel, request: PaymentRequest, committed: bigint, nowMs: number): void {
  const amount = assertAmount(request.amount, 'pay: amount');
  if (amount < 1n) throw new RangeError('pay: amount must be at least 1');
  if (nowMs >= ch.expiresAtMs) throw new PaymentError('CHANNEL_EXPIRED', 'the channel has expired');
  if (request.networkId !== d.networkId || !equalBytes(request.hubId, d.hubId)) {
    throw new PaymentError('WRONG_HUB', 'the payment request is for another hub or network');
  }
  if (request.asset?.code !== ch.asset.code || request.asset.scale !== ch.asset.scale) {
    throw new PaymentError(
      'ASSET_MISMATCH',
      `the request is in ${request.asset?.code}, the channel in ${ch.asset.code}`,
    );
  }
  if (!(request.expiresAtMs > nowMs)) throw new PaymentError('INVOICE_EXPIRED', 'the payment request has expired');
  if (committed + amount > ch.deposit) {
    throw new PaymentError(
      'INSUFFICIENT_CHANNEL_BALANCE',
      `needs ${amount}, the channel has ${ch.deposit - committed} left after the payments already queued`,
    );
  }
}

/** True when `payment` waits in the queue, never signed (not even being signed now). */
function neverSigned(state: WalletState, payment: Payment): boolean {
  return payment.attempts === 0 && !(state.pump.batch?.signing?.ids.includes(payment.id) ?? false);
}

/** A payment's caller aborted: never signed, it leaves the queue; signed, only the caller is let go. */
export function abortPayment(state: WalletState, payment: Payment, reason: unknown, out: Out): WalletState {
  if (!neverSigned(state, payment)) {
    out.push({
      type: 'reject',
      call: payment.id,
      error: new WalletError(
        'ABORTED_AFTER_SIGNING',
        'the payment was aborted after it was signed: it is still delivered and is charged unless the hub refuses it; its receipt comes as a receipt event and in history()',
        { cause: reason },
      ),
    });
    return state;
  }
  let book = counted(state, state.payments, payment, -payment.request.amount);
  book = { ...book, queuedCount: book.queuedCount - 1 };
  book = forget(book, payment);
  // Holes are dropped as the pump passes them; while it cannot (hub down, or nothing queued
  // behind them) they would pile up. Once they are half the queue, drop them all: O(1) per
  // abort on average.
  const holes = book.queue.length - book.queuedCount;
  if (holes * 2 >= book.queue.length) {
    const byId = book.byId;
    book = { ...book, queue: book.queue.filter((id) => byId.has(id)) };
  }
  out.push({ type: 'reject', call: payment.id, error: abortedError(reason) });
  return { ...state, payments: book };
}

/** The book without `payment` (answered): its invoice is free again. */
function forget(book: PaymentBook, payment: Payment): PaymentBook {
  const invoices =
    book.invoices.get(payment.invoiceKey) === payment.id ? book.invoices.delete(payment.invoiceKey) : book.invoices;
  return { ...book, byId: book.byId.delete(payment.id), invoices };
}

/** Resolves a payment with its receipt (nothing when it was answered already). */
export function settlePayment(state: WalletState, id: number, receipt: Receipt, out: Out): WalletState {
  const payment = state.payments.byId.get(id);
  if (payment === undefined) return state;
  out.push({ type: 'resolve', call: id, value: receipt });
  return { ...state, payments: forget(state.payments, payment) };
}

/** Resolves each payment of `ids` with its receipt (those answered already are skipped). */
export function settlePayments(
  state: WalletState,
  ids: readonly (number | undefined)[],
  receipts: readonly Receipt[],
  out: Out,
): WalletState {
  const book = state.payments;
  let { byId, invoices } = book;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id === undefined) continue;
    const payment = byId.get(id);
    if (payment === undefined) continue;
    out.push({ type: 'resolve', call: id, value: receipts[i] });
    byId = byId.delete(id);
    if (invoices.get(payment.invoiceKey) === id) invoices = invoices.delete(payment.invoiceKey);
  }
  return { ...state, payments: { ...book, byId, invoices } };
}

/** Fails a payment that is not queued (signed, or being signed or recovered). */
export function failPayment(state: WalletState, id: number, error: unknown, out: Out): WalletState {
  const payment = state.payments.byId.get(id);
  if (payment === undefined) return state;
  out.push({ type: 'reject', call: id, error });
  return { ...state, payments: forget(state.payments, payment) };
}

/** Fails a payment taken from the queue but not signed: it no longer counts as queued. */
export function failUnsigned(state: WalletState, payment: Payment, error: unknown, out: Out): WalletState {
  const book = counted(state, state.payments, payment, -payment.request.amount);
  out.push({ type: 'reject', call: payment.id, error });
  return { ...state, payments: forget(book, payment) };
}

/** Fails every queued (not yet signed) payment. */
export function failQueued(state: WalletState, error: unknown, out: Out): WalletState {
  let book = state.payments;
  if (book.queue.length === 0) return state;
  for (const id of book.queue.toArray()) {
    const payment = book.byId.get(id);
    if (payment === undefined) continue;
    out.push({ type: 'reject', call: id, error });
    book = forget(book, payment);
  }
  book = {
    ...book,
    queue: PersistentQueue.empty(),
    queuedCount: 0,
    queuedTotal: 0n,
    queuedByPayee: PersistentMap.empty(),
  };
  return { ...state, payments: book };
}

/**
 * Puts payments whose voucher was refused back at the front of the queue, in order, to be
 * signed again; when the wallet stopped (or the channel closed) meanwhile, nothing would
 * sign them again, so they fail now rather than wait forever.
 */
export function requeuePayments(state: WalletState, ids: readonly number[], out: Out): WalletState {
  if (ids.length === 0) return state;
  const ended = paymentsEnded(state);
  let next = state;
  if (ended !== undefined) {
    for (const id of ids) next = failPayment(next, id, ended, out);
    return next;
  }
  const again: number[] = [];
  for (const id of ids) {
    const payment = next.payments.byId.get(id);
    if (payment === undefined) continue;
    if (payment.attempts >= paymentAttemptsMax) {
      next = failPayment(
        next,
        id,
        new WalletError('PAYMENT_ABANDONED', `the payment's voucher was refused ${payment.attempts} times; giving up`),
        out,
      );
      continue;
    }
    next = { ...next, payments: counted(next, next.payments, payment, payment.request.amount) };
    again.push(id);
  }
  const book = next.payments;
  return {
    ...next,
    payments: { ...book, queue: book.queue.unshiftAll(again), queuedCount: book.queuedCount + again.length },
  };
}

/** Marks payments to be signed alone (a refusal that did not name its entry is found by paying one by one). */
export function markSolo(state: WalletState, ids: readonly number[]): WalletState {
  let byId = state.payments.byId;
  for (const id of ids) {
    const payment = byId.get(id);
    if (payment !== undefined) byId = byId.set(id, { ...payment, solo: true });
  }
  return { ...state, payments: { ...state.payments, byId } };
}

/** Live payment ids among `ids` (dropping entries nobody waits on). */
export function livePayments(state: WalletState, ids: readonly (number | undefined)[]): number[] {
  const out: number[] = [];
  for (const id of ids) if (id !== undefined && state.payments.byId.has(id)) out.push(id);
  return out;
}

/** The spending counters without `vouchers` (dropped before the hub took them). */
export function unspend(
  state: WalletState,
  vouchers: readonly { readonly entries: readonly { readonly payee: Uint8Array; readonly amount: bigint }[] }[],
): WalletState {
  let { total, byPayee } = state.spent;
  for (const voucher of vouchers) {
    for (const entry of voucher.entries) {
      const payeeId = toHex(entry.payee);
      total -= entry.amount;
      byPayee = byPayee.set(payeeId, (byPayee.get(payeeId) ?? 0n) - entry.amount);
    }
  }
  return { ...state, spent: { total, byPayee } };
}
