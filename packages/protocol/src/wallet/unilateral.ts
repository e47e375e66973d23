/**
 * Unilateral closes and what the hub tells about a channel unasked: a forced close with
 * the wallet's latest acknowledged state (recorded on the ledger, settled when its
 * challenge window ends, whatever the hub does), and the hub's `closing` and `closed`
 * notices (a close recorded or answered; the channel finalized, at expiry for one).
 */
import { equalBytes } from '../bytes.js';
import type { Signature } from '../ids.js';
import type { HubMessageOf } from '../messages.js';
import { voucherSigningBytes } from '../voucher.js';
import { emit, type Out, report, withChannel, writeRecord } from './base.js';
import { completeClose, drained } from './lifecycle.js';
import { failQueued } from './payments.js';
import type { Point } from './records.js';
import { hasRequest, issueRequest } from './requests.js';
import { WalletError } from './walletErrors.js';
import type { ForceCloseRun, WalletState } from './walletState.js';

function withRun(state: WalletState, forceClose: ForceCloseRun | undefined): WalletState {
  return { ...state, calls: { ...state.calls, forceClose } };
}

/** A forceClose call, once ready: joins the one in progress, or starts one (it waits until every payment is answered). */
export function requestForceClose(state: WalletState, call: number, out: Out): WalletState {
  const channel = state.channel;
  if (channel === undefined) {
    out.push({ type: 'reject', call, error: new WalletError('NO_CHANNEL', 'open a channel first') });
    return state;
  }
  if (channel.status === 'closed') {
    out.push({ type: 'reject', call, error: new WalletError('CHANNEL_CLOSED', 'the channel is closed already') });
    return state;
  }
  const run = state.calls.forceClose;
  return withRun(
    state,
    run === undefined ? { calls: [call], stage: 'draining' } : { ...run, calls: [...run.calls, call] },
  );
}

/** Once drained, signs the acknowledged state again (nothing to sign at seq 0) and marks the channel closing. */
export function advanceForceClose(state: WalletState, out: Out): WalletState {
  const run = state.calls.forceClose;
  if (run?.stage !== 'draining' || !drained(state)) return state;
  const channel = state.channel;
  const domain = state.domain;
  if (channel === undefined || domain === undefined)
    return failForceClose(state, new WalletError('NO_CHANNEL', 'open a channel first'), out);
  const point = channel.acked;
  if (point.seq === 0) return markClosing(withRun(state, { ...run, stage: 'signing', point }), out);
  out.push({
    type: 'sign',
    purpose: { kind: 'forceClose', point },
    message: voucherSigningBytes(domain, { channelId: channel.channelId, ...point }),
  });
  return withRun(state, { ...run, stage: 'signing', point });
}

/** The acknowledged state is signed again. */
export function forceCloseSigned(state: WalletState, point: Point, signature: Signature, out: Out): WalletState {
  const run = state.calls.forceClose;
  if (run?.stage !== 'signing') return state;
  return markClosing(withRun(state, { ...run, point, signature }), out);
}

/** Payments stop: the channel is marked closing (written first), then the forced close is sent. */
function markClosing(state: WalletState, out: Out): WalletState {
  const run = state.calls.forceClose;
  const channel = state.channel;
  if (run === undefined || channel === undefined) return state;
  if (channel.status === 'closing' || channel.status === 'closed') return sendForceClose(state, out);
  const next = withRun(withChannel(state, { ...channel, status: 'closing' }), { ...run, stage: 'writing' });
  writeRecord(next, out, { kind: 'forceClosing' });
  return next;
}

/** The closing channel is written: what is queued fails, and the forced close goes out. */
export function forceClosingWritten(state: WalletState, out: Out): WalletState {
  const run = state.calls.forceClose;
  if (run?.stage !== 'writing') return state;
  return sendForceClose(failQueued(state, new WalletError('CHANNEL_CLOSED', 'the channel is closing'), out), out);
}

function sendForceClose(state: WalletState, out: Out): WalletState {
  const run = state.calls.forceClose;
  const channel = state.channel;
  const point = run?.point;
  if (run === undefined || channel === undefined || point === undefined) return state;
  const next = withRun(state, { ...run, stage: 'requesting' });
  if (hasRequest(next, 'forceClose')) return next;
  return issueRequest(next, out, {
    type: 'forceClose',
    channelId: channel.channelId,
    seq: point.seq,
    cumulative: point.cumulative,
    logHead: point.logHead,
    ...(run.signature === undefined ? {} : { signature: run.signature }),
  });
}

/** The hub recorded the forced close: tell the listeners and answer every call. */
export function forceCloseAnswered(state: WalletState, message: HubMessageOf<'closing'>, out: Out): WalletState {
  emit(out, 'closing', { channelId: message.channelId, close: message.close, state: message.state });
  const run = state.calls.forceClose;
  for (const call of run?.calls ?? []) {
    out.push({ type: 'resolve', call, value: { close: message.close, state: message.state } });
  }
  return withRun(state, undefined);
}

/** Fails every call waiting on the forced close. */
export function failForceClose(state: WalletState, error: unknown, out: Out): WalletState {
  const run = state.calls.forceClose;
  if (run === undefined) return state;
  for (const call of run.calls) out.push({ type: 'reject', call, error });
  if (run.calls.length === 0) report(out, error);
  return withRun(state, undefined);
}

/** A `closing` or `closed` the hub sent unasked, about this wallet's channel. */
export function onNotice(
  state: WalletState,
  message: HubMessageOf<'closing'> | HubMessageOf<'closed'>,
  out: Out,
): WalletState {
  const channel = state.channel;
  if (channel === undefined || !equalBytes(channel.channelId, message.channelId)) return state;
  if (message.type === 'closed') {
    if (channel.status === 'closed') return state;
    return completeClose(state, message.state, out, message.refund).state;
  }
  if (channel.status === 'closing' || channel.status === 'closed') {
    emit(out, 'closing', { channelId: message.channelId, close: message.close, state: message.state });
    return state;
  }
  const next = withChannel(state, { ...channel, status: 'closing' });
  writeRecord(next, out, { kind: 'noticeClosing', notice: message });
  return next;
}

/** The channel marked closing after a notice is written: what is queued fails, the listeners hear. */
export function noticeClosingWritten(state: WalletState, notice: HubMessageOf<'closing'>, out: Out): WalletState {
  const next = failQueued(state, new WalletError('CHANNEL_CLOSED', 'the channel is closing'), out);
  emit(out, 'closing', { channelId: notice.channelId, close: notice.close, state: notice.state });
  return next;
}
