/**
 * The channel's lifecycle: open, top up, close. Each signs, writes what it signed, then
 * asks the hub; a half-done one (signed and saved, not answered) is finished after a
 * reconnect or a restart (session.ts resumes it). Top-ups run one at a time: each signs
 * the new total from the deposit the one before left (protocol 5.4).
 */
import { fromHex, toHex } from '../bytes.js';
import { closeSigningBytes, openSigningBytes, topUpSigningBytes } from '../channelRequests.js';
import { assert } from '../errors.js';
import { asLogHead, asSignature, channelIdOf, type Signature } from '../ids.js';
import { logGenesis } from '../log.js';
import type { ChannelState } from '../messages.js';
import { RejectError } from '../rejects.js';
import {
  balanceLowThreshold,
  balanceOf,
  emit,
  type Out,
  report,
  sessionEnded,
  withChannel,
  writeRecord,
} from './base.js';
import { failPayment, failQueued, livePayments, unspend } from './payments.js';
import type { SignPurpose } from './purposes.js';
import { type Point, pointToRecord } from './records.js';
import { hasRequest, issueRequest } from './requests.js';
import { WalletError } from './walletErrors.js';
import {
  type CloseRun,
  type Recovery,
  signedPoint,
  type TopUpStage,
  type TopUpTurn,
  type WaitingCall,
  type WalletChannel,
  type WalletState,
} from './walletState.js';
import type { CloseResult } from './walletTypes.js';

function withCalls(state: WalletState, calls: Partial<WalletState['calls']>): WalletState {
  return { ...state, calls: { ...state.calls, ...calls } };
}

/** Resolves `call` with the balance. */
function answerBalance(state: WalletState, call: number, out: Out): void {
  out.push({ type: 'resolve', call, value: balanceOf(state) });
}

// ---- open ---------------------------------------------------------------------------------

/** An openChannel call, once ready: signs the open request (nothing is saved or sent yet). */
export function startOpen(
  state: WalletState,
  call: Extract<WaitingCall, { type: 'openChannel' }>,
  nowMs: number,
  out: Out,
): WalletState {
  const channel = state.channel;
  if ((channel !== undefined && channel.status !== 'closed') || state.calls.open !== undefined) {
    const status = channel?.status ?? 'opening';
    out.push({
      type: 'reject',
      call: call.call,
      error: new WalletError('CHANNEL_EXISTS', `a channel is ${status} already`),
    });
    return state;
  }
  const domain = state.domain;
  assert(domain !== undefined, 'the hub is pinned once ready');
  const purpose = {
    kind: 'open',
    call: call.call,
    nonce: call.nonce,
    asset: call.asset,
    deposit: call.deposit,
    expiresAtMs: nowMs + call.lifetimeMs,
  } as const;
  let message: Uint8Array;
  try {
    message = openSigningBytes(domain, { ...purpose, clientKey: state.config.clientKey });
  } catch (error) {
    out.push({ type: 'reject', call: call.call, error });
    return state;
  }
  out.push({ type: 'sign', purpose, message });
  return withCalls(state, { open: { call: call.call, stage: 'signing' } });
}

/** The open request is signed: the channel is opening; write it before asking the hub. */
export function openSigned(
  state: WalletState,
  purpose: Extract<SignPurpose, { kind: 'open' }>,
  signature: Signature,
  out: Out,
): WalletState {
  const run = state.calls.open;
  const domain = state.domain;
  if (run?.call !== purpose.call || run.stage !== 'signing' || domain === undefined) return state;
  const channelId = channelIdOf(domain.hubId, state.config.clientKey, purpose.nonce);
  const genesis: Point = { seq: 0, cumulative: 0n, logHead: logGenesis(domain, channelId) };
  const channel: WalletChannel = {
    channelId,
    idHex: toHex(channelId),
    nonce: toHex(purpose.nonce),
    asset: purpose.asset,
    deposit: purpose.deposit,
    expiresAtMs: purpose.expiresAtMs,
    status: 'opening',
    openSignature: toHex(signature),
    acked: genesis,
    pending: [],
    sent: new Map(),
    sentSeqById: new Map(),
    resend: new Set(),
  };
  const next = withCalls(withChannel(state, channel), { open: { call: purpose.call, stage: 'writing' } });
  writeRecord(next, out, { kind: 'opening', call: purpose.call });
  return next;
}

/** A call's open failed before the hub was asked (the signer threw, the write failed). */
export function openFailed(state: WalletState, call: number, error: unknown, out: Out): WalletState {
  if (state.calls.open?.call !== call) return state;
  out.push({ type: 'reject', call, error });
  return withCalls(state, { open: undefined });
}

function openBody(channel: WalletChannel) {
  return {
    type: 'open',
    nonce: fromHex(channel.nonce, 16),
    asset: channel.asset,
    deposit: channel.deposit,
    expiresAtMs: channel.expiresAtMs,
    signature: asSignature(fromHex(channel.openSignature, 64)),
  } as const;
}

/** The opening channel is written: ask the hub. */
export function openingWritten(state: WalletState, call: number, out: Out): WalletState {
  const run = state.calls.open;
  const channel = state.channel;
  if (run?.call !== call || run.stage !== 'writing' || channel?.status !== 'opening') return state;
  return withCalls(issueRequest(state, out, openBody(channel)), { open: { call, stage: 'requesting' } });
}

/** Resume: an open signed by an earlier run (or connection) is asked again. */
export function resendOpen(state: WalletState, out: Out): WalletState {
  const channel = state.channel;
  if (channel?.status !== 'opening' || state.calls.open !== undefined) return state;
  return withCalls(issueRequest(state, out, openBody(channel)), { open: { call: undefined, stage: 'requesting' } });
}

/** The hub opened the channel: record it as open (the call is answered once that is written). */
export function openAnswered(state: WalletState, hubState: ChannelState, out: Out): WalletState {
  const run = state.calls.open;
  const channel = state.channel;
  if (channel?.status !== 'opening' || toHex(hubState.channelId) !== channel.idHex) {
    if (run?.call !== undefined) answerBalance(state, run.call, out);
    return withCalls(state, { open: undefined });
  }
  const next = withCalls(withChannel(state, { ...channel, status: 'open', deposit: hubState.deposit }), {
    open: { call: run?.call, stage: 'confirming' },
  });
  writeRecord(next, out, { kind: 'opened', call: run?.call });
  return next;
}

/** The open channel is written: answer the call. */
export function openedWritten(state: WalletState, call: number | undefined, out: Out): WalletState {
  if (call !== undefined) answerBalance(state, call, out);
  return withCalls(state, { open: undefined });
}

/** Writing the open channel failed. */
export function openedWriteFailed(state: WalletState, call: number | undefined, error: unknown, out: Out): WalletState {
  if (call !== undefined) out.push({ type: 'reject', call, error });
  else report(out, error);
  return withCalls(state, { open: undefined });
}

/** The open request failed: a final refusal abandons the channel; a stop only fails the call. */
export function openRefused(state: WalletState, error: unknown, out: Out): WalletState {
  const run = state.calls.open;
  let next = withCalls(state, { open: undefined });
  if (error instanceof RejectError && next.channel?.status === 'opening') {
    next = withChannel(next, undefined);
    writeRecord(next, out, { kind: 'quiet' });
  }
  if (run?.call !== undefined) out.push({ type: 'reject', call: run.call, error });
  else report(out, error);
  return next;
}

/** The error of an open aborted before it was signed. */
export function openAbortedError(reason: unknown): WalletError {
  return new WalletError('ABORTED', 'the open was aborted before it was signed; nothing was opened', { cause: reason });
}

/** The caller of an open gave up (its signal aborted): before signing nothing happened; after, the open goes on. */
export function abortOpen(state: WalletState, call: number, reason: unknown, out: Out): WalletState {
  const waiting = state.calls.waitingReady.find((w) => w.call === call);
  if (waiting !== undefined) {
    out.push({
      type: 'reject',
      call,
      error: new WalletError('ABORTED', 'the open was aborted before it was signed; nothing was opened', {
        cause: reason,
      }),
    });
    return withCalls(state, { waitingReady: state.calls.waitingReady.filter((w) => w.call !== call) });
  }
  const run = state.calls.open;
  if (run?.call !== call) return state;
  out.push({
    type: 'reject',
    call,
    error: new WalletError(
      'ABORTED_AFTER_SIGNING',
      'the open was aborted after it was signed: the wallet still opens the channel (see balance())',
      { cause: reason },
    ),
  });
  return withCalls(state, { open: { ...run, call: undefined } });
}

// ---- top-up -------------------------------------------------------------------------------

function withTurns(state: WalletState, topUps: readonly TopUpTurn[]): WalletState {
  return withCalls(state, { topUps });
}

function headAt(state: WalletState, stage: TopUpStage): TopUpTurn | undefined {
  const head = state.calls.topUps[0];
  return head?.stage === stage ? head : undefined;
}

function withHeadStage(state: WalletState, stage: TopUpStage): WalletState {
  const [head, ...rest] = state.calls.topUps;
  assert(head !== undefined, 'a top-up turn is running');
  return withTurns(state, [{ ...head, stage }, ...rest]);
}

/** Ends the running turn (answering its call, or reporting a resumed one's failure) and starts the next. */
function endTurn(state: WalletState, out: Out, outcome: { readonly error: unknown } | 'done'): WalletState {
  const [head, ...rest] = state.calls.topUps;
  if (head !== undefined) {
    if (outcome === 'done') {
      if (head.kind === 'call') answerBalance(state, head.call, out);
    } else if (head.kind === 'call') out.push({ type: 'reject', call: head.call, error: outcome.error });
    else report(out, outcome.error);
  }
  return runTopUps(withTurns(state, rest), out);
}

/** A topUp call, once ready: takes its turn. */
export function queueTopUp(state: WalletState, call: number, amount: bigint, out: Out): WalletState {
  return runTopUps(withTurns(state, [...state.calls.topUps, { kind: 'call', call, amount, stage: 'waiting' }]), out);
}

/** Resume: a top-up signed by an earlier run is sent again (in turn), unless done meanwhile. */
export function resendTopUp(state: WalletState, out: Out): WalletState {
  const signature = state.channel?.topUp?.signature;
  if (signature === undefined) return state;
  return runTopUps(withTurns(state, [...state.calls.topUps, { kind: 'resumed', signature, stage: 'waiting' }]), out);
}

function topUpBody(channel: WalletChannel) {
  const topUp = channel.topUp;
  assert(topUp !== undefined, 'a top-up is sent once signed');
  return {
    type: 'topUp',
    channelId: channel.channelId,
    deposit: BigInt(topUp.deposit),
    signature: asSignature(fromHex(topUp.signature, 64)),
  } as const;
}

/** Starts the turn at the head, if it waits. */
function runTopUps(state: WalletState, out: Out): WalletState {
  const head = headAt(state, 'waiting');
  if (head === undefined) return state;
  const ended = sessionEnded(state);
  if (ended !== undefined) {
    for (const turn of state.calls.topUps)
      if (turn.kind === 'call') out.push({ type: 'reject', call: turn.call, error: ended });
    return withTurns(state, []);
  }
  const channel = state.channel;
  if (head.kind === 'resumed') {
    if (channel?.topUp?.signature !== head.signature)
      return runTopUps(withTurns(state, state.calls.topUps.slice(1)), out);
    return withHeadStage(issueRequest(state, out, topUpBody(channel)), 'requesting');
  }
  if (channel === undefined)
    return endTurn(state, out, { error: new WalletError('NO_CHANNEL', 'open a channel first') });
  if (channel.status !== 'open') {
    return endTurn(state, out, { error: new WalletError('CHANNEL_CLOSED', `the channel is ${channel.status}`) });
  }
  const domain = state.domain;
  assert(domain !== undefined, 'the hub is pinned once a channel exists');
  const deposit = channel.deposit + head.amount;
  let message: Uint8Array;
  try {
    message = topUpSigningBytes(domain, { channelId: channel.channelId, deposit });
  } catch (error) {
    return endTurn(state, out, { error });
  }
  out.push({ type: 'sign', purpose: { kind: 'topUp', deposit }, message });
  return withHeadStage(state, 'signing');
}

/** The top-up is signed: write it before sending. */
export function topUpSigned(state: WalletState, deposit: bigint, signature: Signature, out: Out): WalletState {
  const channel = state.channel;
  if (headAt(state, 'signing') === undefined || channel === undefined) return state;
  const next = withHeadStage(
    withChannel(state, { ...channel, topUp: { deposit: deposit.toString(), signature: toHex(signature) } }),
    'writing',
  );
  writeRecord(next, out, { kind: 'topUpSigned' });
  return next;
}

/** The running top-up failed before the hub was asked (signer, store). */
export function topUpFailed(state: WalletState, error: unknown, out: Out): WalletState {
  const head = state.calls.topUps[0];
  if (head === undefined || head.stage === 'waiting') return state;
  return endTurn(state, out, { error });
}

/** The signed top-up is written: send it. */
export function topUpSignedWritten(state: WalletState, out: Out): WalletState {
  const channel = state.channel;
  if (headAt(state, 'writing') === undefined || channel?.topUp === undefined) return state;
  return withHeadStage(issueRequest(state, out, topUpBody(channel)), 'requesting');
}

/** The hub moved the deposit: record the new total (never below what is known). */
export function topUpAnswered(state: WalletState, hubState: ChannelState, out: Out): WalletState {
  const channel = state.channel;
  if (channel === undefined) return endTurn(state, out, 'done');
  const { topUp: _done, ...rest } = channel;
  // biome-ignore lint/complexity/useMathMinMax: Math.max does not take bigints.
  const deposit = hubState.deposit > channel.deposit ? hubState.deposit : channel.deposit;
  let next = withChannel(state, { ...rest, deposit });
  if (state.calls.topUps[0]?.stage === 'requesting') next = withHeadStage(next, 'confirming');
  writeRecord(next, out, { kind: 'toppedUp' });
  return next;
}

/** The confirmed top-up is written: `balanceLow` may fire again, and the call is answered. */
export function toppedUpWritten(state: WalletState, out: Out): WalletState {
  let next = state;
  const channel = state.channel;
  if (channel !== undefined) {
    const threshold = balanceLowThreshold(state.config, channel.deposit);
    if (channel.deposit - signedPoint(channel).cumulative >= threshold) next = { ...next, balanceLowFired: false };
  }
  if (headAt(next, 'confirming') === undefined) return next;
  return endTurn(next, out, 'done');
}

/** Writing the confirmed top-up failed. */
export function toppedUpWriteFailed(state: WalletState, error: unknown, out: Out): WalletState {
  if (headAt(state, 'confirming') === undefined) {
    report(out, error);
    return state;
  }
  return endTurn(state, out, { error });
}

/** The top-up request failed: a final refusal forgets the signed top-up. */
export function topUpRefused(state: WalletState, error: unknown, out: Out): WalletState {
  let next = state;
  const channel = state.channel;
  if (error instanceof RejectError && channel?.topUp !== undefined) {
    const { topUp: _failed, ...rest } = channel;
    next = withChannel(next, rest);
    writeRecord(next, out, { kind: 'quiet' });
  }
  if (headAt(next, 'requesting') === undefined) {
    report(out, error);
    return next;
  }
  return endTurn(next, out, { error });
}

// ---- close --------------------------------------------------------------------------------

function withClose(state: WalletState, close: CloseRun | undefined): WalletState {
  return withCalls(state, { close });
}

/** A close call, once ready: joins the close in progress, or starts one (it waits until every payment is answered). */
export function requestClose(state: WalletState, call: number, out: Out): WalletState {
  const channel = state.channel;
  if (channel === undefined) {
    out.push({ type: 'reject', call, error: new WalletError('NO_CHANNEL', 'open a channel first') });
    return state;
  }
  if (channel.status === 'closed') {
    out.push({ type: 'reject', call, error: new WalletError('CHANNEL_CLOSED', 'the channel is closed already') });
    return state;
  }
  const run = state.calls.close;
  return withClose(
    state,
    run === undefined ? { calls: [call], stage: 'draining' } : { ...run, calls: [...run.calls, call] },
  );
}

/** Nothing queued, being signed or in flight. */
export function drained(state: WalletState): boolean {
  return (
    state.payments.queuedCount === 0 && state.pump.batch === undefined && (state.channel?.pending.length ?? 0) === 0
  );
}

/** A close waiting for the payments to drain: once drained, sign it (an open channel) or send it (closing already). */
export function advanceClose(state: WalletState, out: Out): WalletState {
  const run = state.calls.close;
  if (run?.stage !== 'draining' || !drained(state)) return state;
  const channel = state.channel;
  const domain = state.domain;
  if (channel === undefined || domain === undefined) {
    return failClose(state, new WalletError('NO_CHANNEL', 'open a channel first'), out);
  }
  if (channel.status === 'opening')
    return failClose(state, new WalletError('NO_CHANNEL', 'the channel is still opening'), out);
  if (channel.status !== 'open') return sendClose(withClose(state, { ...run, stage: 'requesting' }), out);
  const point = signedPoint(channel);
  out.push({
    type: 'sign',
    purpose: { kind: 'close', point },
    message: closeSigningBytes(domain, { channelId: channel.channelId, ...point }),
  });
  return withClose(state, { ...run, stage: 'signing' });
}

/** Fails every call waiting on the close. */
export function failClose(state: WalletState, error: unknown, out: Out): WalletState {
  const run = state.calls.close;
  if (run === undefined) return state;
  for (const call of run.calls) out.push({ type: 'reject', call, error });
  if (run.calls.length === 0) report(out, error);
  return withClose(state, undefined);
}

/** The close is signed: the channel is closing; write it before sending. */
export function closeSigned(state: WalletState, point: Point, signature: Signature, out: Out): WalletState {
  const run = state.calls.close;
  const channel = state.channel;
  if (run?.stage !== 'signing' || channel === undefined) return state;
  const next = withClose(
    withChannel(state, {
      ...channel,
      status: 'closing',
      close: { ...pointToRecord(point), signature: toHex(signature) },
    }),
    { ...run, stage: 'writing' },
  );
  writeRecord(next, out, { kind: 'closing' });
  return next;
}

/** The closing channel is written: send the close. */
export function closingWritten(state: WalletState, out: Out): WalletState {
  const run = state.calls.close;
  if (run?.stage !== 'writing') return state;
  return sendClose(withClose(state, { ...run, stage: 'requesting' }), out);
}

/** Resume: a close signed by an earlier run (or connection) is sent again. */
export function resendClose(state: WalletState, out: Out): WalletState {
  const run = state.calls.close;
  if (run !== undefined && run.stage !== 'requesting') return state;
  return sendClose(withClose(state, run ?? { calls: [], stage: 'requesting' }), out);
}

function sendClose(state: WalletState, out: Out): WalletState {
  if (hasRequest(state, 'close')) return state;
  const close = state.channel?.close;
  const channel = state.channel;
  if (channel === undefined || close === undefined) {
    return failClose(state, new WalletError('NO_CHANNEL', 'the channel has no signed close'), out);
  }
  return issueRequest(state, out, {
    type: 'close',
    channelId: channel.channelId,
    seq: close.seq,
    cumulative: BigInt(close.cumulative),
    logHead: asLogHead(fromHex(close.logHead, 32)),
    signature: asSignature(fromHex(close.signature, 64)),
  });
}

/** The hub closed the channel: complete it and answer every close call. */
export function closeAnswered(state: WalletState, hubState: ChannelState, out: Out): WalletState {
  const completed = completeClose(state, hubState, out);
  const run = completed.state.calls.close;
  if (run !== undefined) for (const call of run.calls) out.push({ type: 'resolve', call, value: completed.result });
  return withClose(completed.state, undefined);
}

/**
 * The channel is closed (the hub said so): record it, fail what is queued, tell the
 * listeners. Returns what close() reports.
 */
export function completeClose(
  state: WalletState,
  hubState: ChannelState,
  out: Out,
  settledRefund?: bigint,
): { state: WalletState; result: CloseResult } {
  const channel = state.channel;
  // The ledger's refund when it settled at another state than the hub's (a forced close).
  const refund = settledRefund ?? hubState.deposit - hubState.cumulative;
  const result: CloseResult = { refund, state: hubState };
  if (channel === undefined) return { state, result };
  const error = new WalletError('CHANNEL_CLOSED', 'the channel was closed');
  // Vouchers not answered yet: those past the hub's final state were never taken (their
  // payments fail, uncharged); those it holds were paid, their receipts lost on the way
  // (a connection that broke, say): they are read from the hub's log, as after a resync.
  const held = channel.pending.filter((v) => v.seq <= hubState.seq);
  const untaken = channel.pending.filter((v) => v.seq > hubState.seq);
  // The newest voucher the hub holds is acknowledged, though its receipts were lost.
  const newest = held.at(-1);
  const acked =
    newest !== undefined && newest.seq > channel.acked.seq
      ? { seq: newest.seq, cumulative: newest.cumulative, logHead: newest.logHead }
      : channel.acked;
  let next = unspend(
    withChannel(state, {
      ...channel,
      status: 'closed',
      refund: refund.toString(),
      acked,
      pending: [],
      resend: new Set(),
    }),
    untaken,
  );
  for (const id of untaken.flatMap((v) => livePayments(next, v.payments))) next = failPayment(next, id, error, out);
  const jobs = new Map<string, number>();
  for (const id of held.flatMap((v) => livePayments(next, v.payments))) {
    const payment = next.payments.byId.get(id);
    if (payment !== undefined) jobs.set(payment.invoiceKey, id);
  }
  const removePending = channel.pending.map((v) => v.seq);
  const first = held[0];
  if (first !== undefined && jobs.size > 0) {
    const recovery: Recovery = {
      channelId: channel.channelId,
      asset: channel.asset,
      nextSeq: first.seq,
      toSeq: hubState.seq,
      pages: 0,
      jobs,
      failRest: error,
      from: signedPoint(channel).seq,
      after: 'none',
      reading: false,
    };
    writeRecord(next, out, { kind: 'adopted', recovery }, { removePending });
  } else {
    writeRecord(next, out, { kind: 'closed' }, removePending.length === 0 ? {} : { removePending });
  }
  next = failQueued(next, error, out);
  emit(out, 'closed', result);
  return { state: next, result };
}
