/**
 * The payer's side of unilateral closes and of what the hub tells about a channel
 * unasked: a forced close with the wallet's latest acknowledged state (recorded on the
 * ledger, settled when its challenge window ends, whatever the hub does), and the hub's
 * `closing` and `closed` notices (a close recorded or answered; the channel finalized, at
 * expiry for one). Kept apart from the rest of the wallet on purpose: a small addition.
 */
import {
  type ChannelId,
  type ChannelState,
  type Domain,
  type HubMessage,
  type HubMessageOf,
  type RecordedClose,
  type Signer,
  signVoucher,
} from '@trickle/protocol';
import type { Emitter } from './emitter.js';
import { WalletError } from './errors.js';
import { hex as toHex } from './hex.js';
import type { RequestBody } from './hubConnection.js';
import type { PaymentQueue } from './paymentQueue.js';
import { pointFromRecord } from './records.js';
import type { CloseResult, WalletEvents } from './wallet.js';
import { currentRecord, setChannelRecord, type WalletState } from './walletState.js';
import type { WalletWrites } from './walletWrites.js';

/**
 * What a forced close answers: the close the ledger holds now, and the hub's state.
 *
 * @example
 * ```ts
 * declare const wallet: import('@trickle/client').Wallet;
 * const { close } = await wallet.forceClose();
 * console.log(`settles at seq ${close.seq} when the window ends, at ${new Date(close.endsAtMs).toISOString()}`);
 * ```
 */
export interface ForceCloseResult {
  /** The state recorded (the hub may answer with a newer one it holds: a `closing` event says so). */
  readonly close: RecordedClose;
  readonly state: ChannelState;
}

/** What the unilateral part needs. */
export interface UnilateralDeps {
  readonly state: WalletState;
  readonly writes: WalletWrites;
  readonly events: Emitter<WalletEvents>;
  readonly queue: PaymentQueue;
  readonly signer: Signer;
  readonly whenReady: () => Promise<void>;
  readonly request: <T extends HubMessage>(body: RequestBody) => Promise<T>;
  /** Marks the channel closed and reports `closed` (the lifecycle's). */
  readonly completeClose: (state: ChannelState, refund?: bigint) => CloseResult;
}

/** Forced closes and notices. Internal to createWallet. */
export interface Unilateral {
  forceClose(): Promise<ForceCloseResult>;
  /** A `closing` or `closed` message the hub sent unasked. */
  onNotice(message: HubMessageOf<'closing'> | HubMessageOf<'closed'>): void;
}

/** Creates the unilateral part. */
export function createUnilateral(deps: UnilateralDeps): Unilateral {
  const { state, events } = deps;
  const persist = () => deps.writes.persist({ record: currentRecord(state) });

  /** The record marked closing (payments stop), once. */
  async function markClosing(): Promise<void> {
    const ch = state.record?.channel;
    if (ch === undefined || ch.status === 'closing' || ch.status === 'closed') return;
    setChannelRecord(state, { ...ch, status: 'closing' });
    await persist();
    deps.queue.failQueued(new WalletError('CHANNEL_CLOSED', 'the channel is closing'));
  }

  async function forceClose(): Promise<ForceCloseResult> {
    await deps.whenReady();
    const ch = state.record?.channel;
    if (ch === undefined || state.channel === undefined) throw new WalletError('NO_CHANNEL', 'open a channel first');
    if (ch.status === 'closed') throw new WalletError('CHANNEL_CLOSED', 'the channel is closed already');
    // Everything signed is answered first: the latest acknowledged state is then the latest signed one.
    await deps.queue.drained();
    const acked = state.acked ?? pointFromRecord((state.record?.channel ?? ch).acked);
    const body = { channelId: state.channel.channelId as ChannelId, ...acked };
    // A fresh signature over the same state (a voucher signature: what the ledger verifies).
    const signature =
      acked.seq === 0 ? {} : { signature: signVoucher(state.domain as Domain, body, deps.signer).signature };
    await markClosing();
    const answer = await deps.request<HubMessageOf<'closing'>>({ type: 'forceClose', ...body, ...signature });
    events.emit('closing', { channelId: answer.channelId, close: answer.close, state: answer.state });
    return { close: answer.close, state: answer.state };
  }

  function onNotice(message: HubMessageOf<'closing'> | HubMessageOf<'closed'>): void {
    const ch = state.record?.channel;
    if (ch === undefined || ch.channelId !== toHex(message.channelId)) return;
    if (message.type === 'closed') {
      if (ch.status !== 'closed') deps.completeClose(message.state, message.refund);
      return;
    }
    void markClosing().then(
      () => events.emit('closing', { channelId: message.channelId, close: message.close, state: message.state }),
      (error) => events.emit('error', error as Error),
    );
  }

  return { forceClose, onNotice };
}
