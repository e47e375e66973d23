/**
 * The wallet as one pure step function: `stepWallet(state, input)` returns the next state
 * and the effects to carry out, in order. Every transition of the wallet is reached from
 * the switch below (the compiler checks it is exhaustive); the stages live in their own
 * files: session.ts (connection, resume, requests, stop), payments.ts (admission, aborts),
 * pump.ts (signing), replies.ts (receipts, refusals), resync.ts (adopting the hub's state),
 * lifecycle.ts (open, top-up, close). ADR 0220 draws the states and transitions.
 */
import { asError, assert } from '../errors.js';
import type { Signature } from '../ids.js';
import type { HubMessage } from '../messages.js';
import { emit, type Out, report } from './base.js';
import {
  abortOpen,
  advanceClose,
  closeSigned,
  closingWritten,
  failClose,
  openAbortedError,
  openedWriteFailed,
  openedWritten,
  openFailed,
  openingWritten,
  openSigned,
  toppedUpWriteFailed,
  toppedUpWritten,
  topUpFailed,
  topUpSigned,
  topUpSignedWritten,
} from './lifecycle.js';
import { abortPayment, admitPayment } from './payments.js';
import { pumpWanted, runPump, voucherSigned, voucherSignFailed, vouchersWriteFailed, vouchersWritten } from './pump.js';
import type { SignPurpose, WritePurpose } from './purposes.js';
import { inboxItemWriteFailed, inboxItemWritten, onCleared, onIncoming } from './receiving.js';
import { afterDrop, onPayReject, onReceipts, resendTimerFired } from './replies.js';
import { adoptionWriteFailed, adoptionWritten } from './resync.js';
import {
  authRefused,
  authSigned,
  authSignFailed,
  connected,
  onAnswer,
  onChallenge,
  onDisconnected,
  onRequestReject,
  onWelcome,
  pinWriteFailed,
  pinWritten,
  reconnectFired,
  recoveriesFinished,
  resumeFailed,
  retryRequestsFired,
  start,
  stop,
  whenReady,
} from './session.js';
import {
  advanceForceClose,
  failForceClose,
  forceCloseSigned,
  forceClosingWritten,
  noticeClosingWritten,
  onNotice,
} from './unilateral.js';
import type { WalletInput, WalletStep } from './walletIo.js';
import { clearedChannelsMax } from './walletLimits.js';
import { type WalletState, walletRecordOf } from './walletState.js';

/**
 * One transition of the wallet: the next state and the effects to carry out, in order.
 * Pure: no clock, randomness, I/O or callbacks; the same state and input always give the
 * same result, and `state` is left as it was.
 *
 * @example
 * ```ts
 * import { initialWalletState, nobleVerifier, stepWallet, type PublicKey } from '@trickle/protocol';
 * declare const clientKey: PublicKey;
 * const state = initialWalletState(
 *   { networkId: 1, clientKey, verifier: nobleVerifier, policy: {}, inFlightVouchersMax: 64,
 *     queuedPaymentsMax: 100_000, reconnectDelayMsMin: 100, reconnectDelayMsMax: 10_000 },
 *   undefined,
 * );
 * const { state: next, effects } = stepWallet(state, { type: 'start', nowMs: 0 });
 * effects; // [{ type: 'connect' }]
 * next.link.phase; // 'connecting'
 * ```
 */
export function stepWallet(state: WalletState, input: WalletInput): WalletStep {
  const out: Out = [];
  const next = noteClearing(followUp(apply(state, input, out), out), input.nowMs, out);
  return { state: next, effects: out };
}

/**
 * The step that saw the channel closed (finalized on the ledger) notes when: the clearing
 * time of every payment made from it (history()). Kept for the newest channels only.
 */
function noteClearing(state: WalletState, nowMs: number, out: Out): WalletState {
  const channel = state.channel;
  if (channel?.status !== 'closed' || state.cleared.has(channel.idHex) || state.domain === undefined) return state;
  const cleared = new Map(state.cleared);
  cleared.set(channel.idHex, nowMs);
  for (const key of cleared.keys()) {
    if (cleared.size <= clearedChannelsMax) break;
    cleared.delete(key);
  }
  const next = { ...state, cleared };
  out.push({ type: 'stage', change: { record: walletRecordOf(next) } });
  return next;
}

function apply(state: WalletState, input: WalletInput, out: Out): WalletState {
  const { nowMs } = input;
  switch (input.type) {
    case 'start':
      return start(state, out);
    case 'pay':
      return admitPayment(state, input.call, input.request, input.aborted, nowMs, out);
    case 'abort':
      return abortCalls(state, input.calls, input.reason, out);
    case 'openChannel': {
      if (input.aborted !== undefined) {
        out.push({ type: 'reject', call: input.call, error: openAbortedError(input.aborted.reason) });
        return state;
      }
      const { call, deposit, asset, lifetimeMs, nonce } = input;
      return whenReady(state, { type: 'openChannel', call, deposit, asset, lifetimeMs, nonce }, nowMs, out);
    }
    case 'topUp':
      return whenReady(state, { type: 'topUp', call: input.call, amount: input.amount }, nowMs, out);
    case 'close':
      return whenReady(state, { type: 'close', call: input.call }, nowMs, out);
    case 'forceClose':
      return whenReady(state, { type: 'forceClose', call: input.call }, nowMs, out);
    case 'spendReceived':
    case 'payPeer': {
      const { nowMs: _at, ...call } = input;
      return whenReady(state, call, nowMs, out);
    }
    case 'stop':
      return stop(state, input.call, nowMs, out);
    case 'connected':
      return connected(state);
    case 'frame':
      return onFrame(state, input.message, nowMs, out);
    case 'malformedFrame':
      out.push({ type: 'disconnect', code: 1008, reason: 'malformed frame from hub' });
      return state;
    case 'disconnected':
      return onDisconnected(state, input.code, input.reason, input.jitter, out);
    case 'timer':
      switch (input.timer) {
        case 'pump':
          return runPump(state, nowMs, out);
        case 'resend':
          return resendTimerFired(state, out);
        case 'retryRequests':
          return retryRequestsFired(state, out);
        case 'reconnect':
          return reconnectFired(state, out);
      }
      return unreachable(input.timer);
    case 'written':
      return onWritten(state, input.purpose, nowMs, out);
    case 'writeFailed':
      return onWriteFailed(state, input.purpose, input.error, nowMs, out);
    case 'signed':
      return onSigned(state, input.purpose, input.signature, out);
    case 'signFailed':
      return onSignFailed(state, input.purpose, input.error, out);
  }
  return unreachable(input);
}

function unreachable(value: never): never {
  assert(false, `an input the wallet does not know: ${JSON.stringify(value)}`);
}

/** What every step leaves behind: a close that can go on, the pump armed when it has work. */
function followUp(state: WalletState, out: Out): WalletState {
  const next = advanceForceClose(advanceClose(state, out), out);
  if (!pumpWanted(next)) return next;
  out.push({ type: 'setTimer', timer: 'pump', delayMs: 0 });
  return { ...next, pump: { ...next.pump, scheduled: true } };
}

function abortCalls(state: WalletState, calls: readonly number[], reason: unknown, out: Out): WalletState {
  let next = state;
  for (const call of calls) {
    const payment = next.payments.byId.get(call);
    next = payment === undefined ? abortOpen(next, call, reason, out) : abortPayment(next, payment, reason, out);
  }
  return next;
}

function onFrame(state: WalletState, message: HubMessage, nowMs: number, out: Out): WalletState {
  switch (message.type) {
    case 'challenge':
      return onChallenge(state, message, nowMs, out);
    case 'welcome':
      return onWelcome(state, nowMs, out);
    case 'receipts':
      return onReceipts(state, message, nowMs, out);
    case 'state':
    case 'logPage':
    case 'receiving':
    case 'invoiced':
    case 'spent':
      return onAnswer(state, message, nowMs, out);
    case 'incoming':
      return onIncoming(state, message, nowMs, out);
    case 'cleared':
      return onCleared(state, message, nowMs, out);
    case 'closing':
      // The answer to this wallet's forced close, or a notice (no id).
      if (message.id !== undefined) return onAnswer(state, { ...message, id: message.id }, nowMs, out);
      return onNotice(state, message, out);
    case 'closed':
      return onNotice(state, message, out);
    case 'reject':
      // A reject names a request by its id, or a pay frame (by its seq, or by its id alone
      // when the hub could not read the frame); the ids never overlap.
      if (message.id !== undefined && state.requests.byId.has(message.id)) {
        return onRequestReject(state, message, nowMs, out);
      }
      if (message.code === 'AUTH_FAILED' && message.id === undefined) {
        return authRefused(state, message.message, nowMs, out);
      }
      return onPayReject(state, message, out);
  }
  return unreachable(message);
}

function onWritten(state: WalletState, purpose: WritePurpose, nowMs: number, out: Out): WalletState {
  switch (purpose.kind) {
    case 'pin':
      return pinWritten(state, purpose, out);
    case 'vouchers':
      return vouchersWritten(state, purpose.serials, nowMs, out);
    case 'opening':
      return openingWritten(state, purpose.call, out);
    case 'opened':
      return openedWritten(state, purpose.call, out);
    case 'topUpSigned':
      return topUpSignedWritten(state, out);
    case 'toppedUp':
      return toppedUpWritten(state, out);
    case 'closing':
      return closingWritten(state, out);
    case 'forceClosing':
      return forceClosingWritten(state, out);
    case 'noticeClosing':
      return noticeClosingWritten(state, purpose.notice, out);
    case 'killed':
      return afterDrop(state, purpose.followUp, out);
    case 'incoming':
    case 'cleared':
      return inboxItemWritten(state, purpose, out);
    case 'adopted': {
      const result = adoptionWritten(state, purpose.recovery, out);
      return recoveriesFinished(result.state, result.finished, nowMs, out);
    }
    case 'closed':
    case 'quiet':
      return state;
  }
  return unreachable(purpose);
}

function onWriteFailed(
  state: WalletState,
  purpose: WritePurpose | undefined,
  error: unknown,
  nowMs: number,
  out: Out,
): WalletState {
  if (purpose === undefined) {
    // A staged write (acknowledgements, history): losing it only means a resend, but say so.
    emit(out, 'error', asError(error));
    return state;
  }
  switch (purpose.kind) {
    case 'pin':
      return pinWriteFailed(state, purpose, error, out);
    case 'vouchers':
      return vouchersWriteFailed(state, purpose.serials, error, out);
    case 'opening':
      return openFailed(state, purpose.call, error, out);
    case 'opened':
      return openedWriteFailed(state, purpose.call, error, out);
    case 'topUpSigned':
      return topUpFailed(state, error, out);
    case 'toppedUp':
      return toppedUpWriteFailed(state, error, out);
    case 'closing':
      return failClose(state, error, out);
    case 'forceClosing':
      return failForceClose(state, error, out);
    case 'noticeClosing':
      report(out, error);
      return state;
    case 'incoming':
    case 'cleared':
      return inboxItemWriteFailed(state, purpose, error, out);
    case 'closed':
      report(out, error);
      return state;
    case 'killed':
      report(out, error);
      return afterDrop(state, purpose.followUp, out);
    case 'adopted': {
      const result = adoptionWriteFailed(state, purpose.recovery, error, out);
      return recoveriesFinished(resumeFailed(result.state, result.finished, out), result.finished, nowMs, out);
    }
    case 'quiet':
      return state;
  }
  return unreachable(purpose);
}

function onSigned(state: WalletState, purpose: SignPurpose, signature: Signature, out: Out): WalletState {
  switch (purpose.kind) {
    case 'auth':
      return authSigned(state, purpose.generation, signature, out);
    case 'voucher':
      return voucherSigned(state, signature, out);
    case 'open':
      return openSigned(state, purpose, signature, out);
    case 'topUp':
      return topUpSigned(state, purpose.deposit, signature, out);
    case 'close':
      return closeSigned(state, purpose.point, signature, out);
    case 'forceClose':
      return forceCloseSigned(state, purpose.point, signature, out);
  }
  return unreachable(purpose);
}

function onSignFailed(state: WalletState, purpose: SignPurpose, error: unknown, out: Out): WalletState {
  switch (purpose.kind) {
    case 'auth':
      return authSignFailed(state, purpose.generation, error, out);
    case 'voucher':
      return voucherSignFailed(state, error, out);
    case 'open':
      return openFailed(state, purpose.call, error, out);
    case 'topUp':
      return topUpFailed(state, error, out);
    case 'close':
      return failClose(state, error, out);
    case 'forceClose':
      return failForceClose(state, error, out);
  }
  return unreachable(purpose);
}
