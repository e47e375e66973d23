/**
 * Small helpers every stage of the wallet's machine uses: effects, errors, the record
 * writes, sending a voucher, balances. Internal to the machine.
 */
import type { Asset } from '../amount.js';
import { equalBytes } from '../bytes.js';
import { asError, assert, present } from '../errors.js';
import type { ChannelId, InvoiceId, Mac, PayeeId } from '../ids.js';
import type { ChannelState } from '../messages.js';
import type { Receipt } from '../receipt.js';
import type { WritePurpose } from './purposes.js';
import type { WalletChange } from './records.js';
import { WalletError } from './walletErrors.js';
import type { EmitEffect, WalletEffect } from './walletIo.js';
import { balanceLowPercentDefault, walletRequestIdMax } from './walletLimits.js';
import { type LiveVoucher, signedPoint, type WalletChannel, type WalletState, walletRecordOf } from './walletState.js';
import type { Balance, WalletConfig, WalletEvents } from './walletTypes.js';

/** The effects of the step being taken, in order (local to one step). */
export type Out = WalletEffect[];

/** Adds an event. */
export function emit<K extends keyof WalletEvents>(out: Out, event: K, payload: WalletEvents[K]): void {
  // TypeScript cannot correlate K with its payload across the union: the parameters already tie them.
  out.push({ type: 'emit', event, payload } as EmitEffect);
}

/** Reports a failure nobody awaits as an `error` event (a stopped wallet's, or a lost connection's, are expected). */
export function report(out: Out, error: unknown): void {
  if (error instanceof WalletError && (error.code === 'STOPPED' || error.code === 'DISCONNECTED')) return;
  emit(out, 'error', asError(error));
}

/** The error of stop(). */
export function stoppedError(): WalletError {
  return new WalletError('STOPPED', 'the wallet was stopped');
}

/** Why the session is over (fatal failure or stop), if it is. */
export function sessionEnded(state: WalletState): Error | undefined {
  return state.fatal ?? (state.stopped ? stoppedError() : undefined);
}

/** Why no payment can be signed any more (failed, stopped, channel closing), if so. */
export function paymentsEnded(state: WalletState): Error | undefined {
  const ended = sessionEnded(state);
  if (ended !== undefined) return ended;
  const status = state.channel?.status;
  if (status === 'closing' || status === 'closed') return new WalletError('CHANNEL_CLOSED', `the channel is ${status}`);
  return undefined;
}

/** True when payments may flow: authenticated and resumed. */
export function isReady(state: WalletState): boolean {
  return state.link.phase === 'ready';
}

/** True while authenticated (resuming or ready): vouchers and requests may go out. */
export function isAuthenticated(state: WalletState): boolean {
  return state.link.phase === 'ready' || state.link.phase === 'resuming';
}

/** The state with its channel replaced. */
export function withChannel(state: WalletState, channel: WalletChannel | undefined): WalletState {
  return { ...state, channel };
}

/** The channel, which the caller knows is there. */
export function channelOf(state: WalletState): WalletChannel {
  const channel = state.channel;
  assert(channel !== undefined, 'the wallet has a channel here');
  return channel;
}

/** Writes the record (and `extra`) durably; `purpose` comes back with the result. */
export function writeRecord(state: WalletState, out: Out, purpose: WritePurpose, extra: WalletChange = {}): void {
  out.push({ type: 'write', change: { ...extra, record: walletRecordOf(state) }, purpose });
}

/**
 * Sends a written voucher on the current connection and notes it as sent (nothing while
 * not authenticated). Its frame id comes from the requests' counter: a reject names one or
 * the other, never an id both use.
 */
export function sendVoucher(state: WalletState, out: Out, voucher: LiveVoucher): WalletState {
  const channel = state.channel;
  if (!isAuthenticated(state) || channel === undefined || !voucher.written) return state;
  const id = state.requests.nextId;
  out.push({
    type: 'send',
    message: {
      type: 'pay',
      id,
      channelId: channel.channelId,
      seq: voucher.seq,
      cumulative: voucher.cumulative,
      logHead: voucher.logHead,
      signature: voucher.signature,
      entries: voucher.entries as LiveVoucher['entries'][number][], // readonly to the message's array type: never written
    },
  });
  const sent = new Map(channel.sent);
  sent.set(voucher.seq, [...(channel.sent.get(voucher.seq) ?? []), { id, serial: voucher.serial }]);
  const sentSeqById = new Map(channel.sentSeqById);
  sentSeqById.set(id, voucher.seq);
  return {
    ...state,
    channel: { ...channel, sent, sentSeqById },
    requests: { ...state.requests, nextId: id >= walletRequestIdMax ? 1 : id + 1 },
  };
}

/**
 * Takes the frame a reply for `seq` answers: the one with `id` when the reply names one,
 * else the first sent (replies come in the order frames were sent).
 */
export function takeSent(
  channel: WalletChannel,
  seq: number,
  id?: number,
): { channel: WalletChannel; serial: number | undefined } {
  const frames = channel.sent.get(seq);
  if (frames === undefined || frames.length === 0) return { channel, serial: undefined };
  // A reply that names its frame answers that frame only: a duplicated or late reply to a
  // voucher signed earlier at this seq must not be taken for the one sent since.
  const named = id === undefined ? 0 : frames.findIndex((f) => f.id === id);
  if (named === -1) return { channel, serial: undefined };
  const at = named;
  const taken = present(frames[at], 'the sent frame found at its index');
  const sent = new Map(channel.sent);
  if (frames.length === 1) sent.delete(seq);
  else
    sent.set(
      seq,
      frames.filter((_, i) => i !== at),
    );
  const sentSeqById = new Map(channel.sentSeqById);
  sentSeqById.delete(taken.id);
  return { channel: { ...channel, sent, sentSeqById }, serial: taken.serial };
}

/** The channel with nothing noted as sent (the connection is gone: replies to it will never come). */
export function withoutSent(channel: WalletChannel): WalletChannel {
  return { ...channel, sent: new Map(), sentSeqById: new Map() };
}

/** The balance, or undefined without a channel. */
export function balanceOf(state: WalletState): Balance | undefined {
  const channel = state.channel;
  if (channel === undefined) return undefined;
  const signed = signedPoint(channel);
  return {
    channelId: channel.channelId,
    asset: channel.asset,
    status: channel.status,
    deposit: channel.deposit,
    spent: signed.cumulative,
    acknowledged: channel.acked.cumulative,
    available: channel.deposit - signed.cumulative,
  };
}

/** The receipt of one entry of the channel (`channel`: another one, whose log is being read). */
export function receiptOf(
  state: WalletState,
  seq: number,
  entry: { readonly payee: PayeeId; readonly invoiceId: InvoiceId; readonly amount: bigint },
  mac: Mac,
  channel: { readonly channelId: ChannelId; readonly asset: Asset } | undefined = state.channel,
): Receipt {
  const domain = state.domain;
  assert(domain !== undefined && channel !== undefined, 'receipts come only for a channel');
  return {
    networkId: domain.networkId,
    hubId: domain.hubId,
    channelId: channel.channelId,
    seq,
    payee: entry.payee,
    invoiceId: entry.invoiceId,
    asset: channel.asset,
    amount: entry.amount,
    mac,
  };
}

/** True when `state` (as the hub reports it) is for this wallet's channel. */
export function isOwnChannel(state: WalletState, hubState: ChannelState): boolean {
  return state.channel !== undefined && equalBytes(hubState.channelId, state.channel.channelId);
}

/**
 * The balance below which a channel of `deposit` is nearly spent: `balanceLowAt`, else
 * `balanceLowPercent` (default {@link balanceLowPercentDefault}) of the deposit, rounded down.
 */
export function balanceLowThreshold(config: WalletConfig, deposit: bigint): bigint {
  if (config.balanceLowAt !== undefined) return config.balanceLowAt;
  return (deposit * BigInt(config.balanceLowPercent ?? balanceLowPercentDefault)) / 100n;
}
