/**
 * Resync: reconciling with a state the hub reports (protocol's `reconcile`). A hub state
 * ahead of this wallet is adopted only if this wallet signed it; the receipts of the
 * payments it covers are then recovered from the hub's log, and the rest are signed again
 * (or fail, when the caller says so). ADR 0204, protocol 8.1.
 */
import { equalBytes, toHex } from '../bytes.js';
import { reconcile } from '../channel/client.js';
import { asError } from '../errors.js';
import { logVouchersPerPageMax } from '../limits.js';
import { invoiceMapKey } from '../mapKey.js';
import type { ChannelState, HubMessageOf } from '../messages.js';
import { emit, type Out, receiptOf, report, sendVoucher, withChannel, writeRecord } from './base.js';
import { completeClose } from './lifecycle.js';
import { failPayment, livePayments, requeuePayments, settlePayment, unspend } from './payments.js';
import type { HistoryRecord } from './records.js';
import { issueRequest } from './requests.js';
import { WalletError } from './walletErrors.js';
import { recoveryLogPagesMax } from './walletLimits.js';
import { clientChannelOf, pointOfState, type Recovery, signedPoint, type WalletState } from './walletState.js';

/** How a resync goes on. */
export interface ResyncOptions {
  /** Resend the pending vouchers when the hub's state is kept (after a reconnect). */
  readonly resend: boolean;
  /** Payments (signed, not answered) whose receipts to look for if the hub's state is adopted. */
  readonly orphans: readonly number[];
  /** Payments not found in the log fail with this (else they are signed again). */
  readonly failRest?: Error;
  /** What waits for the recovery. */
  readonly after: Recovery['after'];
}

/**
 * Reconciles with `hubState`. Adopted: pending vouchers are dropped, the adoption is written
 * and a recovery follows (`adopted: true`). Kept (in sync, hub behind, untrusted): the
 * deposit may rise, a closed channel is completed, the pending vouchers resent if asked.
 */
export function resyncWith(
  state: WalletState,
  hubState: ChannelState,
  options: ResyncOptions,
  out: Out,
): { state: WalletState; adopted: boolean } {
  const { channel, domain } = state;
  if (channel === undefined || domain === undefined) return { state, adopted: false };
  const result = reconcile(domain, clientChannelOf(channel), hubState, state.config.clientKey, state.config.verifier);
  if (result.kind === 'untrusted') {
    emit(out, 'error', new WalletError('UNTRUSTED_STATE', `the hub's state is not trusted: ${result.reason}`));
    return { state, adopted: false };
  }
  if (result.kind !== 'adopt') {
    let next = withChannel(state, { ...channel, deposit: result.channel.deposit });
    if (hubState.status === 'closed' && channel.status !== 'closed') next = completeClose(next, hubState, out).state;
    if (options.resend) for (const voucher of next.channel?.pending ?? []) next = sendVoucher(next, out, voucher);
    return { state: next, adopted: false };
  }
  const from = signedPoint(channel).seq;
  const dead = channel.pending;
  const jobs = new Map<string, number>();
  for (const id of [...options.orphans, ...dead.flatMap((v) => livePayments(state, v.payments))]) {
    const payment = state.payments.byId.get(id);
    if (payment !== undefined) jobs.set(payment.invoiceKey, id);
  }
  let next = unspend(state, dead);
  // What the hub holds beyond the acknowledged state was spent by this wallet (it signed it):
  // count it in the policy's total (per-payee counters cannot be rebuilt without the log).
  const ackedCumulative = channel.acked.cumulative;
  if (result.channel.cumulative > ackedCumulative) {
    next = { ...next, spent: { ...next.spent, total: next.spent.total + result.channel.cumulative - ackedCumulative } };
  }
  next = withChannel(next, {
    ...channel,
    deposit: result.channel.deposit,
    acked: pointOfState(hubState),
    pending: [],
    resend: new Set(),
  });
  const recovery: Recovery = {
    channelId: channel.channelId,
    asset: channel.asset,
    // From the oldest voucher not acknowledged (one whose receipts were lost may be older than `acked`).
    nextSeq: Math.max(1, Math.min(channel.acked.seq + 1, dead[0]?.seq ?? Number.MAX_SAFE_INTEGER)),
    toSeq: hubState.seq,
    pages: 0,
    jobs,
    ...(options.failRest === undefined ? {} : { failRest: options.failRest }),
    from,
    after: options.after,
    reading: false,
  };
  writeRecord(next, out, { kind: 'adopted', recovery }, { removePending: dead.map((v) => v.seq) });
  return { state: next, adopted: true };
}

/** The adoption is written: queue its recovery (recoveries run one at a time). */
export function adoptionWritten(
  state: WalletState,
  recovery: Recovery,
  out: Out,
): { state: WalletState; finished: Recovery[] } {
  return advanceRecovery({ ...state, recoveries: [...state.recoveries, recovery] }, out);
}

/** Writing the adoption failed: report it; the payments are not looked for (signed again, or failed). */
export function adoptionWriteFailed(
  state: WalletState,
  recovery: Recovery,
  error: unknown,
  out: Out,
): { state: WalletState; finished: Recovery[] } {
  emit(out, 'error', asError(error));
  return { state: finishRecovery(state, recovery, out), finished: [recovery] };
}

/** Reads the next log page of the recovery at the head, or finishes it. */
function advanceRecovery(start: WalletState, out: Out): { state: WalletState; finished: Recovery[] } {
  let state = start;
  const finished: Recovery[] = [];
  for (;;) {
    const [head, ...rest] = state.recoveries;
    if (head === undefined || head.reading) return { state, finished };
    const channel = state.channel;
    if (
      channel === undefined ||
      head.jobs.size === 0 ||
      head.pages >= recoveryLogPagesMax ||
      head.nextSeq > head.toSeq
    ) {
      state = finishRecovery({ ...state, recoveries: rest }, head, out);
      finished.push(head);
      continue;
    }
    state = issueRequest(state, out, {
      type: 'log',
      channelId: head.channelId,
      fromSeq: head.nextSeq,
      limit: logVouchersPerPageMax,
    });
    return { state: { ...state, recoveries: [{ ...head, reading: true }, ...rest] }, finished };
  }
}

/** A log page: the payments it holds get their receipts. */
export function logPageAnswered(
  state: WalletState,
  page: HubMessageOf<'logPage'>,
  nowMs: number,
  out: Out,
): { state: WalletState; finished: Recovery[] } {
  const [head, ...rest] = state.recoveries;
  if (head === undefined || !head.reading || !equalBytes(page.channelId, head.channelId))
    return { state, finished: [] };
  let next = state;
  const jobs = new Map(head.jobs);
  let nextSeq = head.nextSeq;
  const history: HistoryRecord[] = [];
  const channelHex = toHex(head.channelId);
  for (const voucher of page.vouchers) {
    voucher.entries.forEach((entry, i) => {
      const key = invoiceMapKey(entry.payee, entry.invoiceId);
      const id = jobs.get(key);
      const mac = voucher.macs[i];
      if (id === undefined || mac === undefined) return;
      jobs.delete(key);
      const receipt = receiptOf(next, voucher.seq, entry, mac, head);
      history.push({
        channelId: channelHex,
        seq: voucher.seq,
        payee: toHex(entry.payee),
        invoiceId: toHex(entry.invoiceId),
        amount: entry.amount.toString(),
        mac: toHex(mac),
        atMs: nowMs,
      });
      next = settlePayment(next, id, receipt, out);
      emit(out, 'receipt', receipt);
    });
    nextSeq = voucher.seq + 1;
  }
  if (history.length > 0) out.push({ type: 'stage', change: { addHistory: history } });
  const updated: Recovery = { ...head, jobs, nextSeq, pages: head.pages + 1, reading: false };
  if (!page.more || page.vouchers.length === 0) {
    return { state: finishRecovery({ ...next, recoveries: rest }, updated, out), finished: [updated] };
  }
  return advanceRecovery({ ...next, recoveries: [updated, ...rest] }, out);
}

/** A log request failed: the recovery ends with what it found. */
export function logFailed(state: WalletState, error: unknown, out: Out): { state: WalletState; finished: Recovery[] } {
  const [head, ...rest] = state.recoveries;
  if (head === undefined) return { state, finished: [] };
  report(out, error);
  const next = finishRecovery({ ...state, recoveries: rest }, head, out);
  const more = advanceRecovery(next, out);
  return { state: more.state, finished: [head, ...more.finished] };
}

/** The payments not found are signed again (or fail); the listeners hear of the resync. */
function finishRecovery(state: WalletState, recovery: Recovery, out: Out): WalletState {
  let next = state;
  const remaining = [...recovery.jobs.values()];
  if (recovery.failRest === undefined) next = requeuePayments(next, remaining, out);
  else for (const id of remaining) next = failPayment(next, id, recovery.failRest, out);
  emit(out, 'resynced', { from: recovery.from, to: next.channel === undefined ? 0 : signedPoint(next.channel).seq });
  return next;
}
