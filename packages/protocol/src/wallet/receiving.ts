/**
 * Peer-to-peer payments in the wallet's machine (ADR 0240): receiving (register as a
 * payee, take each incoming payment once and in order, hold it durably, then tell the
 * listeners and acknowledge it to the hub) and paying another wallet by its payee id (ask
 * the hub for the invoice, then pay it like any payment request).
 */
import { fromHex, toHex } from '../bytes.js';
import { asError } from '../errors.js';
import { asChannelId, asInvoiceId, asMac, asPayeeId, payeeIdFromKey } from '../ids.js';
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
import type { IncomingPayment, PaymentsCleared } from './walletTypes.js';

/** Once ready: a receiving wallet asks for what arrived after the inbox seq it holds (the hub registers it). */
export function startReceiving(state: WalletState, out: Out): WalletState {
  if (state.config.receive !== true || !isReady(state) || hasRequest(state, 'receive')) return state;
  return issueRequest(state, out, { type: 'receive', after: state.inbox.seq });
}

/**
 * Whether an inbox item with seq `seq` is the next one to take: a repeat (replayed after a
 * reconnect) is dropped; a gap means frames were lost: reconnect, and the hub replays from
 * the cursor. A stopped wallet takes nothing (the store is closing, and the wallet started
 * next on it must not miss what this one told its listeners): the hub replays it.
 */
function takesInboxSeq(state: WalletState, seq: number, out: Out): boolean {
  if (state.config.receive !== true || state.domain === undefined || state.stopped) return false;
  if (seq <= state.inbox.seq) return false;
  if (seq !== state.inbox.seq + 1) {
    out.push({ type: 'disconnect', code: 1002, reason: 'inbox items out of order' });
    return false;
  }
  return true;
}

/**
 * An incoming payment. The next one in order is held durably first (the inbox seq in the
 * record, the payment in the history, one write); see {@link takesInboxSeq} for the others.
 */
export function onIncoming(
  state: WalletState,
  message: HubMessageOf<'incoming'>,
  nowMs: number,
  out: Out,
): WalletState {
  if (!takesInboxSeq(state, message.seq, out)) return state;
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

/**
 * A clearing notice (ADR 0243): payments this wallet received were settled on the ledger.
 * Taken in inbox order as a payment is, and held durably the same way (the inbox seq in
 * the record, the notice in the history, one write).
 */
export function onCleared(state: WalletState, message: HubMessageOf<'cleared'>, nowMs: number, out: Out): WalletState {
  if (!takesInboxSeq(state, message.seq, out)) return state;
  const cleared: PaymentsCleared = {
    inboxSeq: message.seq,
    channelId: message.channelId,
    afterVoucherSeq: message.afterVoucherSeq,
    throughVoucherSeq: message.throughVoucherSeq,
    asset: message.asset,
    payments: message.payments,
    amount: message.amount,
    clearedAtMs: message.timeMs,
  };
  const record: HistoryRecord = {
    channelId: toHex(message.channelId),
    seq: message.throughVoucherSeq,
    payee: toHex(payeeIdFromKey(state.config.clientKey)),
    invoiceId: '',
    amount: message.amount.toString(),
    mac: '',
    atMs: nowMs,
    clearing: {
      inboxSeq: message.seq,
      afterVoucherSeq: message.afterVoucherSeq,
      payments: message.payments,
      asset: message.asset,
      clearedAtMs: message.timeMs,
    },
  };
  const next: WalletState = { ...state, inbox: { seq: message.seq } };
  writeRecord(next, out, { kind: 'cleared', cleared }, { addHistory: [record] });
  return next;
}

/** An inbox item is durable: tell the listeners, then move the hub's cursor. */
export function inboxItemWritten(
  state: WalletState,
  purpose: Extract<WritePurpose, { kind: 'incoming' | 'cleared' }>,
  out: Out,
): WalletState {
  const seq = purpose.kind === 'incoming' ? purpose.payment.inboxSeq : purpose.cleared.inboxSeq;
  if (purpose.kind === 'incoming') emit(out, 'payment', purpose.payment);
  else emit(out, 'cleared', purpose.cleared);
  if (isAuthenticated(state)) out.push({ type: 'send', message: { type: 'ack', seq } });
  return state;
}

/**
 * Holding an inbox item failed: the store is failing. The inbox seq goes back so the
 * replay after the reconnect brings it again; the failure is reported.
 */
export function inboxItemWriteFailed(
  state: WalletState,
  purpose: Extract<WritePurpose, { kind: 'incoming' | 'cleared' }>,
  error: unknown,
  out: Out,
): WalletState {
  emit(out, 'error', asError(error));
  const item = purpose.kind === 'incoming' ? purpose.payment.inboxSeq : purpose.cleared.inboxSeq;
  const seq = Math.min(state.inbox.seq, item - 1);
  out.push({ type: 'disconnect', code: 1000, reason: 'storing an incoming payment failed' });
  return { ...state, inbox: { seq } };
}

/**
 * The payments a wallet received, from its stored history (oldest first), each with its
 * clearing time once a clearing notice covers it: the notice of its payer's channel whose
 * voucher range holds its voucher (ADR 0243). One pass to index the notices by channel,
 * one to read the payments: linear in the history, which the store bounds.
 *
 * @example
 * ```ts
 * import { receivedPayments, type HistoryRecord } from '@trickle/protocol';
 * declare const history: readonly HistoryRecord[]; // what a wallet store holds
 * for (const p of receivedPayments(history)) console.log(p.inboxSeq, p.amount, p.clearingMs ?? 'not cleared yet');
 * ```
 */
export function receivedPayments(history: readonly HistoryRecord[]): IncomingPayment[] {
  const notices = new Map<string, { after: number; through: number; atMs: number }[]>();
  for (const record of history) {
    const clearing = record.clearing;
    if (clearing === undefined) continue;
    const list = notices.get(record.channelId) ?? [];
    notices.set(record.channelId, list);
    list.push({ after: clearing.afterVoucherSeq, through: record.seq, atMs: clearing.clearedAtMs });
  }
  const out: IncomingPayment[] = [];
  for (const record of history) {
    const received = record.received;
    if (received === undefined) continue;
    // Notices of one channel cover disjoint voucher ranges; the first that holds it settled it.
    const clearedAtMs = notices
      .get(record.channelId)
      ?.find((n) => n.after < record.seq && record.seq <= n.through)?.atMs;
    out.push({
      inboxSeq: received.inboxSeq,
      amount: BigInt(record.amount),
      asset: received.asset,
      memo: received.memo,
      ...(received.from === undefined ? {} : { from: asPayeeId(fromHex(received.from, 32)) }),
      channelId: asChannelId(fromHex(record.channelId, 32)),
      voucherSeq: record.seq,
      invoiceId: asInvoiceId(fromHex(record.invoiceId, 16)),
      mac: asMac(fromHex(record.mac, 32)),
      paidAtMs: received.paidAtMs,
      receivedAtMs: record.atMs,
      ...(clearedAtMs === undefined ? {} : { clearedAtMs, clearingMs: Math.max(0, clearedAtMs - received.paidAtMs) }),
    });
  }
  return out;
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
