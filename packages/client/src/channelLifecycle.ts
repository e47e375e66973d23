/**
 * The channel's lifecycle requests: open, top up, close. Each signs, persists what it
 * signed, then asks the hub; a half-done one (signed and saved, not answered) is finished
 * after a reconnect or a restart by resume.ts.
 */
import {
  assertAmount,
  type ChannelId,
  type ChannelState,
  type ClientChannel,
  channelIdOf,
  asset as checkAsset,
  type Domain,
  fromHex,
  type HubMessage,
  type HubMessageOf,
  type LogHead,
  logGenesis,
  type RandomBytes,
  RejectError,
  type Signer,
  signClose,
  signOpenRequest,
  signTopUp,
} from '@trickle/protocol';
import type { Emitter } from './emitter.js';
import { WalletError } from './errors.js';
import { hex as toHex } from './hex.js';
import type { RequestBody } from './hubConnection.js';
import type { PaymentQueue } from './paymentQueue.js';
import { pointToRecord } from './records.js';
import type { ChannelRecord } from './store/walletStore.js';
import {
  type Balance,
  type CloseResult,
  channelLifetimeMs,
  type OpenChannelParameters,
  type WalletEvents,
} from './wallet.js';
import { balanceOf, currentRecord, setChannelRecord, type WalletState } from './walletState.js';
import type { WalletWrites } from './walletWrites.js';

/** What the lifecycle needs. */
export interface ChannelLifecycleDeps {
  readonly state: WalletState;
  readonly writes: WalletWrites;
  readonly events: Emitter<WalletEvents>;
  readonly queue: PaymentQueue;
  readonly signer: Signer;
  readonly randomBytes: RandomBytes;
  readonly clock: { nowMs(): number };
  readonly whenReady: () => Promise<void>;
  readonly request: <T extends HubMessage>(body: RequestBody) => Promise<T>;
  /** After a top-up: balanceLow may fire again. */
  readonly rearmBalanceLow: () => void;
}

/** Open, top up, close, and their completions. */
export interface ChannelLifecycle {
  openChannel(parameters: OpenChannelParameters): Promise<Balance>;
  completeOpen(state: ChannelState): Promise<void>;
  abandonOpen(error: unknown): Promise<void>;
  topUp(parameters: { readonly amount: bigint }): Promise<Balance>;
  sendTopUp(deposit: string, signature: string): Promise<void>;
  close(): Promise<CloseResult>;
  sendClose(): Promise<CloseResult>;
  /** Marks the channel closed and reports `closed`; `refund` when the ledger settled at another state than the hub's. */
  completeClose(state: ChannelState, refund?: bigint): CloseResult;
}

/** Creates the lifecycle. Internal to createWallet. */
export function createChannelLifecycle(deps: ChannelLifecycleDeps): ChannelLifecycle {
  const { state, writes, events, queue, signer } = deps;
  const persistRecord = () => writes.persist({ record: currentRecord(state) });

  async function openChannel(parameters: OpenChannelParameters): Promise<Balance> {
    if (typeof parameters !== 'object' || parameters === null) throw new TypeError('openChannel: parameters required');
    const deposit = assertAmount(parameters.deposit, 'openChannel: deposit');
    if (deposit < 1n) throw new RangeError('openChannel: deposit must be at least 1');
    const unitAsset = checkAsset(parameters.asset?.code ?? 'USD', parameters.asset?.scale ?? 6);
    const lifetimeMs = parameters.lifetimeMs ?? channelLifetimeMs;
    if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs < 1)
      throw new RangeError('openChannel: lifetimeMs must be a positive integer');
    await deps.whenReady();
    if (state.record?.channel !== undefined && state.record.channel.status !== 'closed') {
      throw new WalletError('CHANNEL_EXISTS', `a channel is ${state.record.channel.status} already`);
    }
    const d = state.domain as Domain;
    const nonce = deps.randomBytes(16);
    const expiresAtMs = deps.clock.nowMs() + lifetimeMs;
    const open = signOpenRequest(d, { nonce, asset: unitAsset, deposit, expiresAtMs }, signer);
    const channelId = channelIdOf(d.hubId, signer.publicKey, nonce);
    const genesis = pointToRecord({ seq: 0, cumulative: 0n, logHead: logGenesis(d, channelId) });
    setChannelRecord(state, {
      channelId: toHex(channelId),
      nonce: toHex(nonce),
      asset: unitAsset,
      deposit: deposit.toString(),
      expiresAtMs,
      status: 'opening',
      openSignature: toHex(open.signature),
      signed: genesis,
      acked: genesis,
    });
    state.pending = [];
    await persistRecord();
    try {
      const answer = await deps.request<HubMessageOf<'state'>>({
        type: 'open',
        nonce,
        asset: unitAsset,
        deposit,
        expiresAtMs,
        signature: open.signature,
      });
      await completeOpen(answer.state);
    } catch (error) {
      await abandonOpen(error);
      throw error;
    }
    return balanceOf(state) as Balance;
  }

  async function completeOpen(hubState: ChannelState): Promise<void> {
    const ch = state.record?.channel;
    if (ch === undefined || ch.status !== 'opening' || toHex(hubState.channelId) !== ch.channelId) return;
    setChannelRecord(state, { ...ch, status: 'open', deposit: hubState.deposit.toString() });
    await persistRecord();
    queue.schedulePump();
  }

  async function abandonOpen(error: unknown): Promise<void> {
    // Only a final refusal abandons the open; a disconnect resends it.
    if (!(error instanceof RejectError) || state.record?.channel?.status !== 'opening') return;
    setChannelRecord(state, undefined);
    await persistRecord().catch(() => undefined);
  }

  // A top-up signs the new total (protocol 5.4), computed from the deposit as it stands: two
  // at once would both sign "deposit + amount" from the same deposit, and the hub would move
  // only the larger. So top-ups run one at a time, each from the deposit the one before left.
  let topUpTail: Promise<unknown> = Promise.resolve();
  function inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = topUpTail.then(work);
    topUpTail = run.catch(() => undefined);
    return run;
  }

  async function topUp(parameters: { readonly amount: bigint }): Promise<Balance> {
    const amount = assertAmount(parameters?.amount, 'topUp: amount');
    if (amount < 1n) throw new RangeError('topUp: amount must be at least 1');
    // Ready first: a top-up left half-done by an earlier run is queued by resume before this one.
    await deps.whenReady();
    return inTurn(() => topUpNow(amount));
  }

  async function topUpNow(amount: bigint): Promise<Balance> {
    const ch = state.record?.channel;
    const { channel } = state;
    if (ch === undefined || channel === undefined) throw new WalletError('NO_CHANNEL', 'open a channel first');
    if (ch.status !== 'open') throw new WalletError('CHANNEL_CLOSED', `the channel is ${ch.status}`);
    const total = channel.deposit + amount;
    const signed = signTopUp(state.domain as Domain, { channelId: channel.channelId, deposit: total }, signer);
    setChannelRecord(state, { ...ch, topUp: { deposit: total.toString(), signature: toHex(signed.signature) } });
    await persistRecord();
    await sendTopUpNow(total.toString(), toHex(signed.signature));
    return balanceOf(state) as Balance;
  }

  /** Sends (again) a top-up signed earlier, in turn with the others; nothing if it is done already. */
  function sendTopUp(deposit: string, signature: string): Promise<void> {
    return inTurn(async () => {
      if (state.record?.channel?.topUp?.signature !== signature) return;
      await sendTopUpNow(deposit, signature);
    });
  }

  async function sendTopUpNow(deposit: string, signature: string): Promise<void> {
    const ch = state.record?.channel as ChannelRecord;
    try {
      const answer = await deps.request<HubMessageOf<'state'>>({
        type: 'topUp',
        channelId: fromHex(ch.channelId, 32) as ChannelId,
        deposit: BigInt(deposit),
        signature: fromHex(signature, 64) as never,
      });
      const current = state.record?.channel as ChannelRecord;
      const { topUp: _done, ...rest } = current;
      const hubDeposit = answer.state.deposit > BigInt(rest.deposit) ? answer.state.deposit : BigInt(rest.deposit);
      setChannelRecord(state, { ...rest, deposit: hubDeposit.toString() });
      await persistRecord();
      deps.rearmBalanceLow();
      queue.schedulePump();
    } catch (error) {
      if (error instanceof RejectError) {
        const current = state.record?.channel as ChannelRecord;
        const { topUp: _failed, ...rest } = current;
        setChannelRecord(state, rest);
        await persistRecord().catch(() => undefined);
      }
      throw error;
    }
  }

  let closing: Promise<CloseResult> | undefined;
  async function close(): Promise<CloseResult> {
    await deps.whenReady();
    const ch = state.record?.channel;
    if (ch === undefined || state.channel === undefined) throw new WalletError('NO_CHANNEL', 'open a channel first');
    if (ch.status === 'closed') throw new WalletError('CHANNEL_CLOSED', 'the channel is closed already');
    closing ??= (async () => {
      await queue.drained();
      const current = state.record?.channel as ChannelRecord;
      if (current.status === 'open') {
        const channel = state.channel as ClientChannel;
        const signed = signClose(
          state.domain as Domain,
          { channelId: channel.channelId, seq: channel.seq, cumulative: channel.cumulative, logHead: channel.logHead },
          signer,
        );
        setChannelRecord(state, {
          ...current,
          status: 'closing',
          close: { ...pointToRecord(channel), signature: toHex(signed.signature) },
        });
        await persistRecord();
      }
      return sendClose();
    })().finally(() => {
      closing = undefined;
    });
    return closing;
  }

  let closeResult: Promise<CloseResult> | undefined;
  function sendClose(): Promise<CloseResult> {
    closeResult ??= (async () => {
      const ch = state.record?.channel as ChannelRecord;
      const c = ch.close as NonNullable<ChannelRecord['close']>;
      const answer = await deps.request<HubMessageOf<'state'>>({
        type: 'close',
        channelId: fromHex(ch.channelId, 32) as ChannelId,
        seq: c.seq,
        cumulative: BigInt(c.cumulative),
        logHead: fromHex(c.logHead, 32) as LogHead,
        signature: fromHex(c.signature, 64) as never,
      });
      return completeClose(answer.state);
    })().finally(() => {
      closeResult = undefined;
    });
    return closeResult;
  }

  function completeClose(hubState: ChannelState, settledRefund?: bigint): CloseResult {
    const ch = state.record?.channel as ChannelRecord;
    const refund = settledRefund ?? hubState.deposit - hubState.cumulative;
    setChannelRecord(state, { ...ch, status: 'closed', refund: refund.toString() });
    persistRecord().catch((error) => events.emit('error', error as Error));
    queue.failQueued(new WalletError('CHANNEL_CLOSED', 'the channel was closed'));
    const result = { refund, state: hubState };
    events.emit('closed', result);
    return result;
  }

  return { openChannel, completeOpen, abandonOpen, topUp, sendTopUp, close, sendClose, completeClose };
}
