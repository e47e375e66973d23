/**
 * The session with the hub: connect, check the hub's identity, authenticate, resume after
 * every (re)authentication, reconnect with backoff; the hub's answers to requests, routed
 * to the stage that asked; and the two ends of a wallet's life, a fatal failure and stop().
 *
 * Resume: finish half-done operations of an earlier connection or run, `sync` the channel,
 * reconcile with the hub's state, resend every pending voucher in order; then the session
 * is ready and calls waiting for it run.
 */
import { equalBytes } from '../bytes.js';
import { authSigningBytes } from '../channelRequests.js';
import { asError } from '../errors.js';
import { hubIdFromKey, type Signature } from '../ids.js';
import { protocolVersion } from '../limits.js';
import type { HubMessageOf } from '../messages.js';
import { RejectError, rejectCodes } from '../rejects.js';
import {
  emit,
  isReady,
  type Out,
  report,
  sessionEnded,
  stoppedError,
  withChannel,
  withoutSent,
  writeRecord,
} from './base.js';
import {
  advanceClose,
  closeAnswered,
  failClose,
  openAnswered,
  openRefused,
  queueTopUp,
  requestClose,
  resendClose,
  resendOpen,
  resendTopUp,
  startOpen,
  topUpAnswered,
  topUpRefused,
} from './lifecycle.js';
import { failPayment, failQueued, failUnsigned } from './payments.js';
import type { WritePurpose } from './purposes.js';
import {
  invoiceAnswered,
  peerRequestFailed,
  spendFailed,
  spentAnswered,
  startPeerPayment,
  startReceiving,
  startSpend,
} from './receiving.js';
import { issueRequest, markRetry, outstandingTypes, takeRequest, takeRequests } from './requests.js';
import { logFailed, logPageAnswered, resyncWith } from './resync.js';
import { advanceForceClose, failForceClose, forceCloseAnswered, requestForceClose } from './unilateral.js';
import { WalletError } from './walletErrors.js';
import { resendDelayMs } from './walletLimits.js';
import type { HubRequest, Link, Recovery, RequestType, WaitingCall, WalletState } from './walletState.js';

function withLink(state: WalletState, link: Partial<Link>): WalletState {
  return { ...state, link: { ...state.link, ...link } };
}

/** Opens a connection. */
function connect(state: WalletState, out: Out): WalletState {
  out.push({ type: 'connect' });
  const { resume: _gone, ...link } = state.link;
  return { ...state, link: { ...link, phase: 'connecting', generation: link.generation + 1, opened: false } };
}

/** The wallet starts: connect at once. */
export function start(state: WalletState, out: Out): WalletState {
  if (state.link.generation > 0 || sessionEnded(state) !== undefined) return state;
  return connect(state, out);
}

/** The connection opened: the hub's challenge follows. */
export function connected(state: WalletState): WalletState {
  if (state.link.phase !== 'connecting') return state;
  return withLink(state, { phase: 'authenticating', opened: true });
}

/** The hub's challenge: check who it is, pin it at first contact (written first), then answer. */
export function onChallenge(
  state: WalletState,
  message: HubMessageOf<'challenge'>,
  nowMs: number,
  out: Out,
): WalletState {
  if (state.link.phase !== 'authenticating') return state;
  const { config } = state;
  const hubId = hubIdFromKey(message.hubKey);
  const expected = config.hubId ?? state.domain?.hubId;
  if (message.version !== protocolVersion) {
    return fail(
      state,
      new WalletError('HUB_MISMATCH', `the hub speaks protocol version ${message.version}`),
      nowMs,
      out,
    );
  }
  if (message.networkId !== config.networkId) {
    return fail(
      state,
      new WalletError('HUB_MISMATCH', `the hub is on network ${message.networkId}, not ${config.networkId}`),
      nowMs,
      out,
    );
  }
  if (!equalBytes(hubId, message.hubId) || (expected !== undefined && !equalBytes(hubId, expected))) {
    return fail(state, new WalletError('HUB_MISMATCH', 'the hub is not the one this wallet is pinned to'), nowMs, out);
  }
  if (state.domain === undefined) {
    // First contact: pin the hub in the store before authenticating to it.
    const next = { ...state, domain: { networkId: config.networkId, hubId } };
    writeRecord(next, out, { kind: 'pin', generation: state.link.generation, challenge: message.nonce });
    return next;
  }
  return signAuth(state, message.nonce, out);
}

function signAuth(state: WalletState, challenge: Uint8Array, out: Out): WalletState {
  const domain = state.domain;
  if (domain === undefined) return state;
  out.push({
    type: 'sign',
    purpose: { kind: 'auth', generation: state.link.generation },
    message: authSigningBytes(domain, challenge, state.config.clientKey),
  });
  return state;
}

/** The pinned hub is written: answer the challenge. */
export function pinWritten(state: WalletState, purpose: Extract<WritePurpose, { kind: 'pin' }>, out: Out): WalletState {
  if (purpose.generation !== state.link.generation || state.link.phase !== 'authenticating') return state;
  return signAuth(state, purpose.challenge, out);
}

/** Pinning failed: this connection is given up (the next one tries again). */
export function pinWriteFailed(
  state: WalletState,
  purpose: Extract<WritePurpose, { kind: 'pin' }>,
  error: unknown,
  out: Out,
): WalletState {
  if (purpose.generation === state.link.generation)
    out.push({ type: 'disconnect', code: 1000, reason: 'pinning the hub failed' });
  emit(out, 'error', asError(error));
  return state;
}

/** The challenge is signed: authenticate. */
export function authSigned(state: WalletState, generation: number, signature: Signature, out: Out): WalletState {
  if (generation !== state.link.generation || state.link.phase !== 'authenticating') return state;
  out.push({ type: 'send', message: { type: 'auth', clientKey: state.config.clientKey, signature } });
  return state;
}

/** The signer threw on the challenge: report it and give this connection up. */
export function authSignFailed(state: WalletState, generation: number, error: unknown, out: Out): WalletState {
  emit(out, 'error', asError(error));
  if (generation === state.link.generation) {
    out.push({ type: 'disconnect', code: 1000, reason: 'signing the authentication failed' });
  }
  return state;
}

/** Welcome: authenticated. Resend what is unanswered, then resume. */
export function onWelcome(state: WalletState, nowMs: number, out: Out): WalletState {
  if (state.link.phase !== 'authenticating') return state;
  const outstanding = outstandingTypes(state);
  const byId = new Map<number, HubRequest>();
  for (const [id, request] of state.requests.byId) {
    out.push({ type: 'send', message: request.message });
    byId.set(id, { ...request, retry: false });
  }
  let next: WalletState = withLink({ ...state, requests: { ...state.requests, byId } }, { phase: 'resuming' });
  const channel = next.channel;
  if (channel !== undefined) next = withChannel(next, withoutSent(channel));
  if (channel === undefined || next.domain === undefined) return finishResume(next, nowMs, out);
  if (channel.status === 'opening') {
    if (!outstanding.has('open')) next = resendOpen(next, out);
    return finishResume(next, nowMs, out);
  }
  next = withLink(next, { resume: { outstanding, awaiting: 'sync' } });
  return issueSync(next, out);
}

function issueSync(state: WalletState, out: Out): WalletState {
  const channel = state.channel;
  if (channel === undefined) return state;
  return issueRequest(state, out, { type: 'sync', channelId: channel.channelId });
}

/** The sync answer: reconcile, then finish resuming (after the recovery, if the hub's state was adopted). */
function syncAnswered(
  state: WalletState,
  hubState: HubMessageOf<'state'>['state'],
  nowMs: number,
  out: Out,
): WalletState {
  if (state.link.resume?.awaiting !== 'sync') return state;
  const result = resyncWith(state, hubState, { resend: true, orphans: [], after: 'resume' }, out);
  if (result.adopted) {
    const resume = result.state.link.resume;
    return resume === undefined
      ? result.state
      : withLink(result.state, { resume: { ...resume, awaiting: 'recovery' } });
  }
  return afterSync(result.state, nowMs, out);
}

/** Half-done operations of an earlier run are sent again (nobody awaits them: failures are events); then ready. */
function afterSync(state: WalletState, nowMs: number, out: Out): WalletState {
  const outstanding = state.link.resume?.outstanding ?? new Set<RequestType>();
  let next = state;
  const channel = next.channel;
  if (channel?.topUp !== undefined && !outstanding.has('topUp')) next = resendTopUp(next, out);
  if (channel?.status === 'closing' && channel.close !== undefined && !outstanding.has('close')) {
    next = resendClose(next, out);
  }
  return finishResume(next, nowMs, out);
}

/** Resumed: payments may flow, and the calls that waited for it run. */
function finishResume(state: WalletState, nowMs: number, out: Out): WalletState {
  if (state.link.phase !== 'resuming') return state;
  const { resume: _done, ...link } = state.link;
  const reconnected = link.wasReady;
  const attempts = link.attempts;
  let next: WalletState = { ...state, link: { ...link, phase: 'ready', wasReady: true, attempts: 0 } };
  if (reconnected) emit(out, 'reconnected', { attempts });
  const waiting = next.calls.waitingReady;
  next = { ...next, calls: { ...next.calls, waitingReady: [] } };
  for (const call of waiting) next = runWhenReady(next, call, nowMs, out);
  return startReceiving(next, out);
}

/** Runs a call that needs the session ready (now, or once it is). */
export function whenReady(state: WalletState, call: WaitingCall, nowMs: number, out: Out): WalletState {
  const ended = sessionEnded(state);
  if (ended !== undefined) {
    out.push({ type: 'reject', call: call.call, error: ended });
    return state;
  }
  if (!isReady(state))
    return { ...state, calls: { ...state.calls, waitingReady: [...state.calls.waitingReady, call] } };
  return runWhenReady(state, call, nowMs, out);
}

function runWhenReady(state: WalletState, call: WaitingCall, nowMs: number, out: Out): WalletState {
  switch (call.type) {
    case 'openChannel':
      return startOpen(state, call, nowMs, out);
    case 'topUp':
      return queueTopUp(state, call.call, call.amount, out);
    case 'close':
      return advanceClose(requestClose(state, call.call, out), out);
    case 'forceClose':
      return advanceForceClose(requestForceClose(state, call.call, out), out);
    case 'payPeer':
      return startPeerPayment(state, call, nowMs, out);
    case 'spendReceived':
      return startSpend(state, call, out);
  }
}

/** Recoveries finished: the one resume waited for lets it finish. */
export function recoveriesFinished(
  state: WalletState,
  finished: readonly Recovery[],
  nowMs: number,
  out: Out,
): WalletState {
  let next = state;
  for (const recovery of finished) {
    if (recovery.after === 'resume' && next.link.resume?.awaiting === 'recovery') next = afterSync(next, nowMs, out);
  }
  return next;
}

/** The resume could not complete (a store failure): report it and start over on a fresh connection. */
export function resumeFailed(state: WalletState, finished: readonly Recovery[], out: Out): WalletState {
  if (!finished.some((r) => r.after === 'resume') || state.link.resume === undefined) return state;
  out.push({ type: 'disconnect', code: 1000, reason: 'resume failed' });
  const { resume: _gone, ...link } = state.link;
  return { ...state, link };
}

/** An answer (`state` or `logPage`) to a request: handled by the stage that asked. */
export function onAnswer(
  state: WalletState,
  message:
    | HubMessageOf<'state'>
    | HubMessageOf<'logPage'>
    | HubMessageOf<'receiving'>
    | HubMessageOf<'invoiced'>
    | HubMessageOf<'spent'>
    | (HubMessageOf<'closing'> & { readonly id: number }),
  nowMs: number,
  out: Out,
): WalletState {
  const request = state.requests.byId.get(message.id);
  if (request === undefined) return state;
  const type = request.message.type;
  const expected = answerTypes[type];
  if (message.type !== expected) {
    // The hub answered with the wrong message: it broke the protocol. Ask again on a new connection.
    out.push({ type: 'disconnect', code: 1002, reason: 'unexpected answer from hub' });
    return state;
  }
  const next = takeRequest(state, message.id).state;
  if (message.type === 'logPage') {
    const result = logPageAnswered(next, message, nowMs, out);
    return recoveriesFinished(result.state, result.finished, nowMs, out);
  }
  if (message.type === 'closing') return forceCloseAnswered(next, message, out);
  if (message.type === 'receiving') return next;
  if (message.type === 'spent') return spentAnswered(next, message.id, message.amount, out);
  if (message.type === 'invoiced') {
    return request.message.type === 'invoice' ? invoiceAnswered(next, request.message, message, nowMs, out) : next;
  }
  switch (type) {
    case 'open':
      return openAnswered(next, message.state, out);
    case 'topUp':
      return topUpAnswered(next, message.state, out);
    case 'close':
      return closeAnswered(next, message.state, out);
    case 'sync':
      return syncAnswered(next, message.state, nowMs, out);
    case 'log':
    case 'forceClose':
    case 'receive':
    case 'invoice':
    case 'spend':
      return next;
  }
}

/** The answer each request type gets. */
const answerTypes = {
  open: 'state',
  topUp: 'state',
  close: 'state',
  sync: 'state',
  log: 'logPage',
  forceClose: 'closing',
  receive: 'receiving',
  invoice: 'invoiced',
  spend: 'spent',
} as const satisfies Record<RequestType, string>;

/** A `reject` naming a request: retryable ones are resent after a pause, the others fail it. */
export function onRequestReject(
  state: WalletState,
  message: HubMessageOf<'reject'>,
  nowMs: number,
  out: Out,
): WalletState {
  const id = message.id;
  if (id === undefined) return state;
  const request = state.requests.byId.get(id);
  if (request === undefined) return state;
  if (rejectCodes[message.code].retry) {
    // Retryable (rate limited, overloaded, shutting down): resend after a pause.
    const next = markRetry(state, id);
    if (next.requests.retryArmed) return next;
    out.push({ type: 'setTimer', timer: 'retryRequests', delayMs: resendDelayMs });
    return { ...next, requests: { ...next.requests, retryArmed: true } };
  }
  return requestFailed(
    takeRequest(state, id).state,
    request,
    new RejectError(message.code, message.message),
    nowMs,
    out,
  );
}

/** A request failed for good (refused, or the session ended): the stage that asked decides. */
function requestFailed(state: WalletState, request: HubRequest, error: Error, nowMs: number, out: Out): WalletState {
  switch (request.message.type) {
    case 'open':
      return openRefused(state, error, out);
    case 'topUp':
      return topUpRefused(state, error, out);
    case 'close':
      return failClose(state, error, out);
    case 'forceClose':
      return failForceClose(state, error, out);
    case 'sync':
      return syncRefused(state, error, nowMs, out);
    case 'log': {
      const result = logFailed(state, error, out);
      return recoveriesFinished(result.state, result.finished, nowMs, out);
    }
    case 'invoice':
      return peerRequestFailed(state, request.message.id, error, out);
    case 'spend':
      return spendFailed(state, request.message.id, error, out);
    case 'receive':
      // Asked again on the next connection; a refusal is worth an event.
      report(out, error);
      return state;
  }
}

function syncRefused(state: WalletState, error: Error, nowMs: number, out: Out): WalletState {
  if (state.link.resume?.awaiting !== 'sync') return state;
  if (error instanceof RejectError && error.code === 'UNKNOWN_CHANNEL') return finishResume(state, nowMs, out);
  const { resume: _gone, ...link } = state.link;
  const next = { ...state, link };
  if (error instanceof WalletError && (error.code === 'DISCONNECTED' || error.code === 'STOPPED')) return next;
  // Something failed: report it and start over on a fresh connection.
  emit(out, 'error', error);
  out.push({ type: 'disconnect', code: 1000, reason: 'resume failed' });
  return next;
}

/** The retry timer fired: resend the requests the hub asked to retry (when ready; a reconnect resends them all). */
export function retryRequestsFired(state: WalletState, out: Out): WalletState {
  const byId = new Map<number, HubRequest>();
  const ready = isReady(state);
  for (const [id, request] of state.requests.byId) {
    if (request.retry && ready) out.push({ type: 'send', message: request.message });
    byId.set(id, request.retry ? { ...request, retry: false } : request);
  }
  return { ...state, requests: { ...state.requests, byId, retryArmed: false } };
}

/** The connection closed: forget what was sent on it, tell the listeners, reconnect with backoff. */
export function onDisconnected(
  state: WalletState,
  code: number,
  reason: string,
  jitter: number,
  out: Out,
): WalletState {
  const link = state.link;
  const hadSession = link.phase === 'ready' || link.phase === 'resuming';
  const { resume: _gone, ...rest } = link;
  let next: WalletState = { ...state, link: { ...rest, phase: 'idle', opened: false } };
  const channel = next.channel;
  if (channel !== undefined) next = withChannel(next, withoutSent(channel));
  // A sync answers for one connection only: the next resume asks again. Durable requests
  // (open, top-up, close) and log pages are resent after the reconnect instead.
  next = takeRequests(next, (r) => r.message.type === 'sync' || r.message.type === 'receive').state;
  if (hadSession || (link.opened && link.wasReady)) emit(out, 'disconnected', { code, reason });
  if (sessionEnded(next) !== undefined || link.reconnectArmed) return next;
  const attempts = link.attempts + 1;
  const { reconnectDelayMsMin, reconnectDelayMsMax } = next.config;
  const exponential = Math.min(reconnectDelayMsMax, reconnectDelayMsMin * 2 ** Math.min(attempts - 1, 20));
  const delayMs = Math.round(exponential * ((jitter / 255) * 0.5 + 0.75)); // 0.75x..1.25x
  out.push({ type: 'setTimer', timer: 'reconnect', delayMs });
  if (!hadSession) emit(out, 'unreachable', { attempts, code, reason, retryInMs: delayMs });
  return withLink(next, { attempts, reconnectArmed: true });
}

/** The reconnect timer fired. */
export function reconnectFired(state: WalletState, out: Out): WalletState {
  const next = withLink(state, { reconnectArmed: false });
  if (sessionEnded(next) !== undefined || next.link.phase !== 'idle') return next;
  return connect(next, out);
}

/** Ends the session for good: close the connection, fail every waiter and request with `error`. */
function endSession(state: WalletState, error: Error, nowMs: number, out: Out): WalletState {
  out.push({ type: 'disconnect', code: 1000, reason: 'wallet stopped' });
  out.push({ type: 'clearTimer', timer: 'reconnect' });
  out.push({ type: 'clearTimer', timer: 'retryRequests' });
  // The session is over: nothing more goes out, and the closing connection is no disconnect to report.
  const { resume: _gone, ...link } = state.link;
  let next: WalletState = { ...state, link: { ...link, phase: 'idle', reconnectArmed: false } };
  next = { ...next, requests: { ...next.requests, retryArmed: false } };
  for (const call of next.calls.waitingReady) out.push({ type: 'reject', call: call.call, error });
  next = { ...next, calls: { ...next.calls, waitingReady: [] } };
  const taken = takeRequests(next, () => true);
  next = taken.state;
  for (const request of taken.taken) next = requestFailed(next, request, error, nowMs, out);
  return next;
}

/** Fails every signed payment not yet answered (in vouchers, being signed, or being recovered). */
function failSigned(state: WalletState, error: Error, out: Out): WalletState {
  let next = state;
  for (const voucher of next.channel?.pending ?? []) {
    for (const id of voucher.payments) if (id !== undefined) next = failPayment(next, id, error, out);
  }
  const batch = next.pump.batch;
  if (batch !== undefined) {
    for (const voucher of batch.built)
      for (const id of voucher.payments) if (id !== undefined) next = failPayment(next, id, error, out);
    for (const id of batch.signing?.ids ?? []) {
      const payment = next.payments.byId.get(id);
      if (payment !== undefined) next = failUnsigned(next, payment, stoppedError(), out);
    }
    next = { ...next, pump: { ...next.pump, batch: batch.writing === undefined ? undefined : batch } };
  }
  for (const recovery of next.recoveries)
    for (const id of recovery.jobs.values()) next = failPayment(next, id, error, out);
  return { ...next, recoveries: [] };
}

/** A failure the session cannot recover from (wrong hub, refused authentication). */
function fail(state: WalletState, error: WalletError, nowMs: number, out: Out): WalletState {
  let next: WalletState = { ...state, fatal: error };
  next = endSession(next, error, nowMs, out);
  next = failQueued(next, error, out);
  next = failSigned(next, error, out);
  emit(out, 'error', error);
  return next;
}

/** The hub refused the authentication. */
export function authRefused(state: WalletState, message: string, nowMs: number, out: Out): WalletState {
  return fail(state, new WalletError('HUB_MISMATCH', `the hub refused the authentication: ${message}`), nowMs, out);
}

/**
 * stop(): disconnect, fail what is queued (STOPPED) and what is signed but unanswered (its
 * voucher is saved and resent on the next start), then flush and close the store.
 */
export function stop(state: WalletState, call: number, nowMs: number, out: Out): WalletState {
  if (state.stopped) {
    out.push({ type: 'resolve', call, value: undefined });
    return state;
  }
  let next: WalletState = { ...state, stopped: true, resendArmed: false };
  out.push({ type: 'clearTimer', timer: 'resend' });
  out.push({ type: 'clearTimer', timer: 'pump' });
  next = { ...next, pump: { ...next.pump, scheduled: false } };
  const error = stoppedError();
  if (state.fatal === undefined) next = endSession(next, error, nowMs, out);
  next = failQueued(next, error, out);
  next = failSigned(
    next,
    new WalletError(
      'STOPPED',
      'the wallet was stopped before the hub acknowledged this payment; its signed voucher is saved and is resent on the next start, so it may still be charged',
    ),
    out,
  );
  // Calls still in progress (a top-up's or close's write in flight) fail now: nothing will finish them.
  for (const turn of next.calls.topUps) if (turn.kind === 'call') out.push({ type: 'reject', call: turn.call, error });
  next = { ...next, calls: { ...next.calls, topUps: [] } };
  next = failClose(next, error, out);
  next = failForceClose(next, error, out);
  const open = next.calls.open;
  if (open?.call !== undefined) out.push({ type: 'reject', call: open.call, error });
  next = { ...next, calls: { ...next.calls, open: undefined } };
  out.push({ type: 'shutdown', call });
  return next;
}
