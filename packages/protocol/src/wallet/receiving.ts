/**
 * Peer-to-peer payments in the wallet's machine (ADR 0240): receiving (register as a
 * payee, take each incoming payment once and in order, hold it durably, then tell the
 * listeners and acknowledge it to the hub) and paying another wallet by its payee id (ask
 * the hub for the invoice, then pay it like any payment request).
 */
import { toHex } from '../bytes.js';
import { payeeIdFromKey } from '../ids.js';
import type { HubMessageOf } from '../messages.js';
import type { PaymentRequest } from '../paymentRequest.js';
import { emit, isAuthenticated, isReady, type Out, writeRecord } from './base.js';
import { queueTopUp } from './lifecycle.js';
import { admitPayment } from './payments.js';
import type { WritePurpose } from './purposes.js';
import type { HistoryRecord } from './records.js';
import { hasRequest, issueRequest } from './requests.js';
import { WalletError } from './walletErrors.js';
import type { PeerPaymentCall, WalletState } from './walletState.js';
import type { IncomingPayment } from './walletTypes.js';

/** Once ready: a receiving wallet asks for what arrived after the inbox seq it holds (the hub registers it). */
export function startReceiving(state: WalletState, out: Out): WalletState {
  if (state.config.receive !== true || !isReady(state) || hasRequest(state, 'receive')) return state;
  return issueRequest(state, out, { type: 'receive', after: state.inbox.seq });
}

/**
 * An incoming payment. The next one in order is held durably first (the inbox seq in the
 * record, the payment in the history, one write); a repeat (replayed after a reconnect) is
 * dropped; a gap means frames were lost: reconnect, and the hub replays from the cursor.
 */
export function onIncoming(
  state: WalletState,
  message: HubMessageOf<'incoming'>,
  nowMs: number,
  out: Out,
): WalletState {
  if (state.config.receive !== true || state.domain === undefined) return state;
  // Stopped: a frame still arriving is not held (the store is closing, and the wallet started
  // next on it must not miss what this one told its listeners): the hub replays it.
  if (state.stopped) return state;
  if (message.seq <= state.inbox.seq) return state;
  if (message.seq !== state.inbox.seq + 1) {
    out.push({ type: 'disconnect', code: 1002, reason: 'incoming payments out of order' });
    return state;
  }
  const payment: IncomingPayment = {
    inboxSeq: message.seq,
    amount: message.amount,
    asset: message.asset,
    memo: message.memo,
    ...(message.from === undefined ? {} : { from: message.from }),
    channelId: message.channelId,
    voucherSeq: message.voucherSeq,
    invoiceId: message.invoiceId,
    mac: message.mac,
    paidAtMs: message.timeMs,
    receivedAtMs: nowMs,
  };
  const record: HistoryRecord = {
    channelId: toHex(message.channelId),
    seq: message.voucherSeq,
    payee: toHex(payeeIdFromKey(state.config.clientKey)),
    invoiceId: toHex(message.invoiceId),
    amount: message.amount.toString(),
    mac: toHex(message.mac),
    atMs: nowMs,
    received: {
      inboxSeq: message.seq,
      memo: message.memo,
      ...(message.from === undefined ? {} : { from: toHex(message.from) }),
      asset: message.asset,
      paidAtMs: message.timeMs,
    },
  };
  const next: WalletState = { ...state, inbox: { seq: message.seq } };
  writeRecord(next, out, { kind: 'incoming', payment }, { addHistory: [record] });
  return next;
}

/** An incoming payment is durable: tell the listeners, then move the hub's cursor. */
export function incomingWritten(
  state: WalletState,
  purpose: Extract<WritePurpose, { kind: 'incoming' }>,
  out: Out,
): WalletState {
  emit(out, 'payment', purpose.payment);
  if (isAuthenticated(state)) out.push({ type: 'send', message: { type: 'ack', seq: purpose.payment.inboxSeq } });
  return state;
}

/**
 * Holding an incoming payment failed: the store is failing. The inbox seq goes back so the
 * replay after the reconnect brings it again; the failure is reported.
 */
export function incomingWriteFailed(
  state: WalletState,
  purpose: Extract<WritePurpose, { kind: 'incoming' }>,
  error: unknown,
  out: Out,
): WalletState {
  emit(out, 'error', error as Error);
  const seq = Math.min(state.inbox.seq, purpose.payment.inboxSeq - 1);
  out.push({ type: 'disconnect', code: 1000, reason: 'storing an incoming payment failed' });
  return { ...state, inbox: { seq } };
}

/** A peer payment, once the session is ready: ask the hub for the payee's invoice. */
export function startPeerPayment(state: WalletState, call: PeerPaymentCall, nowMs: number, out: Out): WalletState {
  const channel = state.channel;
  if (channel === undefined) {
    out.push({ type: 'reject', call: call.call, error: new WalletError('NO_CHANNEL', 'open a channel first') });
    return state;
  }
  const id = state.requests.nextId;
  const next = issueRequest(state, out, {
    type: 'invoice',
    payee: call.payee,
    asset: channel.asset,
    amount: call.amount,
    memo: call.memo,
    reveal: call.reveal,
    ...(call.request === undefined ? {} : { request: call.request }),
  });
  const peerCalls = new Map(next.peerCalls);
  peerCalls.set(id, { call: call.call, startedAtMs: nowMs });
  return { ...next, peerCalls };
}

function takePeerCall(
  state: WalletState,
  id: number,
): { state: WalletState; call: { readonly call: number; readonly startedAtMs: number } | undefined } {
  const call = state.peerCalls.get(id);
  if (call === undefined) return { state, call };
  const peerCalls = new Map(state.peerCalls);
  peerCalls.delete(id);
  return { state: { ...state, peerCalls }, call };
}

/**
 * The hub's invoice for a peer payment: checked against what was asked (a hub cannot
 * change the payee, asset or amount), then paid like any payment request.
 */
export function invoiceAnswered(
  state: WalletState,
  asked: { readonly payee: Uint8Array; readonly amount: bigint; readonly asset: { code: string; scale: number } },
  message: HubMessageOf<'invoiced'>,
  nowMs: number,
  out: Out,
): WalletState {
  const taken = takePeerCall(state, message.id);
  const domain = taken.state.domain;
  if (taken.call === undefined || domain === undefined) return taken.state;
  if (
    toHex(message.payee) !== toHex(asked.payee) ||
    message.amount !== asked.amount ||
    message.asset.code !== asked.asset.code ||
    message.asset.scale !== asked.asset.scale
  ) {
    out.push({
      type: 'reject',
      call: taken.call.call,
      error: new WalletError('UNTRUSTED_STATE', 'the hub answered with an invoice for another payee or amount'),
    });
    return taken.state;
  }
  const request: PaymentRequest = {
    networkId: domain.networkId,
    hubId: domain.hubId,
    payee: message.payee,
    invoiceId: message.invoiceId,
    asset: message.asset,
    amount: message.amount,
    expiresAtMs: message.expiresAtMs,
    resource: message.resource,
    mac: message.mac,
  };
  return admitPayment(taken.state, taken.call.call, request, undefined, nowMs, out, taken.call.startedAtMs);
}

/** A peer payment's invoice was refused (unknown payee, bad asset) or the session ended: its call fails. */
export function peerRequestFailed(state: WalletState, id: number, error: Error, out: Out): WalletState {
  const taken = takePeerCall(state, id);
  if (taken.call !== undefined) out.push({ type: 'reject', call: taken.call.call, error });
  return taken.state;
}

/**
 * Spend what was received (ADR 0242), once ready and with a channel: ask the hub to move
 * the amount into this key's payer account; the answer tops the channel up with it.
 */
export function startSpend(
  state: WalletState,
  call: { readonly call: number; readonly amount: bigint; readonly ref: Uint8Array },
  out: Out,
): WalletState {
  const channel = state.channel;
  if (channel === undefined || channel.status !== 'open') {
    out.push({
      type: 'reject',
      call: call.call,
      error: new WalletError('NO_CHANNEL', 'spending needs an open channel'),
    });
    return state;
  }
  const id = state.requests.nextId;
  const next = issueRequest(state, out, { type: 'spend', ref: call.ref, asset: channel.asset, amount: call.amount });
  const spendCalls = new Map(next.spendCalls);
  spendCalls.set(id, call.call);
  return { ...next, spendCalls };
}

/** The hub moved the funds: the call goes on as a top-up of the channel by that amount. */
export function spentAnswered(state: WalletState, id: number, amount: bigint, out: Out): WalletState {
  const call = state.spendCalls.get(id);
  if (call === undefined) return state;
  const spendCalls = new Map(state.spendCalls);
  spendCalls.delete(id);
  return queueTopUp({ ...state, spendCalls }, call, amount, out);
}

/** The hub refused the move (nothing received to spend, over the operator's limit) or the session ended. */
export function spendFailed(state: WalletState, id: number, error: Error, out: Out): WalletState {
  const call = state.spendCalls.get(id);
  if (call === undefined) return state;
  const spendCalls = new Map(state.spendCalls);
  spendCalls.delete(id);
  out.push({ type: 'reject', call, error });
  return { ...state, spendCalls };
}
