/**
 * The hub's answers to vouchers. Replies are matched to vouchers by seq in send order,
 * per connection. Receipts settle a voucher's payments; a retryable refusal resends it
 * after a pause; a final one drops it and every voucher chained on it, and their payments
 * are signed again or fail (ADR 0204).
 */
import { equalBytes, toHex } from '../bytes.js';
import { present } from '../errors.js';
import type { ChannelState, HubMessageOf } from '../messages.js';
import type { Receipt } from '../receipt.js';
import { type RejectCode, RejectError, rejectCodes } from '../rejects.js';
import {
  balanceLowThreshold,
  emit,
  isReady,
  type Out,
  receiptOf,
  sendVoucher,
  takeSent,
  withChannel,
  writeRecord,
} from './base.js';
import {
  failPayment,
  failQueued,
  livePayments,
  markSolo,
  requeuePayments,
  settlePayments,
  unspend,
} from './payments.js';
import type { KillFollowUp } from './purposes.js';
import type { HistoryRecord } from './records.js';
import { resyncWith } from './resync.js';
import { resendDelayMs } from './walletLimits.js';
import { type LiveVoucher, signedPoint, type WalletState, walletRecordOf } from './walletState.js';

/** Refusals of one entry: that payment fails alone. */
const entryCodes = new Set<RejectCode>([
  'INVOICE_EXPIRED',
  'INVOICE_ALREADY_PAID',
  'UNKNOWN_PAYEE',
  'REQUEST_INVALID',
  'EMPTY_VOUCHER',
]);
/** Refusals that mean this wallet's view of the hub's state is wrong: resync. */
const divergenceCodes = new Set<RejectCode>([
  'STALE_VOUCHER',
  'LOG_HEAD_MISMATCH',
  'CUMULATIVE_MISMATCH',
  'EXCEEDS_DEPOSIT',
]);

/** A `receipts` frame: the voucher it answers is acknowledged and its payments get their receipts. */
export function onReceipts(
  state: WalletState,
  message: HubMessageOf<'receipts'>,
  nowMs: number,
  out: Out,
): WalletState {
  const channel = state.channel;
  if (channel === undefined) return state;
  const taken = takeSent(channel, message.seq);
  const afterTake = withChannel(state, taken.channel);
  // A voucher sent twice (resent while its first copy was in flight) is answered twice: settle it once.
  const at = taken.channel.pending.findIndex((v) => v.serial === taken.serial);
  if (taken.serial === undefined || at === -1 || !equalBytes(message.channelId, channel.channelId)) return afterTake;
  const voucher = present(taken.channel.pending[at], 'the pending voucher found at its index');
  if (message.macs.length !== voucher.entries.length) {
    out.push({ type: 'disconnect', code: 1000, reason: 'receipt count mismatch' });
    return afterTake;
  }
  const pending = at === 0 ? taken.channel.pending.slice(1) : taken.channel.pending.filter((_, i) => i !== at);
  const acked = voucher.seq > taken.channel.acked.seq ? voucher : taken.channel.acked;
  let resend = taken.channel.resend;
  if (resend.has(voucher.serial)) {
    const rest = new Set(resend);
    rest.delete(voucher.serial);
    resend = rest;
  }
  let next = withChannel(afterTake, {
    ...taken.channel,
    pending,
    resend,
    acked: { seq: acked.seq, cumulative: acked.cumulative, logHead: acked.logHead },
  });
  const records: HistoryRecord[] = new Array(voucher.entries.length);
  const receipts: Receipt[] = new Array(voucher.entries.length);
  // The hex of the last payee seen: most entries pay the same few merchants.
  let lastPayee: Uint8Array | undefined;
  let lastPayeeHex = '';
  for (let i = 0; i < voucher.entries.length; i++) {
    const entry = present(voucher.entries[i], 'an entry per index');
    const mac = present(message.macs[i], 'a MAC per entry (the counts were compared above)');
    receipts[i] = receiptOf(next, voucher.seq, entry, mac);
    if (lastPayee === undefined || !equalBytes(lastPayee, entry.payee)) {
      lastPayee = entry.payee;
      lastPayeeHex = toHex(entry.payee);
    }
    const paymentId = voucher.payments[i];
    const startedAtMs = paymentId === undefined ? undefined : state.payments.byId.get(paymentId)?.startedAtMs;
    records[i] = {
      channelId: channel.idHex,
      seq: voucher.seq,
      payee: lastPayeeHex,
      invoiceId: toHex(entry.invoiceId),
      amount: entry.amount.toString(),
      mac: toHex(mac),
      atMs: nowMs,
      ...(startedAtMs === undefined ? {} : { paymentMs: nowMs - startedAtMs }),
    };
  }
  out.push({
    type: 'stage',
    change: { record: walletRecordOf(next), removePending: [voucher.seq], addHistory: records },
  });
  next = settlePayments(next, voucher.payments, receipts, out);
  for (const receipt of receipts) emit(out, 'receipt', receipt);
  return checkBalanceLow(next, out);
}

/** `balanceLow` fires once when the available balance falls below the threshold, and again only after it rose above. */
function checkBalanceLow(state: WalletState, out: Out): WalletState {
  const channel = state.channel;
  if (channel === undefined) return state;
  const threshold = balanceLowThreshold(state.config, channel.deposit);
  const available = channel.deposit - signedPoint(channel).cumulative;
  if (available < threshold && !state.balanceLowFired) {
    emit(out, 'balanceLow', { available, threshold });
    return { ...state, balanceLowFired: true };
  }
  if (available >= threshold && state.balanceLowFired) return { ...state, balanceLowFired: false };
  return state;
}

/** A `reject` of a `pay` frame: retryable ones are resent after a pause; final ones drop the voucher. */
export function onPayReject(state: WalletState, message: HubMessageOf<'reject'>, out: Out): WalletState {
  const channel = state.channel;
  if (channel === undefined) return state;
  const seq = message.seq ?? (message.id === undefined ? undefined : channel.sentSeqById.get(message.id));
  if (seq === undefined) return state;
  const taken = takeSent(channel, seq, message.id);
  const next = withChannel(state, taken.channel);
  const voucher = taken.channel.pending.find((v) => v.serial === taken.serial);
  if (taken.serial === undefined || voucher === undefined) return next;
  if (rejectCodes[message.code].retry) {
    const resend = new Set(taken.channel.resend);
    resend.add(voucher.serial);
    // A gap: the hub lacks an earlier voucher (refused for a while, or its answer lost). Resend
    // every unacknowledged one before it too, in order, or this one would be refused for ever.
    if (message.code === 'SEQ_GAP') {
      for (const v of taken.channel.pending)
        if (v.seq < voucher.seq && v.seq > taken.channel.acked.seq) resend.add(v.serial);
    }
    const marked = withChannel(next, { ...taken.channel, resend });
    if (marked.resendArmed) return marked;
    out.push({ type: 'setTimer', timer: 'resend', delayMs: resendDelayMs });
    return { ...marked, resendArmed: true };
  }
  return dropFrom(next, voucher, message.code, message.message, message.state, message.entry, out);
}

/** The resend timer fired: resend what the hub asked to retry (when ready). */
export function resendTimerFired(state: WalletState, out: Out): WalletState {
  let next: WalletState = { ...state, resendArmed: false };
  const channel = next.channel;
  if (!isReady(next) || channel === undefined || channel.resend.size === 0) return next;
  const wanted = channel.resend;
  next = withChannel(next, { ...channel, resend: new Set() });
  for (const voucher of channel.pending) if (wanted.has(voucher.serial)) next = sendVoucher(next, out, voucher);
  return next;
}

/**
 * A voucher was refused for good: it and every voucher chained on it are dropped; their
 * payments fail or are signed again once the change is written (see {@link afterDrop}).
 */
function dropFrom(
  state: WalletState,
  voucher: LiveVoucher,
  code: RejectCode,
  text: string,
  hubState: ChannelState | undefined,
  entry: number | undefined,
  out: Out,
): WalletState {
  const channel = state.channel;
  if (channel === undefined) return state;
  const from = signedPoint(channel).seq;
  const dead = channel.pending.filter((v) => v.seq >= voucher.seq);
  const resend = new Set([...channel.resend].filter((serial) => !dead.some((v) => v.serial === serial)));
  let next = unspend(
    withChannel(state, { ...channel, pending: channel.pending.filter((v) => v.seq < voucher.seq), resend }),
    dead,
  );
  const error = new RejectError(code, text);
  const heldByHub =
    (code === 'CHANNEL_CLOSED' || code === 'CHANNEL_EXPIRED') && hubState !== undefined && hubState.seq >= voucher.seq;
  const [first, ...rest] = dead;
  const firstJobs = first === undefined ? [] : livePayments(next, first.payments);
  const restJobs = rest.flatMap((v) => livePayments(next, v.payments));
  let again: number[] = restJobs;
  const bad = entry === undefined ? undefined : first?.payments[entry];
  const badLive = bad !== undefined && next.payments.byId.has(bad) ? bad : undefined;
  if (entryCodes.has(code) && badLive !== undefined) {
    // The hub named the entry: fail that payment alone, sign the others again.
    next = failPayment(next, badLive, error, out);
    again = [...firstJobs.filter((id) => id !== badLive), ...restJobs];
  } else if (entryCodes.has(code)) {
    // Without an index (an older hub, or a payment nobody waits on): find it by paying one by one.
    if (firstJobs.length === 1) next = failPayment(next, firstJobs[0] as number, error, out);
    else {
      next = markSolo(next, firstJobs);
      again = [...firstJobs, ...restJobs];
    }
  } else if (divergenceCodes.has(code)) {
    again = [...firstJobs, ...restJobs];
  } else if (heldByHub) {
    // The hub refuses by the channel's status before it looks for a duplicate (protocol 10.2),
    // yet its state shows it holds this seq: a voucher it accepted before its receipts were lost.
    // Never roll back below that state: adopt it and take the receipts from the log.
    again = [...firstJobs, ...restJobs];
    next = failQueued(next, error, out);
  } else {
    for (const id of [...firstJobs, ...restJobs]) next = failPayment(next, id, error, out);
    again = [];
    if (code === 'CHANNEL_CLOSED' || code === 'CHANNEL_EXPIRED' || code === 'UNKNOWN_CHANNEL') {
      next = failQueued(next, error, out);
    }
  }
  const followUp: KillFollowUp = {
    kind: heldByHub ? 'held' : divergenceCodes.has(code) ? 'diverged' : 'plain',
    again,
    hubState,
    error,
    from,
    dropped: dead.length,
  };
  writeRecord(next, out, { kind: 'killed', followUp }, { removePending: dead.map((v) => v.seq) });
  return next;
}

/** The dropped vouchers are written away: adopt the hub's state where it says so, then sign the rest again. */
export function afterDrop(state: WalletState, followUp: KillFollowUp, out: Out): WalletState {
  const { hubState, again, error } = followUp;
  if (followUp.kind === 'held' && hubState !== undefined) {
    // Payments the hub's log holds get their receipts; the others cannot be paid any more.
    const result = resyncWith(state, hubState, { resend: false, orphans: again, failRest: error, after: 'none' }, out);
    if (result.adopted) return result.state;
    let next = result.state;
    for (const id of again) next = failPayment(next, id, error, out);
    return next;
  }
  if (followUp.kind === 'diverged' && hubState !== undefined) {
    // Our view of the hub was wrong: adopt its state if we signed it, recover receipts, sign the rest again.
    const result = resyncWith(state, hubState, { resend: false, orphans: again, after: 'none' }, out);
    return result.adopted ? result.state : requeuePayments(result.state, again, out);
  }
  if (followUp.dropped > 0) {
    emit(out, 'resynced', {
      from: followUp.from,
      to: state.channel === undefined ? 0 : signedPoint(state.channel).seq,
    });
  }
  return requeuePayments(state, again, out);
}
